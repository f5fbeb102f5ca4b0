"""The worker's one DuckDB database (empty, read-only), its lockdown, and the check that nothing outlives a request."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import secrets
import time
from typing import Any

import duckdb
import pyarrow as pa
from duckdb.sqltypes import BIGINT, BOOLEAN

from quantbot_worker.config import WorkerConfig
from quantbot_worker.errors import ErrorCode, WorkerFailure

SLEEP_FUNCTION = "qb_sleep_tick"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def limit_data(config: WorkerConfig) -> None:
    """Caps the process's heap and anonymous memory (RLIMIT_DATA) at ``config.data_limit_bytes``.

    DuckDB's memory_limit governs its buffer manager only: a list aggregate such as
    ``SELECT list(range(1000000000))`` allocates past it until the machine runs out. Under the cap
    the allocation fails, DuckDB raises OutOfMemoryException (the request answers
    RESOURCE_EXHAUSTED) and the worker serves the next request. Never raises the hard limit.
    """
    if config.data_limit_bytes <= 0:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    soft = config.data_limit_bytes if hard == resource.RLIM_INFINITY else min(config.data_limit_bytes, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def open_connection(config: WorkerConfig) -> duckdb.DuckDBPyConnection:
    """Opens the worker's database and locks it down.

    The database is an empty DuckDB file opened read-only (and unlinked at once): nothing can
    create a table, view, macro, type or schema that outlives a request, only temporary objects,
    which belong to the request's cursor and die with it; nor can ATTACH create a database file.
    The order of the settings matters: allowed_directories cannot be changed once external access
    is off, and nothing can be changed once the configuration is locked.
    """
    con = _open_read_only_empty(config.staging_dir)
    if config.memory_limit:
        con.execute("SET memory_limit = $1", [config.memory_limit])
    if config.threads > 0:
        con.execute("SET threads = $1", [config.threads])
    # Spill files go to a private folder inside staging (an allowed directory), not to ./.tmp.
    con.execute("SET temp_directory = $1", [os.path.join(config.staging_dir, f".duckdb-tmp-{os.getpid()}")])
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET allow_persistent_secrets = false")
    # Table names never resolve to Python objects of the worker (DataFrames, Arrow tables in scope).
    con.execute("SET python_enable_replacements = false")
    con.execute("SET allowed_directories = $1", [[_with_slash(path) for path in config.allowed_directories]])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    _register_sleep_function(con)
    return con


def _open_read_only_empty(staging_dir: str) -> duckdb.DuckDBPyConnection:
    path = os.path.join(staging_dir, f".duckdb-empty-{os.getpid()}-{secrets.token_hex(8)}.db")
    try:
        duckdb.connect(path).close()
        return duckdb.connect(path, read_only=True)
    finally:
        # The open database keeps its file handle; the name is not needed again.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path + ".wal")


# What a request could leave behind on the shared database: attached databases, secrets, settings.
# Catalog entries cannot outlive a request (the database is read-only, temporary objects die with
# the request's cursor), extensions cannot be loaded, and SET is refused once the configuration is
# locked; the settings watched are the lock itself and those that table functions change despite
# it (logging, profiling), with the limits the sandbox rests on. Three small statements, measured
# cheapest this way (one statement with subqueries costs several times as much).
_WATCHED_SETTINGS = (
    "lock_configuration", "enable_external_access", "allowed_directories", "memory_limit",
    "enable_logging", "logging_storage", "enable_profiling", "profiling_output",
)  # fmt: skip
_CHECK_SQL = (
    "SELECT * FROM duckdb_approx_database_count()",
    "SELECT count(*) FROM duckdb_secrets()",
    "SELECT " + ", ".join(f"current_setting('{name}')" for name in _WATCHED_SETTINGS),
)
# Read at start and when the check differs, to say what changed.
_DETAIL_SQL = {
    "attached databases": "SELECT database_name, coalesce(path, ''), readonly, type FROM duckdb_databases()",
    "secrets": "SELECT name, type, persistent FROM duckdb_secrets()",
    "settings": "SELECT name, coalesce(value, '') FROM duckdb_settings()",
}


class StateGuard:
    """Compares the shared database's state after each request with its state at start."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection
        self._baseline = self._check()
        self._details = self._read_details()

    def _check(self) -> tuple[Any, ...]:
        return tuple(tuple(self._connection.execute(sql).fetchall()) for sql in _CHECK_SQL)

    def _read_details(self) -> dict[str, list[Any]]:
        return {label: self._connection.execute(sql).fetchall() for label, sql in _DETAIL_SQL.items()}

    def changes(self) -> str:
        """What differs from the state at start, or "" when nothing does."""
        if self._check() == self._baseline:
            return ""
        now = self._read_details()
        changed = [
            f"{label}: {_difference(self._details[label], now[label])}"
            for label in _DETAIL_SQL
            if self._details[label] != now[label]
        ]
        return "; ".join(changed) or "the state check differs from the state at start"


def _difference(before: list[Any] | None, after: list[Any] | None) -> str:
    old = {repr(item) for item in before or []}
    new = {repr(item) for item in after or []}
    added = sorted(new - old)[:5]
    removed = sorted(old - new)[:5]
    return f"added {added}, removed {removed}"


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
