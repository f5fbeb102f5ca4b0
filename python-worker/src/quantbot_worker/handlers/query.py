"""Query: one read-only SELECT over temporary views of the Parquet files the request names.

The client's text runs exactly as it was checked (:mod:`quantbot_worker.select_check`): it is never
rewritten. The views are temporary views on the request's own cursor, created by a statement built
only from checked names and quoted paths, so they vanish with the cursor when the request ends.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
import uuid
from collections.abc import Callable
from typing import Any, TypeVar, cast

import duckdb
import pyarrow as pa
from duckdb.sqltypes import DuckDBPyType
from quantbot.storage.v1 import common_pb2
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, WorkerFailure
from quantbot_worker.paths import check_input_files
from quantbot_worker.sandbox import check_identifier, parquet_list_sql, quote_identifier, quote_literal
from quantbot_worker.select_check import CheckedSelect, check_select

DEFAULT_ROW_LIMIT = 10_000
MAX_ROW_LIMIT = 1_000_000
MAX_VIEWS = 64
# Inline results must stay well below the frame limit; bigger answers belong in a file.
MAX_RESULT_BYTES = 64 * 1024 * 1024


def create_views(ctx: RequestContext, views: list[tuple[str, list[str]]]) -> None:
    """Temporary views on the request's cursor, one per name, created in one ``execute``.

    Temporary objects belong to the cursor's own client context: another cursor never sees them,
    and closing the cursor (the worker does so after every request) discards them, so there is
    no DROP here. The text is built only from checked names and quoted literals, and DuckDB's
    parser confirms it is one CREATE per view before it runs.
    """
    if not views:
        return
    sql = ";\n".join(
        f"CREATE TEMP VIEW {quote_identifier(name)} AS SELECT * FROM read_parquet({_files_sql(paths)})"
        for name, paths in views
    )
    statements = duckdb.extract_statements(sql)
    if len(statements) != len(views) or any(s.type != duckdb.StatementType.CREATE for s in statements):
        raise WorkerFailure(ErrorCode.INTERNAL, "the views' statement does not parse as one CREATE per view")
    ctx.cursor.execute(sql)


def _files_sql(paths: list[str]) -> str:
    # One file as a plain string binds ~40 us faster than a one-element list; DuckDB reads (and
    # globs) a string and a list entry alike, tests/test_query.py checks that.
    return quote_literal(paths[0]) if len(paths) == 1 else parquet_list_sql(paths)


# Arrow: (table, DuckDB type names); JSON: (column names, DuckDB type names, rows).
_Fetched = tuple[pa.Table, list[str]] | tuple[list[str], list[str], list[dict[str, Any]]]


def _fetch(ctx: RequestContext, fmt: str, statement: CheckedSelect, limit: int) -> _Fetched:
    sql = statement.sql
    return _arrow_table(ctx, sql, limit) if fmt == "arrow" else _json_ready_rows(ctx, sql, limit)


def handle(ctx: RequestContext, op: worker_pb2.QueryOp) -> worker_pb2.Result:
    fmt = op.format.lower() or "json"
    if fmt not in ("json", "arrow"):
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"format must be 'json' or 'arrow', got {op.format!r}")
    limit = op.row_limit if op.row_limit > 0 else DEFAULT_ROW_LIMIT
    if limit > MAX_ROW_LIMIT:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"row_limit must be <= {MAX_ROW_LIMIT}, got {op.row_limit}")
    if len(op.views) > MAX_VIEWS:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"at most {MAX_VIEWS} views per query")
    statement = check_select(op.sql)
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

    _query(ctx, lambda: create_views(ctx, views))
    fetched = _query(ctx, lambda: _fetch(ctx, fmt, statement, limit))
    result = worker_pb2.QueryResult()
    if fmt == "arrow":
        table, types = cast(tuple[pa.Table, list[str]], fetched)
        truncated = table.num_rows > limit
        if truncated:
            table = table.slice(0, limit)
        names = table.column_names
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        data = sink.getvalue().to_pybytes()
        _check_size(len(data))
        result.arrow_ipc = data
        row_count = table.num_rows
    else:
        names, types, rows = cast(tuple[list[str], list[str], list[dict[str, Any]]], fetched)
        truncated = len(rows) > limit
        if truncated:
            del rows[limit:]
        text = json.dumps(rows, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        _check_size(len(text))
        result.json_rows = text
        row_count = len(rows)
    result.row_count = row_count
    result.truncated = truncated
    result.columns.extend(common_pb2.ColumnInfo(name=n, type=t) for n, t in zip(names, types, strict=True))
    return worker_pb2.Result(query=result)


_T = TypeVar("_T")


def _query(ctx: RequestContext, run: Callable[[], _T]) -> _T:
    """Runs the user's statement (through ``run``) and turns DuckDB's errors into worker errors."""
    try:
        return run()
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


def _limited_relation(ctx: RequestContext, sql: str, limit: int) -> duckdb.DuckDBPyRelation:
    # The relation API adds the LIMIT around the statement without splicing SQL text.
    relation = ctx.cursor.sql(sql)
    if relation is None:
        raise WorkerFailure(ErrorCode.INVALID_SQL, "the statement returns no rows")
    return relation.limit(limit + 1)


def _arrow_table(ctx: RequestContext, sql: str, limit: int) -> tuple[pa.Table, list[str]]:
    relation = _limited_relation(ctx, sql, limit)
    table: pa.Table = relation.to_arrow_table()
    return table, [str(t) for t in relation.types]


def _needs_limit_operator(sql: str) -> bool:
    """Whether the statement may sort: only then does a LIMIT around it change the plan.

    DuckDB turns ORDER BY + LIMIT into a top-N (a heap of limit + 1 rows instead of a full sort;
    30M rows: 0.1 s instead of 1.6 s). Any other statement streams: fetching limit + 1 rows and
    closing the cursor stops it just as early, and the statement is bound once instead of twice.
    The word test is deliberately coarse (a column named ``order_id`` takes the LIMIT path too).
    """
    return "order" in sql.lower()


def _json_ready_rows(ctx: RequestContext, sql: str, limit: int) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """At most limit + 1 rows as JSON-ready dicts, with the column names and DuckDB type names."""
    cursor = ctx.cursor
    if _needs_limit_operator(sql):
        relation = _limited_relation(ctx, sql, limit)
        names = list(relation.columns)
        duck_types = list(relation.types)
        if all(_python_safe(t) for t in duck_types):
            rows = relation.fetchall()
        else:
            return names, [str(t) for t in duck_types], _json_rows(relation.to_arrow_table())
    else:
        cursor.execute(sql)
        description = cursor.description or []
        names = [d[0] for d in description]
        duck_types = [d[1] for d in description]
        if all(_python_safe(t) for t in duck_types):
            rows = cursor.fetchmany(limit + 1)
        else:
            return names, [str(t) for t in duck_types], _json_rows(_arrow_prefix(cursor, limit + 1))
    converters = [_converter(t) for t in duck_types]
    keys = _unique_names(names)
    if not any(converters):
        out = [dict(zip(keys, row, strict=True)) for row in rows]
    else:
        out = [
            {
                key: value if convert is None else convert(value)
                for key, convert, value in zip(keys, converters, row, strict=True)
            }
            for row in rows
        ]
    return names, [str(t) for t in duck_types], out


def _arrow_prefix(cursor: duckdb.DuckDBPyConnection, rows: int) -> pa.Table:
    """The first ``rows`` rows of the cursor's pending result as Arrow (the rest is not computed)."""
    reader = cursor.to_arrow_reader(rows)
    batches = []
    count = 0
    for batch in reader:
        batches.append(batch)
        count += batch.num_rows
        if count >= rows:
            break
    return pa.Table.from_batches(batches, schema=reader.schema).slice(0, rows)


# Types whose Python values (DuckDB's own conversion) turn into exactly the JSON that the Arrow
# conversion gives; every other type (temporal types, INTERVAL, MAP, HUGEINT, BIT, ...) takes the
# Arrow path, so its output stays what it was. tests/test_query.py compares both paths per type.
_PLAIN_TYPES = frozenset(
    {"boolean", "tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger", "ubigint",
     "varchar", "enum"}
)  # fmt: skip
_CONVERTED_TYPES = frozenset({"float", "double", "decimal", "blob", "uuid"})
_NESTED_TYPES = frozenset({"list", "array", "struct"})


def _python_safe(duck_type: DuckDBPyType) -> bool:
    type_id = duck_type.id
    if type_id in _PLAIN_TYPES or type_id in _CONVERTED_TYPES:
        return True
    if type_id in _NESTED_TYPES:
        # Children are (name, type) pairs; an ARRAY also lists its ('size', n).
        return all(_python_safe(child) for _, child in duck_type.children if isinstance(child, DuckDBPyType))
    return False


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _converter(duck_type: DuckDBPyType) -> Callable[[Any], Any] | None:
    type_id = duck_type.id
    if type_id in _PLAIN_TYPES:
        return None
    if type_id in ("float", "double"):
        return _finite
    return _json_value


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
