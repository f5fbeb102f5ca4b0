"""GenerateFeatures: per-token features from ohlcv_slice files, with DuckDB window functions.

Per series (token, chain, interval) ordered by ts, for candle i:
- ret_1       close_i / close_{i-1} - 1 (NULL for the first candle)
- ret_w       close_i / close_{i-w} - 1
- vol_w       sample std of the last w ret_1 values (NULL until w returns exist)
- atr_w       mean true range of the last w candles, TR = max(high - low, |high - prev close|,
              |low - prev close|), TR of the first candle = high - low (NULL until w candles)
- volume_z_w  (volume_i - mean) / sample std of the last w volumes, current one included
              (NULL until w candles, or when the std is 0)
- drawdown    close_i / max(high_1..high_i) - 1
"""

from __future__ import annotations

import duckdb
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.content_hash import hash_sorted_table
from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, Issue, WorkerFailure
from quantbot_worker.paths import check_input_files
from quantbot_worker.sandbox import parquet_list_sql
from quantbot_worker.schemas import OHLCV_SLICE, features_schema
from quantbot_worker.staging import min_max_ms, produced_artifact

DEFAULT_WINDOWS = (5, 20)
MAX_WINDOWS = 16
MAX_WINDOW = 100_000


def _windows(requested: list[int]) -> list[int]:
    if not requested:
        return list(DEFAULT_WINDOWS)
    if len(requested) > MAX_WINDOWS:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"at most {MAX_WINDOWS} windows, got {len(requested)}")
    for window in requested:
        if not 2 <= window <= MAX_WINDOW:
            raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"windows must be between 2 and {MAX_WINDOW}, got {window}")
    if len(set(requested)) != len(requested):
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"windows must be distinct, got {requested}")
    return sorted(requested)


def features_sql(source: str, windows: list[int]) -> str:
    series = "PARTITION BY token, chain, interval ORDER BY ts"
    parts = ["token", "chain", "interval", "ts", "ret_1"]
    for w in windows:
        frame = f"({series} ROWS BETWEEN {w - 1} PRECEDING AND CURRENT ROW)"
        parts += [
            f"close / lag(close, {w}) OVER ({series}) - 1 AS ret_{w}",
            f"CASE WHEN count(ret_1) OVER {frame} = {w} THEN stddev_samp(ret_1) OVER {frame} END AS vol_{w}",
            f"CASE WHEN count(*) OVER {frame} = {w} THEN avg(tr) OVER {frame} END AS atr_{w}",
            f"CASE WHEN count(*) OVER {frame} = {w} THEN (volume - avg(volume) OVER {frame}) "
            f"/ NULLIF(stddev_samp(volume) OVER {frame}, 0) END AS volume_z_{w}",
        ]
    parts.append(f"close / max(high) OVER ({series} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - 1 AS drawdown")
    return f"""
        WITH candles AS (
            SELECT token, chain, interval, ts, open, high, low, close, volume,
                   lag(close) OVER ({series}) AS prev_close
            FROM {source}
        ), steps AS (
            SELECT *, close / prev_close - 1 AS ret_1,
                   CASE WHEN prev_close IS NULL THEN high - low
                        ELSE greatest(high - low, abs(high - prev_close), abs(low - prev_close)) END AS tr
            FROM candles
        )
        SELECT {", ".join(parts)} FROM steps ORDER BY token, chain, interval, ts
    """


def handle(ctx: RequestContext, op: worker_pb2.GenerateFeaturesOp) -> worker_pb2.Result:
    if not op.logical_key:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, "logical_key is required")
    if not op.inputs:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, "at least one input ohlcv_slice is required")
    windows = _windows(list(op.windows))
    files = check_input_files([i.parquet_path for i in op.inputs], ctx.config.allowed_directories, "input")
    cursor = ctx.cursor
    try:
        cursor.execute(f"CREATE TEMP VIEW candles_in AS SELECT * FROM read_parquet({parquet_list_sql(files)})")
        columns = {row[0]: row[1] for row in cursor.execute("DESCRIBE candles_in").fetchall()}
    except duckdb.InterruptException:
        raise
    except duckdb.PermissionException as e:
        raise WorkerFailure(ErrorCode.PATH_NOT_ALLOWED, str(e)) from e
    except duckdb.Error as e:
        raise WorkerFailure(ErrorCode.INVALID_INPUT_DATA, f"cannot read the input files: {e}") from e
    missing = [c.name for c in OHLCV_SLICE.columns if c.name not in columns]
    if missing:
        raise WorkerFailure(
            ErrorCode.INVALID_INPUT_DATA, f"inputs are not ohlcv_slice files: missing columns {missing}"
        )
    duplicate = cursor.execute(
        "SELECT token, chain, interval, ts, count(*) FROM candles_in GROUP BY ALL HAVING count(*) > 1 "
        "ORDER BY ALL LIMIT 1"
    ).fetchone()
    if duplicate:
        token, chain, interval, ts, n = duplicate
        message = f"candle {token} {chain} {interval} ts {ts} appears {n} times across the inputs"
        raise WorkerFailure(ErrorCode.INVALID_INPUT_DATA, message, [Issue("", 0, "ts", message)])
    ctx.check()
    schema = features_schema(windows)
    table = cursor.execute(features_sql("candles_in", windows)).to_arrow_table().cast(schema.arrow_schema())
    content_hash = hash_sorted_table(schema.type, schema.version, schema.hash_columns(), table)
    ctx.check()
    staged = ctx.staging.write_parquet(table, op.logical_key, content_hash)
    series = cursor.execute("SELECT DISTINCT token, chain, interval FROM candles_in").fetchall()
    tags = {"windows": ",".join(str(w) for w in windows)}
    if len(series) == 1:
        tags.update(token=series[0][0], chain=series[0][1], interval=series[0][2])
    params = {"windows": windows, "input_artifact_ids": [i.artifact_id for i in op.inputs]}
    return worker_pb2.Result(
        artifact=produced_artifact(
            artifact_type=schema.type,
            schema_version=schema.version,
            logical_key=op.logical_key,
            staged=staged,
            content_hash=content_hash,
            row_count=table.num_rows,
            min_max=min_max_ms(table, "ts"),
            columns=[(c.name, c.type) for c in schema.columns],
            tags=tags,
            params=params,
        )
    )
