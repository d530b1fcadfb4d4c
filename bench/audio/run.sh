#!/usr/bin/env bash
# Audio evaluation harness (not run in CI). Installs what it needs, then runs fpshot, audfprint
# and Chromaprint on the same corpus and queries and prints one markdown table.
#   bench/audio/run.sh --quick          # 5 tracks, ~110 queries, a few minutes
#   bench/audio/run.sh                  # full: 33 tracks (~1.7 h), 1,500 positives, 1,000 negatives
#   FPSHOT_BIN=path/to/fpshot bench/audio/run.sh ...   (default target/release/fpshot)
# Extra options: see `bench/audio/run.sh --help`.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${EVAL_VENV:-$HERE/.venv}"

need_apt=()
[ -d /usr/share/games/wesnoth/1.16/data/core/music ] || need_apt+=(wesnoth-1.16-music)
command -v sox >/dev/null || need_apt+=(sox)
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
command -v fpcalc >/dev/null || need_apt+=(libchromaprint-tools)
# Negatives from other games' music (content that is not in the library).
[ -d /usr/share/scummvm/drascula/audio ] || need_apt+=(drascula-music)
[ -d /usr/share/games/asc/music ] || need_apt+=(asc-music)
[ -d /usr/share/games/frozen-bubble/snd ] || need_apt+=(fb-music-high)
# sox reads MP3 (the asc-music negatives) only with this format module.
dpkg -s libsox-fmt-mp3 >/dev/null 2>&1 || need_apt+=(libsox-fmt-mp3)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
fi

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import audfprint2, numpy" 2>/dev/null; then
  # audfprint2 0.1.2 (MIT, Dan Ellis' audfprint) pulls numpy, scipy, h5py, psutil.
  "$VENV/bin/pip" install -q "audfprint2==0.1.2" >&2
fi

cd "$HERE/../.."  # repository root, so the default FPSHOT_BIN=target/release/fpshot resolves
exec nice -n 10 "$VENV/bin/python" "$HERE/harness.py" "$@"
