"""AnalyzeSweep: leaderboards of net return over a sweep's sealed run_results files."""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
from quantbot.storage.v1 import common_pb2
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, WorkerFailure
from quantbot_worker.paths import check_input_files
from quantbot_worker.sandbox import parquet_list_sql, quote_identifier

DEFAULT_TOP_N = 20
MAX_TOP_N = 10_000
RESULTS_VIEW = "results"
REQUIRED_COLUMNS = ("run_id", "scenario_id", "interval", "lag_ms", "overlay_set", "caller", "net_return", "tradeable")


@dataclass(frozen=True)
class Board:
    name: str
    dimensions: tuple[str, ...]


BOARDS = (
    Board("by_overlay", ("overlay_set",)),
    Board("by_lag_interval", ("lag_ms", "interval")),
    Board("by_caller", ("caller",)),
    Board("by_scenario", ("scenario_id",)),
)


def open_results(ctx: RequestContext, paths: list[str]) -> None:
    """A temporary view ``results`` over the files; checks the columns the boards need."""
    files = check_input_files(paths, ctx.config.allowed_directories, "parquet_paths")
    try:
        source = f"read_parquet({parquet_list_sql(files)}, union_by_name = true)"
        ctx.cursor.execute(f"CREATE TEMP VIEW {RESULTS_VIEW} AS SELECT * FROM {source}")
        columns = {row[0] for row in ctx.cursor.execute(f"DESCRIBE {RESULTS_VIEW}").fetchall()}
    except duckdb.InterruptException:
        raise
    except duckdb.PermissionException as e:
        raise WorkerFailure(ErrorCode.PATH_NOT_ALLOWED, str(e)) from e
    except duckdb.Error as e:
        raise WorkerFailure(ErrorCode.INVALID_INPUT_DATA, f"cannot read the run_results files: {e}") from e
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise WorkerFailure(ErrorCode.INVALID_INPUT_DATA, f"run_results files lack the columns {missing}")


def leaderboard(cursor: duckdb.DuckDBPyConnection, board: Board, top_n: int) -> common_pb2.Leaderboard:
    """count/mean/p5/p50/p95/win rate of net_return over tradeable rows, plus skipped rows.

    Groups with no tradeable row have count 0 and NaN statistics and sort last.
    """
    keys = ", ".join(quote_identifier(d) for d in board.dimensions)
    key_text = ", ".join(f"CAST({quote_identifier(d)} AS VARCHAR)" for d in board.dimensions)
    tradeable = "tradeable AND net_return IS NOT NULL"
    sql = f"""
        SELECT [{key_text}] AS keys,
               count(*) FILTER (WHERE {tradeable}) AS n,
               avg(net_return) FILTER (WHERE {tradeable}) AS mean,
               quantile_cont(net_return, [0.05, 0.5, 0.95]) FILTER (WHERE {tradeable}) AS q,
               avg(CASE WHEN net_return > 0 THEN 1.0 ELSE 0.0 END) FILTER (WHERE {tradeable}) AS win_rate,
               count(*) FILTER (WHERE NOT COALESCE(tradeable, false)) AS skipped
        FROM {RESULTS_VIEW}
        GROUP BY {keys}
        ORDER BY mean DESC NULLS LAST, n DESC, {keys}
        LIMIT {int(top_n)}
    """
    result = common_pb2.Leaderboard(name=board.name, dimensions=board.dimensions)
    for keys_, n, mean, q, win_rate, skipped in cursor.execute(sql).fetchall():
        quantiles = q or [math.nan, math.nan, math.nan]
        result.rows.append(
            common_pb2.LeaderboardRow(
                keys=["" if k is None else k for k in keys_],
                count=n,
                mean=_number(mean),
                p5=_number(quantiles[0]),
                p50=_number(quantiles[1]),
                p95=_number(quantiles[2]),
                win_rate=_number(win_rate),
                skipped=skipped,
            )
        )
    return result


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def handle(ctx: RequestContext, op: worker_pb2.AnalyzeSweepOp) -> worker_pb2.Result:
    top_n = op.top_n if op.top_n > 0 else DEFAULT_TOP_N
    if top_n > MAX_TOP_N:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"top_n must be <= {MAX_TOP_N}, got {op.top_n}")
    open_results(ctx, list(op.parquet_paths))
    row = ctx.cursor.execute(f"SELECT count(*), count(DISTINCT run_id) FROM {RESULTS_VIEW}").fetchone()
    assert row is not None
    result = worker_pb2.AnalyzeSweepResult(rows=row[0], runs=row[1])
    for board in BOARDS:
        ctx.check()
        result.leaderboards.append(leaderboard(ctx.cursor, board, top_n))
    return worker_pb2.Result(analyze_sweep=result)
