"""AnalyzeSweep: leaderboards checked against numpy on a synthetic sweep."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from quantbot.storage.worker.v1 import worker_pb2

from conftest import SOL, Code, Env

OVERLAYS = ["tp_sl", "trailing"]
LAGS = [0, 5_000]
INTERVALS = ["1m", "5m"]
CALLERS = ["alice", "bob", "carol"]


def results_table(sweep_id: str = "s1", calls: int = 12) -> pa.Table:
    rows = []
    for overlay in OVERLAYS:
        for lag in LAGS:
            for interval in INTERVALS:
                scenario = f"{overlay}-{lag}-{interval}"
                for i in range(calls):
                    tradeable = i % 7 != 6
                    net = (0.02 if overlay == "tp_sl" else -0.01) - lag / 1e6 + ((i * 5) % 9 - 4) * 0.01
                    if interval == "5m":
                        net += 0.003
                    rows.append({
                        "run_id": f"run-{scenario}", "sweep_id": sweep_id, "scenario_id": scenario,
                        "interval": interval, "lag_ms": lag, "overlay_set": overlay, "call_id": f"call-{i:03d}",
                        "caller": CALLERS[i % 3], "token": SOL, "chain": "solana",
                        "call_ts": 1_700_000_000_000 + i * 3_600_000,
                        "entry_ts": 1_700_000_000_000 + i * 3_600_000 + lag if tradeable else None,
                        "entry_px": 1.0 if tradeable else None, "exit_ts": None, "exit_px": None,
                        "exit_reason": "time_exit" if tradeable else None,
                        "gross_return": net + 0.008 if tradeable else None,
                        "net_return": net if tradeable else None,
                        "fees": 6.0 if tradeable else None, "slippage": 2.0 if tradeable else None,
                        "candles_used": 30 if tradeable else 0, "tradeable": tradeable,
                        "skip_reason": None if tradeable else ("entry_after_data" if lag else "no_candles"),
                    })  # fmt: skip
    return pa.Table.from_pylist(rows)


def write_results(folder: Path, parts: int = 2) -> list[str]:
    table = results_table()
    paths = []
    step = math.ceil(table.num_rows / parts)
    for p in range(parts):
        path = folder / f"sealed-{p}.parquet"
        pq.write_table(table.slice(p * step, step), path)
        paths.append(str(path))
    return paths


def expected_board(dimensions: list[str]) -> list[tuple]:
    groups: dict[tuple, list] = defaultdict(list)
    skipped: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in results_table().to_pylist():
        key = tuple(str(row[d]) for d in dimensions)
        if row["tradeable"]:
            groups[key].append(row["net_return"])
        else:
            skipped[key][row["skip_reason"]] += 1
    out = []
    for key, values in groups.items():
        v = np.array(values)
        reasons = dict(skipped[key])
        out.append(
            (
                list(key),
                len(v),
                v.mean(),
                *np.percentile(v, [5, 50, 95]),
                (v > 0).mean(),
                sum(reasons.values()),
                reasons,
            )
        )
    return sorted(out, key=lambda r: -r[2])


@pytest.mark.parametrize(
    ("name", "dimensions"),
    [("by_overlay", ["overlay_set"]), ("by_lag_interval", ["lag_ms", "interval"]), ("by_caller", ["caller"]),
     ("by_scenario", ["scenario_id"]), ("overall", [])],
)  # fmt: skip
def test_leaderboards_match_numpy(env: Env, name: str, dimensions: list[str]) -> None:
    paths = write_results(env.lake)
    result = env.ok("analyze_sweep", worker_pb2.AnalyzeSweepOp(sweep_id="s1", parquet_paths=paths, top_n=50))
    sweep = result.analyze_sweep
    assert sweep.rows == results_table().num_rows
    assert sweep.runs == len(OVERLAYS) * len(LAGS) * len(INTERVALS)
    assert [b.name for b in sweep.leaderboards] == [
        "by_overlay", "by_lag_interval", "by_caller", "by_scenario", "overall"
    ]  # fmt: skip
    board = next(b for b in sweep.leaderboards if b.name == name)
    assert list(board.dimensions) == dimensions
    expected = expected_board(dimensions)
    assert len(board.rows) == len(expected)
    for row, (keys, count, mean, p5, p50, p95, win, skipped, reasons) in zip(board.rows, expected, strict=True):
        assert list(row.keys) == keys
        assert row.count == count and row.skipped == skipped
        assert dict(row.skip_reasons) == reasons
        for got, want in ((row.mean, mean), (row.p5, p5), (row.p50, p50), (row.p95, p95), (row.win_rate, win)):
            assert got == pytest.approx(want, abs=1e-12)
    means = [r.mean for r in board.rows]
    assert means == sorted(means, reverse=True)


def test_top_n_limits_rows(env: Env) -> None:
    paths = write_results(env.lake)
    sweep = env.ok("analyze_sweep", worker_pb2.AnalyzeSweepOp(parquet_paths=paths, top_n=2)).analyze_sweep
    assert all(len(b.rows) <= 2 for b in sweep.leaderboards)
    assert len(next(b for b in sweep.leaderboards if b.name == "by_scenario").rows) == 2


def test_group_without_tradeable_rows_sorts_last(env: Env) -> None:
    table = results_table()
    only_skipped = table.filter(pa.compute.equal(table.column("scenario_id"), "tp_sl-0-1m")).to_pylist()
    for row in only_skipped:
        row.update(scenario_id="dead", tradeable=False, net_return=None)
    path = env.lake / "r.parquet"
    pq.write_table(pa.concat_tables([table, pa.Table.from_pylist(only_skipped, schema=table.schema)]), path)
    sweep = env.ok("analyze_sweep", worker_pb2.AnalyzeSweepOp(parquet_paths=[str(path)], top_n=100)).analyze_sweep
    last = next(b for b in sweep.leaderboards if b.name == "by_scenario").rows[-1]
    assert list(last.keys) == ["dead"] and last.count == 0 and math.isnan(last.mean) and last.skipped == 12
    # 11 were tradeable before the rewrite (NULL reason: "unknown"), 1 was skipped with no_candles.
    assert dict(last.skip_reasons) == {"unknown": 11, "no_candles": 1}


def test_overall_counts_every_skip_reason(env: Env) -> None:
    table = results_table()
    rows = table.to_pylist()
    rows[0].update(tradeable=False, net_return=None, skip_reason="limit_not_filled")
    path = env.lake / "r.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    sweep = env.ok("analyze_sweep", worker_pb2.AnalyzeSweepOp(parquet_paths=[str(path)], top_n=100)).analyze_sweep
    overall = next(b for b in sweep.leaderboards if b.name == "overall")
    assert list(overall.dimensions) == [] and len(overall.rows) == 1
    (row,) = overall.rows
    # 8 scenarios x 12 calls; call 6 of each scenario is skipped (4 with lag 0, 4 with lag 5 s) plus the rewrite.
    assert list(row.keys) == [] and row.count + row.skipped == 8 * 12
    assert dict(row.skip_reasons) == {"no_candles": 4, "entry_after_data": 4, "limit_not_filled": 1}
    assert row.skipped == 9


def test_files_without_skip_reason_count_unknown(env: Env) -> None:
    path = env.lake / "r.parquet"
    pq.write_table(results_table().drop(["skip_reason"]), path)
    sweep = env.ok("analyze_sweep", worker_pb2.AnalyzeSweepOp(parquet_paths=[str(path)], top_n=100)).analyze_sweep
    (row,) = next(b for b in sweep.leaderboards if b.name == "overall").rows
    assert dict(row.skip_reasons) == {"unknown": 8}


def test_bad_inputs(env: Env) -> None:
    assert env.error("analyze_sweep", worker_pb2.AnalyzeSweepOp()).code == Code.INVALID_ARGUMENT
    missing = str(env.lake / "missing.parquet")
    assert env.error("analyze_sweep", worker_pb2.AnalyzeSweepOp(parquet_paths=[missing])).code == Code.NOT_FOUND
    wrong = env.lake / "wrong.parquet"
    pq.write_table(pa.table({"x": [1]}), wrong)
    error = env.error("analyze_sweep", worker_pb2.AnalyzeSweepOp(parquet_paths=[str(wrong)]))
    assert error.code == Code.INVALID_INPUT_DATA and "net_return" in error.message
    assert (
        env.error("analyze_sweep", worker_pb2.AnalyzeSweepOp(parquet_paths=["/etc/passwd"])).code
        == Code.PATH_NOT_ALLOWED
    )
