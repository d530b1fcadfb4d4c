"""Audio evaluation harness: fpshot against audfprint and Chromaprint on the same corpus, the
same queries, in the same run. Run through run.sh (it installs the tools first).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time

import corpus
import queries as Q
import report
import systems

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def machine() -> dict:
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "python": platform.python_version(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def run_system(sysobj, library, qs, lib_seconds: float) -> dict:
    res = {"name": sysobj.name, "na": None, "calibrate": getattr(sysobj, "calibrate", False)}
    reason = sysobj.unavailable()
    if reason:
        log(f"{sysobj.name}: n/a: {reason}")
        res["na"] = reason
        return res
    log(f"{sysobj.name}: ingesting {len(library)} entries ({lib_seconds / 3600:.2f} h)")
    try:
        with systems.Clock() as c:
            sysobj.ingest(library)
    except Exception as e:  # a system that cannot ingest gets an n/a column, with the reason
        log(f"{sysobj.name}: n/a: {e}")
        res["na"] = str(e)
        return res
    res["ingest"] = {"wall": c.wall, "cpu": c.cpu, "index_bytes": sysobj.index_bytes(),
                     "form": getattr(sysobj, "ingest_form", "")}
    if hasattr(sysobj, "version"):
        res["version"] = sysobj.version()
    log(f"{sysobj.name}: ingest {c.cpu:.1f} s CPU, {c.wall:.1f} s wall; querying {len(qs)}")
    answers = {}
    for i, q in enumerate(qs):
        try:
            with systems.Clock() as c:
                matches = sysobj.query(q.path)
        except Exception as e:  # counted as no answer, and listed
            sysobj.errors.append(f"{q.qid}: {e}")
            matches, c.wall, c.cpu = [], float("nan"), float("nan")
        answers[q.qid] = {"matches": matches[:5], "wall": c.wall, "cpu": c.cpu}
        if (i + 1) % 200 == 0:
            log(f"{sysobj.name}: {i + 1}/{len(qs)} queries")
    res["answers"] = answers
    res["errors"] = sysobj.errors[:20]
    res["n_errors"] = len(sysobj.errors)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="5 library tracks, ~100 queries")
    ap.add_argument("--per-edit", type=int, help="queries per edit (default 100; quick 6)")
    ap.add_argument("--negatives", type=int, help="negative queries (default 1000; quick 20)")
    ap.add_argument("--holdout", type=int, default=8, help="Wesnoth tracks held out as negatives")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--systems", default="fpshot,audfprint,chromaprint")
    ap.add_argument("--chroma-floor", type=float, default=0.55,
                    help="lowest bit agreement the Chromaprint matcher returns (its threshold is "
                         "then calibrated on the negatives)")
    ap.add_argument("--max-fp", type=float, default=0.001,
                    help="false-positive rate a calibrated threshold allows on the negatives")
    ap.add_argument("--workdir", default=os.path.join(HERE, "work"))
    ap.add_argument("--out", help="markdown file (default RESULTS.md; quick: WORKDIR/RESULTS-quick.md)")
    ap.add_argument("--report-only", action="store_true", help="re-render from saved results")
    a = ap.parse_args()
    per_edit = a.per_edit or (6 if a.quick else 100)
    n_neg = a.negatives if a.negatives is not None else (20 if a.quick else 1000)
    mode = "quick" if a.quick else "full"
    work = os.path.join(a.workdir, mode)
    os.makedirs(work, exist_ok=True)
    out_md = a.out or (os.path.join(work, "RESULTS-quick.md") if a.quick else os.path.join(HERE, "RESULTS.md"))
    raw_path = os.path.join(work, "results.json")

    if not a.report_only:
        log("corpus")
        library, negatives = corpus.build(a.seed, a.quick, a.holdout, os.path.join(a.workdir, "render"))
        lib_s = sum(t.duration for t in library)
        neg_s = sum(t.duration for t in negatives)
        log(f"library: {len(library)} tracks, {lib_s / 3600:.2f} h; negatives: {len(negatives)} sources, "
            f"{neg_s / 3600:.2f} h")
        qs = Q.build(library, negatives, per_edit, n_neg, a.seed, os.path.join(work, "queries"), log)
        fp_bin = os.environ.get("FPSHOT_BIN", "target/release/fpshot")
        chosen = a.systems.split(",")
        runs = []
        for name in chosen:
            s = {"fpshot": lambda: systems.FpShot(os.path.abspath(fp_bin), work),
                 "audfprint": lambda: systems.Audfprint(work),
                 "chromaprint": lambda: systems.Chromaprint(work, a.chroma_floor)}[name]()
            runs.append(run_system(s, library, qs, lib_s))
        raw = {"meta": {"command": "bench/audio/run.sh " + " ".join(shlex.quote(x) for x in sys.argv[1:]),
                        "machine": machine(), "mode": mode, "seed": a.seed, "per_edit": per_edit,
                        "negatives": n_neg, "fpshot_bin": fp_bin, "fpshot_source": os.environ.get("FPSHOT_SOURCE", ""), "chroma_floor": a.chroma_floor, "max_fp": a.max_fp,
                        "library": [[t.key, t.duration] for t in library],
                        "negative_sources": [[t.key, t.duration] for t in negatives],
                        "library_seconds": lib_s},
               "queries": [q.__dict__ for q in qs], "systems": runs}
        with open(raw_path, "w") as f:
            json.dump(raw, f)
    with open(raw_path) as f:
        raw = json.load(f)
    md = report.render(raw)
    with open(out_md, "w") as f:
        f.write(md)
    print(md)
    log(f"wrote {out_md} (raw answers: {raw_path})")


if __name__ == "__main__":
    main()
