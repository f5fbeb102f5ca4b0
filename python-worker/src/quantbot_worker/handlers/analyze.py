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
    # Every row of the sweep as one group: the sweep's coverage and skip reasons.
    Board("overall", ()),
)
UNKNOWN_SKIP_REASON = "unknown"


def open_results(ctx: RequestContext, paths: list[str]) -> set[str]:
    """A temporary view ``results`` over the files; checks the columns the boards need, returns all."""
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
    return columns


def leaderboard(
    cursor: duckdb.DuckDBPyConnection, board: Board, top_n: int, has_skip_reason: bool = True
) -> common_pb2.Leaderboard:
    """count/mean/p5/p50/p95/win rate of net_return over tradeable rows, plus skipped rows by reason.

    Groups with no tradeable row have count 0 and NaN statistics and sort last. A board without
    dimensions has one row (empty keys) over every row.
    """
    tradeable = "tradeable AND net_return IS NOT NULL"
    skipped = "NOT COALESCE(tradeable, false)"
    if board.dimensions:
        keys = ", ".join(quote_identifier(d) for d in board.dimensions)
        key_text = ", ".join(f"CAST({quote_identifier(d)} AS VARCHAR)" for d in board.dimensions)
        group_by = f"GROUP BY {keys}"
        order_by = f"ORDER BY mean DESC NULLS LAST, n DESC, {keys}"
    else:
        key_text = ""
        group_by = ""
        order_by = ""
    unknown = f"'{UNKNOWN_SKIP_REASON}'"
    reason = f"COALESCE(CAST(skip_reason AS VARCHAR), {unknown})" if has_skip_reason else unknown
    sql = f"""
        SELECT CAST([{key_text}] AS VARCHAR[]) AS keys,
               count(*) FILTER (WHERE {tradeable}) AS n,
               avg(net_return) FILTER (WHERE {tradeable}) AS mean,
               quantile_cont(net_return, [0.05, 0.5, 0.95]) FILTER (WHERE {tradeable}) AS q,
               avg(CASE WHEN net_return > 0 THEN 1.0 ELSE 0.0 END) FILTER (WHERE {tradeable}) AS win_rate,
               count(*) FILTER (WHERE {skipped}) AS skipped,
               histogram({reason}) FILTER (WHERE {skipped}) AS reasons
        FROM {RESULTS_VIEW}
        {group_by}
        {order_by}
        LIMIT {int(top_n)}
    """
    result = common_pb2.Leaderboard(name=board.name, dimensions=board.dimensions)
    for keys_, n, mean, q, win_rate, skipped_rows, reasons in cursor.execute(sql).fetchall():
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
                skipped=skipped_rows,
                skip_reasons=_counts(reasons),
            )
        )
    return result


def _counts(histogram: object) -> dict[str, int]:
    """DuckDB's histogram() MAP as a dict (None when the group has no skipped row)."""
    if histogram is None:
        return {}
    if isinstance(histogram, dict) and set(histogram) == {"key", "value"}:
        return {str(k): int(v) for k, v in zip(histogram["key"], histogram["value"], strict=True)}
    if isinstance(histogram, dict):
        return {str(k): int(v) for k, v in histogram.items()}
    raise WorkerFailure(ErrorCode.INTERNAL, f"unexpected histogram value {type(histogram).__name__}")


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def handle(ctx: RequestContext, op: worker_pb2.AnalyzeSweepOp) -> worker_pb2.Result:
    top_n = op.top_n if op.top_n > 0 else DEFAULT_TOP_N
    if top_n > MAX_TOP_N:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"top_n must be <= {MAX_TOP_N}, got {op.top_n}")
    columns = open_results(ctx, list(op.parquet_paths))
    row = ctx.cursor.execute(f"SELECT count(*), count(DISTINCT run_id) FROM {RESULTS_VIEW}").fetchone()
    assert row is not None
    result = worker_pb2.AnalyzeSweepResult(rows=row[0], runs=row[1])
    for board in BOARDS:
        ctx.check()
        result.leaderboards.append(leaderboard(ctx.cursor, board, top_n, "skip_reason" in columns))
    return worker_pb2.Result(analyze_sweep=result)
