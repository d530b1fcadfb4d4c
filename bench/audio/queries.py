"""Query generation: seeded random excerpts with real edits applied by sox, ffmpeg and numpy.

Every query carries its ground truth as segments (query start, query end, entry key, entry start,
entry end) in seconds, so offsets and boundaries can be scored for any system.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import wave
from dataclasses import asdict, dataclass, field

import numpy as np

from corpus import Track

RATE = 44100
SILENCE_DBFS = -40.0  # excerpts quieter than this are redrawn: silence matches nothing by design
# The span query joins the end of one track to the start of another where the music is: fade-out
# tails and reverb below this level are skipped, as a DJ or an editor would cut.
ACTIVE_DBFS = -30.0
VERSION = 2  # bump when generation changes, so cached query sets are rebuilt


@dataclass
class Edit:
    name: str
    length: float  # seconds of the query
    rate: float = 1.0  # entry seconds per query second (speed/tempo edits)
    kind: str = "clean"  # clean | mp3 | aac | noise | sox | span
    arg: str = ""


EDITS = [
    Edit("clean", 10),
    Edit("mp3_64k", 10, kind="mp3"),
    Edit("aac_48k", 10, kind="aac"),
    Edit("noise_10db", 10, kind="noise", arg="10"),
    Edit("noise_0db", 10, kind="noise", arg="0"),
    Edit("speed_0.95", 10, rate=0.95, kind="sox", arg="speed 0.95"),
    Edit("speed_1.02", 10, rate=1.02, kind="sox", arg="speed 1.02"),
    Edit("speed_1.05", 10, rate=1.05, kind="sox", arg="speed 1.05"),
    Edit("tempo_1.05", 10, rate=1.05, kind="sox", arg="tempo 1.05"),
    Edit("pitch_+1st", 10, kind="sox", arg="pitch 100"),
    Edit("pitch_-1st", 10, kind="sox", arg="pitch -100"),
    Edit("telephone", 10, kind="sox", arg="sinc 300-3400"),
    Edit("len_5s", 5),
    Edit("len_30s", 30),
    Edit("span_2_entries", 10, kind="span"),
]


@dataclass
class Query:
    qid: str
    edit: str
    path: str
    duration: float
    negative: bool = False
    source: str = ""  # what it was cut from (negatives: the held-out track)
    truth: list = field(default_factory=list)  # [in_start, in_end, key, dup_start, dup_end]


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, capture_output=True)


def cut(src: str, start: float, length: float, dst: str) -> None:
    """Excerpt as 44.1 kHz stereo 16-bit WAV (sox seeks in Ogg/MP3, so this is cheap)."""
    run(["sox", src, "-r", str(RATE), "-c", "2", "-b", "16", dst, "trim", f"{start:.4f}", f"{length:.4f}"])


def read_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.reshape(-1, w.getnchannels()).astype(np.float64)


def write_wav(path: str, x: np.ndarray) -> None:
    with wave.open(path, "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.round(x).clip(-32768, 32767).astype("<i2").tobytes())


def dbfs(x: np.ndarray) -> float:
    p = float(np.mean(x * x)) if x.size else 0.0
    return 10 * np.log10(max(p, 1e-12) / 32768.0**2)


def add_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White Gaussian noise at exactly snr_db below the excerpt's own mean power. If the sum
    would clip, the whole mixture is scaled down, which keeps the SNR exact."""
    p_sig = float(np.mean(x * x))
    noise = rng.standard_normal(x.shape)
    noise *= np.sqrt(p_sig / 10 ** (snr_db / 10) / float(np.mean(noise * noise)))
    y = x + noise
    peak = float(np.max(np.abs(y)))
    return y * (32767.0 / peak) if peak > 32767.0 else y


def active_range(track: Track, tmp: str) -> tuple[float, float]:
    """First and last moment louder than ACTIVE_DBFS (50 ms frames, first/last 30 s)."""
    head = min(30.0, track.duration)
    cut(track.path, 0, head, tmp)
    x = read_wav(tmp).mean(axis=1)
    hop = RATE // 20
    frames = [dbfs(x[i:i + hop]) for i in range(0, len(x) - hop, hop)]
    first = next((i for i, d in enumerate(frames) if d > ACTIVE_DBFS), 0) * hop / RATE
    tail_start = max(0.0, track.duration - 30.0)
    cut(track.path, tail_start, track.duration - tail_start, tmp)
    x = read_wav(tmp).mean(axis=1)
    frames = [dbfs(x[i:i + hop]) for i in range(0, len(x) - hop, hop)]
    last_idx = max((i for i, d in enumerate(frames) if d > ACTIVE_DBFS), default=len(frames) - 1)
    last = tail_start + (last_idx + 1) * hop / RATE
    return first, min(last, track.duration)


def pick_excerpt(tracks: list[Track], length: float, rng: random.Random, tmp: str):
    """Random track (weighted by duration: uniform over library time), random offset; redraws
    excerpts that are mostly silence."""
    weights = [t.duration for t in tracks]
    for _ in range(50):
        t = rng.choices(tracks, weights=weights)[0]
        if t.duration < length + 1:
            continue
        start = rng.uniform(0, t.duration - length - 0.5)
        cut(t.path, start, length, tmp)
        x = read_wav(tmp)
        if dbfs(x) > SILENCE_DBFS:
            return t, start, x
    raise RuntimeError(f"no non-silent {length}s excerpt found")


def make_query(edit: Edit, idx: int, library: list[Track], rng: random.Random,
               nrng: np.random.Generator, qdir: str) -> Query:
    qid = f"{edit.name}-{idx:04d}"
    tmp = os.path.join(qdir, qid + ".src.wav")
    if edit.kind == "span":
        a, b = rng.sample(library, 2)
        _, end_a = active_range(a, tmp)
        start_b, _ = active_range(b, tmp)
        half = edit.length / 2
        cut(a.path, end_a - half, half, tmp)
        xa = read_wav(tmp)
        cut(b.path, start_b, half, tmp)
        xb = read_wav(tmp)
        out = os.path.join(qdir, qid + ".wav")
        write_wav(out, np.concatenate([xa, xb]))
        os.remove(tmp)
        truth = [[0.0, half, a.key, end_a - half, end_a], [half, 2 * half, b.key, start_b, start_b + half]]
        return Query(qid, edit.name, out, edit.length, truth=truth)

    src_len = edit.length * edit.rate
    track, start, x = pick_excerpt(library, src_len, rng, tmp)
    out = os.path.join(qdir, qid + ".wav")
    if edit.kind == "clean":
        os.replace(tmp, out)
    elif edit.kind == "noise":
        write_wav(out, add_noise(x, float(edit.arg), nrng))
    elif edit.kind == "mp3":
        out = os.path.join(qdir, qid + ".mp3")
        run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", tmp, "-c:a", "libmp3lame", "-b:a", "64k", out])
    elif edit.kind == "aac":
        out = os.path.join(qdir, qid + ".m4a")
        run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", tmp, "-c:a", "aac", "-b:a", "48k", out])
    elif edit.kind == "sox":
        # The output rate is pinned so `speed` resamples (pitch and tempo change together).
        run(["sox", tmp, "-r", str(RATE), out] + edit.arg.split())
    else:
        raise ValueError(edit.kind)
    if os.path.exists(tmp):
        os.remove(tmp)
    truth = [[0.0, edit.length, track.key, start, start + src_len]]
    return Query(qid, edit.name, out, edit.length, truth=truth)


def make_negative(idx: int, negatives: list[Track], rng: random.Random, qdir: str) -> Query:
    qid = f"negative-{idx:04d}"
    tmp = os.path.join(qdir, qid + ".wav")
    track, start, _ = pick_excerpt(negatives, 10.0, rng, tmp)
    return Query(qid, "negative", tmp, 10.0, negative=True, source=f"{track.key}@{start:.1f}")


def build(library: list[Track], negatives: list[Track], per_edit: int, n_neg: int, seed: int,
          qdir: str, log) -> list[Query]:
    """Generates (or reuses, when the manifest matches these parameters) the query set."""
    manifest = os.path.join(qdir, "manifest.json")
    params = {"version": VERSION, "seed": seed, "per_edit": per_edit, "negatives": n_neg,
              "library": [t.key for t in library], "neg_sources": [t.key for t in negatives]}
    if os.path.exists(manifest):
        with open(manifest) as f:
            saved = json.load(f)
        if saved.get("params") == params and all(os.path.exists(q["path"]) for q in saved["queries"]):
            log(f"reusing {len(saved['queries'])} queries from {manifest}")
            return [Query(**q) for q in saved["queries"]]
    os.makedirs(qdir, exist_ok=True)
    queries = []
    for e_i, edit in enumerate(EDITS):
        rng = random.Random(seed * 1000 + e_i)
        nrng = np.random.default_rng(seed * 1000 + e_i)
        for i in range(per_edit):
            queries.append(make_query(edit, i, library, rng, nrng, qdir))
        log(f"  queries: {edit.name} x{per_edit}")
    rng = random.Random(seed * 1000 + 999)
    for i in range(n_neg):
        queries.append(make_negative(i, negatives, rng, qdir))
    log(f"  queries: negative x{n_neg}")
    with open(manifest, "w") as f:
        json.dump({"params": params, "queries": [asdict(q) for q in queries]}, f)
    return queries
