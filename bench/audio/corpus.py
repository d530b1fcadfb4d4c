"""Corpus for the audio harness: real recordings from Debian packages.

Library entries are whole Wesnoth tracks (the original Ogg files, so ingest includes decoding).
Negatives are content that is not in the library: held-out Wesnoth tracks (same composers and
orchestration, so hard negatives) plus other games' music packages.
"""

from __future__ import annotations

import glob
import os
import random
import subprocess
from dataclasses import dataclass

WESNOTH_GLOB = "/usr/share/games/wesnoth/1.16/data/core/music/*.ogg"
# Other real music shipped by Debian, used only as negatives.
NEGATIVE_GLOBS = [
    "/usr/share/scummvm/drascula/audio/*.ogg",  # drascula-music
    "/usr/share/games/asc/music/*.mp3",  # asc-music
    "/usr/share/games/frozen-bubble/snd/*.xm",  # fb-music-high (tracker module)
]
# Not recordings: Wesnoth's silence.ogg is 10 s of digital silence (-91 dBFS RMS), a playlist
# placeholder. As an entry it "matches" every quiet passage of every negative.
EXCLUDE = {"silence"}
# Formats sox cannot read are rendered once to WAV with ffmpeg (libopenmpt for modules).
NEEDS_RENDER = (".xm", ".mod", ".it", ".s3m")


@dataclass
class Track:
    key: str  # PrimaryKey in the library (file stem), or a label for negatives
    path: str  # file the edits read from (original, or rendered WAV)
    duration: float  # seconds


def duration_of(path: str) -> float:
    out = subprocess.run(["soxi", "-D", path], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def _render(path: str, cache_dir: str) -> str:
    os.makedirs(cache_dir, exist_ok=True)
    dst = os.path.join(cache_dir, os.path.basename(path) + ".wav")
    if not os.path.exists(dst):
        tmp = dst + ".part.wav"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", path, "-ac", "2", "-ar", "44100", tmp],
            check=True,
        )
        os.replace(tmp, dst)
    return dst


def _tracks(pattern: str, cache_dir: str) -> list[Track]:
    out = []
    for p in sorted(glob.glob(pattern)):
        src = _render(p, cache_dir) if p.lower().endswith(NEEDS_RENDER) else p
        stem = os.path.splitext(os.path.basename(p))[0]
        out.append(Track(stem, src, duration_of(src)))
    return out


def build(seed: int, quick: bool, holdout: int, cache_dir: str) -> tuple[list[Track], list[Track]]:
    """Returns (library, negatives). The split is a seeded shuffle of the Wesnoth tracks."""
    wesnoth = [t for t in _tracks(WESNOTH_GLOB, cache_dir) if t.key not in EXCLUDE]
    if len(wesnoth) < 4:
        raise SystemExit(f"found {len(wesnoth)} Wesnoth tracks under {WESNOTH_GLOB}; "
                         "is wesnoth-1.16-music installed?")
    rng = random.Random(seed)
    order = wesnoth[:]
    rng.shuffle(order)
    if quick:
        library, held = order[:5], order[5:7]
    else:
        library, held = order[holdout:], order[:holdout]
    negatives = [Track("neg:wesnoth/" + t.key, t.path, t.duration) for t in held]
    for pattern in NEGATIVE_GLOBS:
        pkg = pattern.split("/")[-3]  # drascula, asc, frozen-bubble
        for t in _tracks(pattern, cache_dir):
            negatives.append(Track(f"neg:{pkg}/{t.key}", t.path, t.duration))
    if quick:
        negatives = negatives[:2] + [n for n in negatives if not n.key.startswith("neg:wesnoth")][:3]
    return library, negatives
