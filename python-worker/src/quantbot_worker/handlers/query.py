"""Query: one read-only SELECT over temporary views of the Parquet files the request names."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
import uuid
from typing import Any

import duckdb
import pyarrow as pa
from quantbot.storage.v1 import common_pb2
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, WorkerFailure
from quantbot_worker.paths import check_input_files
from quantbot_worker.sandbox import check_identifier, check_select_only, parquet_list_sql, quote_identifier

DEFAULT_ROW_LIMIT = 10_000
MAX_ROW_LIMIT = 1_000_000
MAX_VIEWS = 64
# Inline results must stay well below the frame limit; bigger answers belong in a file.
MAX_RESULT_BYTES = 64 * 1024 * 1024


def create_views(ctx: RequestContext, views: list[tuple[str, list[str]]]) -> list[str]:
    """Temporary views on the request's cursor (dropped with it), one per name."""
    created = []
    for name, paths in views:
        view = quote_identifier(name)
        ctx.cursor.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM read_parquet({parquet_list_sql(paths)})")
        created.append(name)
    return created


def drop_views(ctx: RequestContext, names: list[str]) -> None:
    for name in names:
        try:
            ctx.cursor.execute(f"DROP VIEW IF EXISTS temp.main.{quote_identifier(name)}")
        except duckdb.Error:
            pass  # an interrupted cursor may refuse; closing it drops temporary views anyway


def handle(ctx: RequestContext, op: worker_pb2.QueryOp) -> worker_pb2.Result:
    fmt = op.format.lower() or "json"
    if fmt not in ("json", "arrow"):
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"format must be 'json' or 'arrow', got {op.format!r}")
    limit = op.row_limit if op.row_limit > 0 else DEFAULT_ROW_LIMIT
    if limit > MAX_ROW_LIMIT:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"row_limit must be <= {MAX_ROW_LIMIT}, got {op.row_limit}")
    if len(op.views) > MAX_VIEWS:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"at most {MAX_VIEWS} views per query")
    sql = check_select_only(op.sql)
    views: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for view in op.views:
        name = check_identifier(view.name, "view name")
        if name in seen:
            raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"view {name!r} is named twice")
        seen.add(name)
        views.append(
            (name, check_input_files(list(view.parquet_paths), ctx.config.allowed_directories, f"view {name}"))
        )

    created: list[str] = []
    try:
        created = create_views(ctx, views)
        table, types = _run(ctx, sql, limit)
    finally:
        drop_views(ctx, created)
    truncated = table.num_rows > limit
    if truncated:
        table = table.slice(0, limit)
    result = worker_pb2.QueryResult(row_count=table.num_rows, truncated=truncated)
    result.columns.extend(common_pb2.ColumnInfo(name=n, type=t) for n, t in zip(table.column_names, types, strict=True))
    if fmt == "arrow":
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        data = sink.getvalue().to_pybytes()
        _check_size(len(data))
        result.arrow_ipc = data
    else:
        text = json.dumps(_json_rows(table), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        _check_size(len(text))
        result.json_rows = text
    return worker_pb2.Result(query=result)


def _run(ctx: RequestContext, sql: str, limit: int) -> tuple[pa.Table, list[str]]:
    try:
        # The relation API adds the LIMIT around the statement without splicing SQL text.
        relation = ctx.cursor.sql(sql)
        if relation is None:
            raise WorkerFailure(ErrorCode.INVALID_SQL, "the statement returns no rows")
        table: pa.Table = relation.limit(limit + 1).to_arrow_table()
        return table, [str(t) for t in relation.types]
    except duckdb.InterruptException:
        raise
    except duckdb.PermissionException as e:
        raise WorkerFailure(ErrorCode.PATH_NOT_ALLOWED, f"query refused: {e}") from e
    except duckdb.OutOfMemoryException as e:
        raise WorkerFailure(ErrorCode.RESOURCE_EXHAUSTED, f"query ran out of memory: {e}") from e
    except duckdb.IOException as e:
        raise WorkerFailure(ErrorCode.NOT_FOUND, f"query could not read a file: {e}") from e
    except duckdb.Error as e:
        raise WorkerFailure(ErrorCode.INVALID_SQL, f"query failed: {e}") from e


def _check_size(size: int) -> None:
    if size > MAX_RESULT_BYTES:
        raise WorkerFailure(
            ErrorCode.RESOURCE_EXHAUSTED,
            f"result of {size} bytes is larger than the inline limit of {MAX_RESULT_BYTES}; lower row_limit",
        )


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # Arrow maps come back as lists of (key, value) tuples.
        return [_json_value(v) for v in value]
    return str(value)


def _unique_names(names: list[str]) -> list[str]:
    """JSON objects need distinct keys: a repeated column name gets _2, _3, ..."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique


def _json_rows(table: pa.Table) -> list[dict[str, Any]]:
    names = _unique_names(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [
        {name: _json_value(col[row]) for name, col in zip(names, columns, strict=True)} for row in range(table.num_rows)
    ]
