"""The systems under test, behind one small interface.

Each system ingests the library (timed: wall and CPU of the process and its children), then
answers queries. A query result is a list of matches, best first:
    {"key": str, "score": float, "offset": float, "segments": [[in0, in1, dup0, dup1], ...]}
where offset is the entry time (s) that lines up with query time 0.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import time

from chroma import ChromaprintExhaustive


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Clock:
    """Wall and CPU (this process + waited-for children, all threads) of one block."""

    def __enter__(self):
        self.w0, self.c0 = time.perf_counter(), self_cpu() + children_cpu()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w0
        self.cpu = self_cpu() + children_cpu() - self.c0


def dir_bytes(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


class FpShot:
    name = "fpshot"

    def __init__(self, binary: str, workdir: str):
        self.bin = binary
        self.lib = os.path.join(workdir, "fpshot-lib")
        self.ingest_form = "one `local add --key` per file"
        self.errors: list[str] = []

    def unavailable(self) -> str | None:
        if not (os.path.isfile(self.bin) and os.access(self.bin, os.X_OK)):
            return f"no executable at FPSHOT_BIN={self.bin} (build it: cargo build --release -p fpshot)"
        out = subprocess.run([self.bin, "local", "--help"], capture_output=True, text=True)
        if out.returncode != 0 or "query" not in out.stdout:
            return f"`{self.bin} local` has no add/query yet: {(out.stderr or out.stdout).strip()[:200]}"
        return None

    def ingest(self, library) -> None:
        shutil.rmtree(self.lib, ignore_errors=True)
        os.makedirs(self.lib)
        helptext = subprocess.run([self.bin, "local", "add", "--help"], capture_output=True, text=True).stdout
        if "folder" in helptext:
            return self._ingest_folder(library)
        for t in library:
            out = subprocess.run([self.bin, "local", "add", "--lib", self.lib, "--key", t.key, t.path],
                                 capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if out.returncode != 0:
                raise RuntimeError(f"fpshot local add {t.key} failed: {out.stderr.strip()[:300]}")

    def version(self) -> str:
        out = subprocess.run([self.bin, "--version"], capture_output=True, text=True)
        built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(self.bin)))
        return f"{out.stdout.strip()} (binary built {built})"

    def _ingest_folder(self, library) -> None:
        """The folder form (one process for the whole library; keys = file stems) on a folder of
        symlinks named KEY.ext, since the library is a subset of the package's folder."""
        src = self.lib + "-src"
        shutil.rmtree(src, ignore_errors=True)
        os.makedirs(src)
        for t in library:
            os.symlink(t.path, os.path.join(src, t.key + os.path.splitext(t.path)[1]))
        out = subprocess.run([self.bin, "local", "add", "--lib", self.lib, src],
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
        want = f"added {len(library)} of {len(library)} files"
        if out.returncode != 0 or want not in out.stdout:
            raise RuntimeError(f"fpshot local add (folder) did not add every file: "
                               f"{(out.stdout + out.stderr).strip()[:400]}")
        self.ingest_form = "folder"

    def index_bytes(self) -> int:
        return dir_bytes(self.lib)

    def query(self, path: str) -> list[dict]:
        out = subprocess.run([self.bin, "local", "query", "--lib", self.lib, path, "--json"],
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if out.returncode != 0:
            self.errors.append(f"{os.path.basename(path)}: {out.stderr.strip()[:200]}")
            return []
        return parse_fpshot_json(out.stdout)


def _f(x) -> float:
    return float(x) if x not in (None, "") else 0.0


def parse_fpshot_json(text: str) -> list[dict]:
    """`fpshot local query --json` prints the API's AudioFpShots structure (numbers as strings)."""
    doc = json.loads(text) if text.strip() else {}
    if isinstance(doc, dict) and "AudioFpShots" in doc:  # the API's result group, if printed whole
        doc = doc["AudioFpShots"] or {}
    shots = doc.get("FpShot") or [] if isinstance(doc, dict) else []
    shots = [shots] if isinstance(shots, dict) else shots
    matches = []
    for s in shots:
        slices = (s.get("FpShotSlices") or {}).get("FpShotSlice") or []
        slices = [slices] if isinstance(slices, dict) else slices
        segs = []
        for sl in slices:
            i0, idur = _f(sl["Input"]["Start"]), _f(sl["Input"]["Duration"])
            d0, ddur = _f(sl["Duplication"]["Start"]), _f(sl["Duplication"]["Duration"])
            segs.append([i0, i0 + idur, d0, d0 + ddur])
        offset = None
        if segs:
            # The longest slice fixes the alignment; its duration ratio is the speed factor.
            i0, i1, d0, d1 = max(segs, key=lambda g: g[1] - g[0])
            ratio = (d1 - d0) / (i1 - i0) if i1 > i0 and d1 > d0 else 1.0
            ratio = ratio if 0.8 <= ratio <= 1.25 else 1.0
            offset = d0 - i0 * ratio
        matches.append({"key": s.get("PrimaryKey"), "score": _f(s.get("Similarity")),
                        "offset": offset, "segments": segs})
    matches.sort(key=lambda m: -m["score"])
    return matches


class Audfprint:
    """audfprint2 from PyPI, driven through the same library calls its CLI `new`/`match` make:
    its CLI prints matches only as DEBUG log lines under -v (it ignores -o) and reloads the table
    on every call, so in process is both parseable and fair to it.
    Defaults as in its CLI except maxtime: 2^16 frames (25 min) instead of 2^14 (380 s),
    because the default wraps offsets on the three tracks longer than 380 s."""

    name = "audfprint"
    MAXTIMEBITS = 16

    def __init__(self, workdir: str):
        self.db = os.path.join(workdir, "audfprint.pklz")
        self.names: dict[str, str] = {}
        self.errors: list[str] = []

    def unavailable(self) -> str | None:
        try:
            import audfprint2  # noqa: F401
        except ImportError as e:
            return f"audfprint2 not importable: {e}"
        return None

    def _analyzer(self, is_match: bool):
        from audfprint2 import cli
        return cli.setup_analyzer(20.0, is_match, 5, 3, 30.0, 0, 11025, False, None)

    def ingest(self, library) -> None:
        from audfprint2.core import hash_table
        random.seed(1)  # bucket overflow picks slots at random
        ht = hash_table.HashTable(hashbits=20, depth=100, maxtime=1 << self.MAXTIMEBITS)
        ht.params["samplerate"] = 11025
        an = self._analyzer(False)
        for t in library:
            an.ingest(ht, t.path)
            self.names[t.path] = t.key
        if os.path.exists(self.db):
            os.remove(self.db)
        self.db = ht.save(self.db)
        self.ht = ht
        self.qan = self._analyzer(True)
        from audfprint2 import cli
        # match_win 2, search_depth 100, min_count 5 (its default threshold), 2 results (the
        # span query has two answers), exact count off, time ranges on, quantile 0.05.
        self.matcher = cli.setup_matcher(2, 100, 5, 2, False, True, 0.05, False, False, False)
        self.t_hop = self.qan.n_hop / self.qan.target_sr

    def index_bytes(self) -> int:
        return os.path.getsize(self.db)

    def query(self, path: str) -> list[dict]:
        rslts, _dur, _n = self.matcher.match_file(self.qan, self.ht, path)
        out = []
        for tid, nal, align, _raw, _rank, tmin, tmax in rslts.tolist():
            if nal < self.matcher.threshcount:
                continue
            key = self.names.get(self.ht.names[int(tid)], self.ht.names[int(tid)])
            i0, i1 = tmin * self.t_hop, tmax * self.t_hop
            d0 = (tmin + align) * self.t_hop
            out.append({"key": key, "score": float(nal), "offset": align * self.t_hop,
                        "segments": [[i0, i1, d0, d0 + (i1 - i0)]]})
        return out


class Chromaprint:
    name = "chromaprint"

    calibrate = True  # no decision rule of its own: the report sets one from the negatives

    def __init__(self, workdir: str, floor: float):
        self.matcher = ChromaprintExhaustive(floor)
        self.dir = os.path.join(workdir, "chromaprint")
        self.errors: list[str] = []

    def unavailable(self) -> str | None:
        return None if shutil.which("fpcalc") else "fpcalc not on PATH (apt-get install libchromaprint-tools)"

    def ingest(self, library) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        for t in library:
            self.matcher.add(t.key, fpcalc_raw(t.path), os.path.join(self.dir, t.key + ".u32"))
        self.matcher.finish()

    def index_bytes(self) -> int:
        return dir_bytes(self.dir)

    def query(self, path: str) -> list[dict]:
        return self.matcher.search(fpcalc_raw(path))


def fpcalc_raw(path: str):
    import numpy as np
    # fpcalc 1.5 exits 3 after "Error decoding audio frame (End of file)" on every input with
    # this ffmpeg, yet prints a complete fingerprint: judge by the output, not the exit code.
    out = subprocess.run(["fpcalc", "-raw", "-length", "0", path], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("FINGERPRINT="):
            vals = line.split("=", 1)[1]
            return np.array([int(v) for v in vals.split(",")] if vals else [], dtype=np.uint32)
    raise RuntimeError(f"fpcalc gave no fingerprint for {path}: {out.stderr.strip()[:200]}")
