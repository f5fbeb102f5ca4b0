"""The worker's one in-memory DuckDB connection and the SQL sandbox of ARCHITECTURE.md."""

from __future__ import annotations

import functools
import os
import re
import time

import duckdb
import pyarrow as pa
from duckdb.sqltypes import BIGINT, BOOLEAN

from quantbot_worker.config import WorkerConfig
from quantbot_worker.errors import ErrorCode, WorkerFailure

MAX_SQL_CHARS = 1_000_000
SLEEP_FUNCTION = "qb_sleep_tick"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def open_connection(config: WorkerConfig) -> duckdb.DuckDBPyConnection:
    """Opens the in-memory database and locks it down.

    The order matters: allowed_directories cannot be changed once external access is off, and
    nothing can be changed once the configuration is locked.
    """
    con = duckdb.connect(":memory:")
    if config.memory_limit:
        con.execute("SET memory_limit = $1", [config.memory_limit])
    if config.threads > 0:
        con.execute("SET threads = $1", [config.threads])
    # Spill files go to a private folder inside staging (an allowed directory), not to ./.tmp.
    con.execute("SET temp_directory = $1", [os.path.join(config.staging_dir, f".duckdb-tmp-{os.getpid()}")])
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET allowed_directories = $1", [[_with_slash(path) for path in config.allowed_directories]])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    _register_sleep_function(con)
    return con


def _with_slash(path: str) -> str:
    return path if path.endswith("/") else path + "/"


def _register_sleep_function(con: duckdb.DuckDBPyConnection) -> None:
    def tick(rows: pa.Array, deadline_ns: pa.Array) -> pa.Array:
        # Called once per vector: wait a little, then report whether the deadline has passed.
        # DuckDB checks for interrupt() between vectors, so the sleep stays cancellable.
        deadline = deadline_ns[0].as_py() if len(deadline_ns) else 0
        remaining = deadline - time.monotonic_ns()
        if remaining > 0:
            time.sleep(min(remaining / 1e9, 0.01))
        done = time.monotonic_ns() >= deadline
        return pa.array([done] * len(rows), type=pa.bool_())

    con.create_function(  # type: ignore[call-overload]
        SLEEP_FUNCTION, tick, [BIGINT, BIGINT], BOOLEAN, type="arrow", side_effects=True
    )


def _normalized(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().rstrip(";").strip()


def check_select_only(sql: str) -> str:
    """Returns the statement if ``sql`` is exactly one SELECT, else raises INVALID_SQL.

    DuckDB's own parser decides. PRAGMA shortcuts that DuckDB rewrites into a SELECT
    (``PRAGMA database_list``) are refused too: the statement must be the text that was sent.
    The verdict depends on the text alone, so texts that passed are remembered (short ones, a
    bounded number): a dashboard sending the same query again skips the parser.
    """
    if len(sql) > MAX_SQL_CHARS:
        raise WorkerFailure(ErrorCode.INVALID_SQL, f"SQL is longer than {MAX_SQL_CHARS} characters")
    if len(sql) <= _PASSED_MAX_CHARS:
        _check_remembered(sql)  # raises (and remembers nothing) when the text is refused
    else:
        _check_select_only(sql)
    return sql


_PASSED_MAX_CHARS = 4096


@functools.lru_cache(maxsize=256)
def _check_remembered(sql: str) -> None:
    _check_select_only(sql)


def _check_select_only(sql: str) -> None:
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
        raise WorkerFailure(
            ErrorCode.INVALID_SQL,
            f"only SELECT statements are allowed, got {statement.type.name}",
        )
    if _normalized(statement.query) != _normalized(sql):
        raise WorkerFailure(
            ErrorCode.INVALID_SQL, "only SELECT statements are allowed (PRAGMA and other shortcuts are not)"
        )


def check_identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.match(name):
        raise WorkerFailure(
            ErrorCode.INVALID_ARGUMENT,
            f"{what} {name!r} is not a valid name (lower-case letters, digits and _, starting with a "
            "letter or _, at most 63 characters)",
        )
    return name


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A SQL string literal. Only for places DuckDB does not accept parameters (CREATE VIEW)."""
    if "\x00" in value:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, "a path contains a NUL character")
    return "'" + value.replace("'", "''") + "'"


def parquet_list_sql(paths: list[str]) -> str:
    return "[" + ", ".join(quote_literal(path) for path in paths) + "]"
