"""bench/summarize.py reads the figure lines the benchmarks print and judges them against their targets."""
from __future__ import annotations

import importlib.util
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("summarize", ROOT / "bench" / "summarize.py")
assert SPEC and SPEC.loader
summarize = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(summarize)


class BenchSummaryTest(unittest.TestCase):
    def test_each_benchmarks_target_line_is_judged(self) -> None:
        cases = {
            "Set at 16 clients / JDBC autocommit baseline: 3.7x (target >= 5x)": ("3.7x", "NOT met"),
            "Get p50 at 1 client: 0.098 ms (target < 0.5 ms)": ("0.098ms", "met"),
            "AppendRunRows, 1 stream     429,943 rows/s  (108% of baseline; target >= 80%)": ("108%", "met"),
            "GetCandles 1,440 x 1m, cached   p50=0.285 ms  p99=2.967 ms  (target p50 < 1 ms)": ("0.285ms", "met"),
            "warm pool vs spawn per call at p50: 96x faster (target >= 100x); 2000 warm calls": ("96x", "NOT met"),
            "(1) / (2)  =  41.5% rows committed,  57.1% sealed   (target >= 50%)  NOT met, met": ("41.5%", "NOT met"),
            "(1) / (3') =  10,886×  (target >= 500×) met": ("10,886×", "met"),
            "AppendRunRows, 8 streams vs columnar bulk    58,167 rows/s  (64% of bulk baseline; target >= 50%)": ("64%", "met"),
            "(1) / (2b) rows committed =  45.0% of the bulk ceiling (target >= 50%)": ("45.0%", "NOT met"),
            "(1) / (2b) sealed         =  36.2% of the bulk ceiling (target >= 35%)": ("36.2%", "met"),
        }
        for line, (value, verdict) in cases.items():
            parsed = summarize.parse_line(line)
            self.assertIsNotNone(parsed, line)
            assert parsed is not None
            self.assertEqual((parsed[1], parsed[3]), (value, verdict), line)
        self.assertIsNone(summarize.parse_line("GetCandles cold (Parquet read)   p50=2.832 ms  p99=10.979 ms"))

    def test_the_table_has_a_row_per_target_and_headlines_for_benchmarks_without_one(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            state = Path(folder, "state-bench.log")
            state.write_text("noise\nSet at 16 clients / JDBC autocommit baseline: 5.2x (target >= 5x)\n", encoding="utf-8")
            optimize = Path(folder, "optimize-bench.log")
            optimize.write_text("random through the daemon: 1,000 trials × 5 folds in 10.20 s = 98 trials/s\n", encoding="utf-8")
            table = summarize.summarize([state, optimize])
        lines = table.splitlines()
        self.assertEqual(len(lines), 4)
        self.assertIn("state-bench", lines[2])
        self.assertIn("met", lines[2])
        self.assertIn("(figure only)", lines[3])


if __name__ == "__main__":
    unittest.main()
