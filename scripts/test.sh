#!/usr/bin/env bash
# The project's test command: installs what the tests need, then runs every check and every test
# (Rust unit/integration tests and the official-SDK wire-compatibility suite in tests/sdk).
#
#   bash scripts/test.sh
#
# Needs: a Rust toolchain with cargo-nextest (installed from crates.io when missing), python3
# with venv. Installs ffmpeg and sox with apt-get when missing (root, or sudo) and the pinned
# Python SDKs of tests/sdk/requirements.txt into ./.venv. Honours CARGO_TARGET_DIR.
# Set FPSHOT_SKIP_CLIPPY=1 to skip the clippy pass locally (CI always runs it).
set -euo pipefail

cd "$(dirname "$0")/.."
start=$SECONDS

step() { printf '\n==> %s  [%ss]\n' "$*" "$((SECONDS - start))"; }

# Checks run to the end even when one fails, so one run reports every problem; the exit status
# is non-zero if any failed.
failed=()
check() {
    step "$*"
    if ! "$@"; then
        failed+=("$*")
        printf '\n!!! FAILED: %s\n' "$*"
    fi
}

# ---- system packages (media decoding for the fingerprint engine) ---------------------------
missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v sox >/dev/null 2>&1 || missing+=(sox)
# Real recordings for the audio tests (crates/cli/tests/real_audio.rs): 3 MP3 tracks, 10 MB.
[ -d /usr/share/games/asc/music ] || missing+=(asc-music)
if ((${#missing[@]})); then
    step "apt-get install ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q "${missing[@]}"
fi

# ---- Python venv with the pinned official SDKs ----------------------------------------------
REQ=tests/sdk/requirements.txt
STAMP=.venv/.requirements.sha256
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
    step "python venv .venv from $REQ"
    rm -rf .venv
    python3 -m venv .venv
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$REQ"
    echo "$want" >"$STAMP"
fi

# ---- PostgreSQL for the store conformance suite -----------------------------------------------
# The PostgreSQL store is built and its conformance suite runs against the local server
# (FPSHOT_TEST_PG set: an unreachable server fails those tests instead of skipping them).
FEATURES="fpshot-store/postgres"
export FPSHOT_TEST_PG="${FPSHOT_TEST_PG:-host=127.0.0.1 user=postgres dbname=test}"
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    step "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

# ---- Rust tools ------------------------------------------------------------------------------
if ! cargo nextest --version >/dev/null 2>&1; then
    step "cargo install cargo-nextest"
    cargo install --locked cargo-nextest
fi

check cargo fmt --all --check

if [ "${FPSHOT_SKIP_CLIPPY:-0}" != 1 ] || [ "${CI:-}" = true ]; then
    check cargo clippy --workspace --all-targets --features "$FEATURES" -- -D warnings
fi

# One nextest run: Rust tests and the SDK suite (crates/cli/tests/sdk.rs runs pytest against the
# fpshot binary this same build produced).
check cargo nextest run --workspace --features "$FEATURES" --no-fail-fast

if ((${#failed[@]})); then
    step "FAILED: ${failed[*]}"
    exit 1
fi
step "all checks passed in $((SECONDS - start))s"
