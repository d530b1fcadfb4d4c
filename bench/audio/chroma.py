"""Chromaprint anchor: `fpcalc -raw` 32-bit frames compared exhaustively.

Written here because Chromaprint only makes fingerprints; it has no search. This is the
fingerprinting.md "raw frames, exhaustive" anchor: for every alignment of the query against every
library entry (including partial overlaps of at least 40 % of the query), the similarity is the
fraction of equal bits over the overlapping frames, 1 - (Hamming distance / 32 per frame). The
best alignment per entry is kept; entries at or above `floor` are returned, best first. Chromaprint
has no decision rule of its own: the report sets its threshold from this run's negatives (see
report.py). Cost grows linearly with the library (numpy, one pass per query frame over all
library frames).
"""

from __future__ import annotations

import numpy as np

HOP_S = 1365 / 11025  # fpcalc: 11025 Hz, 4096-sample frames with 2/3 overlap -> one item per 1365 samples
GAP = 400  # frames of padding between entries (> the longest query), so an alignment meets one entry
SMOOTH = 8  # frames averaged when finding segment boundaries along the best alignment
SEG_THRESHOLD = 0.6  # smoothed per-item bit agreement that counts as "this item matches"
# One raw item summarises ~22.8 hops (2.8 s) of audio: fpcalc gives D/hop - 21.8 items for D
# seconds (measured: 19, 59, 221 items for 5, 10, 30 s), so item i covers [i, i + 22.8) hops.
ITEM_SPAN = 22.8


class ChromaprintExhaustive:
    def __init__(self, floor: float):
        self.threshold = floor
        self.keys: list[str] = []
        self.prints: list[np.ndarray] = []

    def add(self, key: str, frames: np.ndarray, store_path: str) -> None:
        frames.astype("<u4").tofile(store_path)  # what an index would have to keep: 4 bytes/frame
        self.keys.append(key)
        self.prints.append(frames.astype(np.uint32))

    def finish(self) -> None:
        parts, masks, self.starts = [np.zeros(GAP, np.uint32)], [np.zeros(GAP, np.uint8)], []
        pos = GAP
        for f in self.prints:
            self.starts.append(pos)
            parts += [f, np.zeros(GAP, np.uint32)]
            masks += [np.ones(len(f), np.uint8), np.zeros(GAP, np.uint8)]
            pos += len(f) + GAP
        self.lib = np.concatenate(parts)
        self.mask = np.concatenate(masks)

    def search(self, q: np.ndarray) -> list[dict]:
        q = q[:GAP]
        n = len(q)
        if n < 8:
            return []
        p_count = len(self.lib) - n + 1
        agree = np.zeros(p_count, np.int32)
        for i in range(n):
            seg = self.lib[i:i + p_count]
            agree += (32 - np.bitwise_count(seg ^ q[i]).astype(np.int32)) * self.mask[i:i + p_count]
        csum = np.concatenate([[0], np.cumsum(self.mask, dtype=np.int32)])
        overlap = csum[n:n + p_count] - csum[:p_count]
        min_overlap = max(16, int(0.4 * n))
        sim = np.where(overlap >= min_overlap, agree / (32.0 * np.maximum(overlap, 1)), -1.0)
        out = []
        for e, start in enumerate(self.starts):
            lo, hi = max(0, start - n + 1), min(p_count, start + len(self.prints[e]))
            if hi <= lo:
                continue
            p = lo + int(np.argmax(sim[lo:hi]))
            if sim[p] >= self.threshold:
                out.append(self._match(e, p, q, float(sim[p])))
        out.sort(key=lambda m: -m["score"])
        return out

    def _match(self, e: int, p: int, q: np.ndarray, score: float) -> dict:
        n = len(q)
        seg, valid = self.lib[p:p + n], self.mask[p:p + n].astype(bool)
        per_frame = np.where(valid, 1 - np.bitwise_count(seg ^ q) / 32.0, 0.0)
        # Mean over the valid items of each window (edges and gaps are not counted as misses).
        win = np.ones(SMOOTH)
        smooth = np.convolve(per_frame, win, mode="same") / np.maximum(
            np.convolve(valid.astype(float), win, mode="same"), 1)
        good = np.flatnonzero((smooth >= SEG_THRESHOLD) & valid)
        first, last = (int(good[0]), int(good[-1])) if len(good) else (0, n - 1)
        offset = (p - self.starts[e]) * HOP_S
        # An item counts as matching when most of its span is inside the copy, so inner edges
        # sit half a span in; at the query's own edges the copy extends to the edge.
        half = ITEM_SPAN / 2
        i0 = 0.0 if first == 0 else (first + half) * HOP_S
        i1 = (n - 1 + ITEM_SPAN) * HOP_S if last == n - 1 else (last + half) * HOP_S
        return {"key": self.keys[e], "score": score, "offset": offset,
                "segments": [[i0, i1, i0 + offset, i1 + offset]]}
