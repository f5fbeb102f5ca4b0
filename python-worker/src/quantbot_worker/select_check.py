"""The Query sandbox's statement check: DuckDB's own parser decides, never a regex over SQL.

A client's text passes when DuckDB parses it as exactly one SELECT (DESCRIBE, SUMMARIZE, SHOW,
FROM-first, VALUES and PIVOT with an IN list are SELECTs to DuckDB too) whose syntax tree calls no
function that acts on the database instead of reading it. The tree comes from DuckDB's
``json_serialize_sql``, which parses the same text with the same parser that later runs it, so
comments (nested ``/* /* */ */``, ``--`` ended by a carriage return), quoting, string literals,
dollar quotes and unusual whitespace are read exactly as DuckDB reads them. The text that passed
is the text that runs, unchanged: the handler gets it only as a :class:`CheckedSelect`.

Table functions are allowed by name (reading files in the allowed folders, generators, catalog
introspection); everything else that appears in a FROM clause as a function is refused, so a new
DuckDB release's table functions stay refused until someone looks at them. ``enable_logging()``,
for one, changes settings and writes files even though the configuration is locked.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from quantbot_worker.errors import ErrorCode, WorkerFailure

MAX_SQL_CHARS = 1_000_000
# Verdicts on texts up to this size are remembered (passes only; a bounded number).
_REMEMBERED_MAX_CHARS = 4096

# Table functions a Query may call: they read files (DuckDB's allowed_directories still applies),
# generate rows, or describe the catalog.
ALLOWED_TABLE_FUNCTIONS = frozenset(
    {
        "read_parquet", "parquet_scan", "parquet_metadata", "parquet_schema", "parquet_file_metadata",
        "parquet_kv_metadata", "parquet_full_metadata", "parquet_bloom_probe",
        "read_csv", "read_csv_auto", "sniff_csv", "read_json", "read_json_auto", "read_json_objects",
        "read_json_objects_auto", "read_ndjson", "read_ndjson_auto", "read_ndjson_objects", "read_text",
        "read_blob", "glob",
        "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree", "summary",
        "histogram", "histogram_values",
        "duckdb_columns", "duckdb_constraints", "duckdb_databases", "duckdb_dependencies", "duckdb_functions",
        "duckdb_indexes", "duckdb_keywords", "duckdb_schemas", "duckdb_sequences", "duckdb_settings",
        "duckdb_tables", "duckdb_types", "duckdb_views", "duckdb_memory", "duckdb_temporary_files",
        "duckdb_variables", "duckdb_optimizers",
        "pragma_table_info", "pragma_show", "pragma_version", "pragma_platform", "pragma_database_size",
        "pragma_storage_info", "pragma_metadata_info", "pragma_collations", "pragma_user_agent",
        "icu_calendar_names", "pg_timezone_names",
    }
)  # fmt: skip

# Functions refused wherever they appear: they write (logs), sleep without an interrupt check, run
# other SQL text, or are the worker's own test hook.
DENIED_FUNCTIONS = frozenset(
    {
        "write_log", "sleep_ms", "qb_sleep_tick", "query", "query_table", "json_execute_serialized_sql",
        "enable_logging", "disable_logging", "truncate_duckdb_logs", "enable_profiling", "disable_profiling",
        "checkpoint", "force_checkpoint", "read_duckdb", "arrow_scan", "arrow_scan_dumb", "pandas_scan",
        "python_map_function",
    }
)  # fmt: skip


@dataclass(frozen=True)
class CheckedSelect:
    """A text that passed :func:`check_select`; the only form in which the handler takes SQL."""

    sql: str


def check_select(sql: str) -> CheckedSelect:
    """Returns the text as a :class:`CheckedSelect` if it is exactly one allowed SELECT, else raises INVALID_SQL."""
    if len(sql) > MAX_SQL_CHARS:
        raise WorkerFailure(ErrorCode.INVALID_SQL, f"SQL is longer than {MAX_SQL_CHARS} characters")
    if len(sql) <= _REMEMBERED_MAX_CHARS:
        _check_remembered(sql)  # raises (and remembers nothing) when the text is refused
    else:
        _check(sql)
    return CheckedSelect(sql)


@functools.lru_cache(maxsize=256)
def _check_remembered(sql: str) -> None:
    _check(sql)


def _normalized(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().rstrip(";").strip()


def _check(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise WorkerFailure(ErrorCode.INVALID_SQL, f"SQL does not parse: {e}") from e
    if len(statements) != 1:
        raise WorkerFailure(
            ErrorCode.INVALID_SQL, f"expected exactly one SELECT statement, got {len(statements)} statements"
        )
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        raise WorkerFailure(ErrorCode.INVALID_SQL, f"only SELECT statements are allowed, got {statement.type.name}")
    # A shortcut that DuckDB rewrites into a SELECT (PRAGMA database_list) has other text than was sent.
    if _normalized(statement.query) != _normalized(sql):
        raise WorkerFailure(
            ErrorCode.INVALID_SQL, "only SELECT statements are allowed (PRAGMA and other shortcuts are not)"
        )
    tree = _syntax_tree(sql)
    trees = tree.get("statements", [])
    if len(trees) != 1:
        raise WorkerFailure(ErrorCode.INVALID_SQL, f"expected exactly one SELECT statement, got {len(trees)}")
    for name, is_table_function in _functions(trees[0]):
        if name in DENIED_FUNCTIONS:
            raise WorkerFailure(ErrorCode.INVALID_SQL, f"the function {name}() is not allowed in a Query")
        if is_table_function and name not in ALLOWED_TABLE_FUNCTIONS:
            raise WorkerFailure(
                ErrorCode.INVALID_SQL,
                f"the table function {name}() is not allowed in a Query (allowed: read_parquet, read_csv, "
                "read_json, glob, range, unnest and the other file readers, generators and duckdb_* catalog views)",
            )


class _Parser:
    """A private in-memory database that only parses (``json_serialize_sql``); it never runs client text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None

    def tree(self, sql: str) -> dict[str, Any]:
        with self._lock:
            if self._connection is None:
                connection = duckdb.connect(":memory:")
                connection.execute("SET enable_external_access = false")
                connection.execute("SET lock_configuration = true")
                self._connection = connection
            row = self._connection.execute("SELECT json_serialize_sql($1)", [sql]).fetchone()
        if row is None or not isinstance(row[0], str):
            raise WorkerFailure(ErrorCode.INVALID_SQL, "the statement cannot be checked")
        tree: dict[str, Any] = json.loads(row[0])
        return tree


_PARSER = _Parser()


def _syntax_tree(sql: str) -> dict[str, Any]:
    tree = _PARSER.tree(sql)
    if tree.get("error"):
        # DuckDB parsed it as a SELECT above, so this is a form the serializer does not know: refuse it.
        raise WorkerFailure(
            ErrorCode.INVALID_SQL, f"the statement cannot be checked: {tree.get('error_message', 'unknown error')}"
        )
    return tree


def _functions(node: Any) -> Iterator[tuple[str, bool]]:
    """Every function the tree calls: (lower-case name, whether it is a table function in a FROM clause)."""
    stack = [(node, False)]
    while stack:
        item, in_table_ref = stack.pop()
        if isinstance(item, dict):
            name = item.get("function_name")
            if isinstance(name, str):
                yield name.lower(), in_table_ref
            table_function = item.get("type") == "TABLE_FUNCTION"
            for key, value in item.items():
                stack.append((value, table_function and key == "function"))
        elif isinstance(item, list):
            stack.extend((value, False) for value in item)
