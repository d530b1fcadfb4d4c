"""Self-checks of the harness's own logic (parsing, scoring, the Chromaprint matcher, exact SNR).
Run: bench/audio/.venv/bin/python -m unittest discover -s bench/audio -p 'test_*.py'"""

import unittest

import numpy as np

import report
from chroma import HOP_S, ChromaprintExhaustive
from queries import add_noise
from systems import parse_fpshot_json

SAMPLE = """{"FpShot":[{"PrimaryKey":"b","Similarity":"0.61","FpShotSlices":{"FpShotSlice":[
 {"Similarity":"0.6","Input":{"Start":"5.0","Duration":"5.0"},"Duplication":{"Start":"0.0","Duration":"5.0"}}]}},
 {"PrimaryKey":"a","Similarity":"0.97","FpShotSlices":{"FpShotSlice":[
 {"Similarity":"0.97","Input":{"Start":"1.0","Duration":"8.0"},"Duplication":{"Start":"101.0","Duration":"8.4"}},
 {"Similarity":"0.9","Input":{"Start":"0.0","Duration":"0.5"},"Duplication":{"Start":"100.0","Duration":"0.5"}}]}}]}"""


class ParseFpShot(unittest.TestCase):
    def test_best_first_with_offset_from_longest_slice(self):
        m = parse_fpshot_json(SAMPLE)
        self.assertEqual([x["key"] for x in m], ["a", "b"])
        # longest slice: input 1..9 -> entry 101..109.4, ratio 1.05, so query 0 is at 99.95
        self.assertAlmostEqual(m[0]["offset"], 101.0 - 1.0 * 1.05, places=6)
        self.assertAlmostEqual(m[1]["offset"], -5.0)

    def test_empty_and_single_object_forms(self):
        self.assertEqual(parse_fpshot_json(""), [])
        self.assertEqual(parse_fpshot_json('{"FpShot":[]}'), [])
        one = '{"AudioFpShots":{"FpShot":{"PrimaryKey":"k","Similarity":"0.9","FpShotSlices":{"FpShotSlice":' \
              '{"Input":{"Start":"0","Duration":"10"},"Duplication":{"Start":"7","Duration":"10"}}}}}}'
        self.assertEqual(parse_fpshot_json(one)[0]["offset"], 7.0)


class Scoring(unittest.TestCase):
    def test_hit_needs_key_and_offset(self):
        seg = [0.0, 10.0, "a", 50.0, 60.5]  # speed 1.05
        self.assertTrue(report.hit({"key": "a", "offset": 50.9}, seg))
        self.assertFalse(report.hit({"key": "a", "offset": 51.2}, seg))
        self.assertFalse(report.hit({"key": "b", "offset": 50.0}, seg))

    def test_calibrated_threshold_allows_max_fp(self):
        qs = [{"qid": f"n{i}", "negative": True} for i in range(1000)]
        ans = {f"n{i}": {"matches": [{"score": 0.5 + i / 10000}]} for i in range(1000)}
        thr = report.calibrated_threshold({"answers": ans}, qs, 0.001)
        self.assertEqual(sum(0.5 + i / 10000 >= thr for i in range(1000)), 1)


class Chroma(unittest.TestCase):
    def test_finds_embedded_excerpt_with_offset(self):
        rng = np.random.default_rng(3)
        a = rng.integers(0, 2**32, 3000, dtype=np.uint64).astype(np.uint32)
        b = rng.integers(0, 2**32, 2000, dtype=np.uint64).astype(np.uint32)
        m = ChromaprintExhaustive(0.7)
        m.add("a", a, "/dev/null")
        m.add("b", b, "/dev/null")
        m.finish()
        q = b[700:780].copy()
        q ^= np.uint32(1 << 5)  # one bit flipped per frame: similarity 31/32
        res = m.search(q)
        self.assertEqual(res[0]["key"], "b")
        self.assertAlmostEqual(res[0]["offset"], 700 * HOP_S, places=6)
        self.assertAlmostEqual(res[0]["score"], 31 / 32)
        self.assertEqual(len(res), 1)  # random frames agree on half the bits only


class Noise(unittest.TestCase):
    def test_snr_is_exact(self):
        x = np.random.default_rng(1).standard_normal((44100, 2)) * 2000
        for snr in (10.0, 0.0):
            n = add_noise(x, snr, np.random.default_rng(2)) - x  # quiet: no anti-clip scaling
            self.assertAlmostEqual(10 * np.log10(np.mean(x * x) / np.mean(n * n)), snr, places=9)

    def test_loud_mixture_is_scaled_not_clipped(self):
        x = np.random.default_rng(1).standard_normal((44100, 2)) * 12000
        quiet = add_noise(x / 100, 0.0, np.random.default_rng(2)) * 100  # same noise, no scaling
        loud = add_noise(x, 0.0, np.random.default_rng(2))
        self.assertLessEqual(np.max(np.abs(loud)), 32767.0 + 1e-6)
        ratio = loud / quiet
        self.assertAlmostEqual(float(ratio.min()), float(ratio.max()), places=9)  # one gain: SNR kept

if __name__ == "__main__":
    unittest.main()
