"""The Query sandbox against hostile text: the statement that runs is the statement that was checked.

Regression tests for the forms that once got past the check (comments that the old view rewrite
read differently from DuckDB, table functions that act on the database), a seeded fuzz test with
DuckDB's parser as the oracle, and the state check that retires a worker whose shared database a
request changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.config import WorkerConfig
from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, WorkerFailure
from quantbot_worker.handlers import HANDLERS
from quantbot_worker.handlers import query as query_handler
from quantbot_worker.sandbox import StateGuard, open_connection
from quantbot_worker.select_check import check_select
from quantbot_worker.staging import StagingArea

from conftest import Code, Env, configure_frame, request_frame, write_parquet


def lake_digest(*roots: Path) -> dict[str, str]:
    """Every file under the roots with the SHA-256 of its bytes (folders listed too)."""
    found: dict[str, str] = {}
    for root in roots:
        for directory, folders, files in os.walk(root):
            for folder in folders:
                found[os.path.join(directory, folder)] = "dir"
            for name in files:
                path = os.path.join(directory, name)
                with open(path, "rb") as f:
                    found[path] = hashlib.sha256(f.read()).hexdigest()
    return found


def make_lake(env: Env) -> str:
    return str(write_parquet(env.lake / "a.parquet", ["token", "close"], [("A", 1.5), ("A", 2.5)]))


def query_frame(request_id: int, sql: str, views: list[tuple[str, list[str]]] = ()) -> worker_pb2.DaemonFrame:  # type: ignore[assignment]
    op = worker_pb2.QueryOp(sql=sql, views=[worker_pb2.View(name=n, parquet_paths=p) for n, p in views])
    return request_frame(request_id, "query", op)


# ---------------------------------------------------------------- regressions: each once got through


def _nested_comment(payload: str) -> str:
    # DuckDB nests block comments: all of this is one comment to it, followed by SELECT 1. The old
    # rewrite saw "/* /* */" as the comment and spliced the views in front of the WITH.
    return f"/* /* */ WITH x AS (SELECT 1) SELECT 1; {payload}; -- */\nSELECT 1"


def _carriage_return(payload: str) -> str:
    # DuckDB ends a -- comment at a carriage return; the old rewrite read it up to the newline.
    return f"--\r/*\nWITH x AS (SELECT 1) SELECT 1; {payload}; SELECT 1 --*/ SELECT 1"


ATTACKS = {
    "nested comment, COPY over a lake Parquet file": _nested_comment(
        "COPY (SELECT 'Z' AS token, 0.0 AS close) TO '{lake}/a.parquet' (FORMAT parquet)"
    ),
    "carriage return, COPY over a lake Parquet file": _carriage_return(
        "COPY (SELECT 'Z' AS token, 0.0 AS close) TO '{lake}/a.parquet' (FORMAT parquet)"
    ),
    "nested comment, ATTACH creates a database file": _nested_comment("ATTACH '{lake}/planted.duckdb' AS planted"),
    "carriage return, CREATE MACRO abs": _carriage_return("CREATE MACRO abs(x) AS 42"),
    "nested comment, CREATE MACRO quantile_cont": _nested_comment("CREATE MACRO quantile_cont(x, q) AS 0"),
    "nested comment, EXPORT DATABASE into staging": _nested_comment("EXPORT DATABASE '{staging}/export'"),
    "carriage return, CREATE TABLE": _carriage_return("CREATE TABLE avg AS SELECT 1"),
    "enable_logging() writes files into the lake": (
        "SELECT * FROM enable_logging(storage='file', storage_path='{lake}/logs')"
    ),
    "enable_logging() changes settings": "SELECT * FROM enable_logging()",
    "enable_profiling()": "FROM enable_profiling()",
    "query() runs other text": "SELECT * FROM query('SELECT 1')",
    "json_execute_serialized_sql runs other text": (
        "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))"
    ),
    "checkpoint()": "SELECT * FROM checkpoint()",
    "write_log()": "SELECT write_log('planted')",
    "sleep_ms() cannot be interrupted": "SELECT sleep_ms(100000)",
    "the worker's own sleep hook": "SELECT qb_sleep_tick(1, 9223372036854775807)",
    "arrow_scan with a pointer": "SELECT * FROM arrow_scan(1, 2, 3)",
    "a table function inside a subquery": "SELECT * FROM (SELECT * FROM (FROM enable_logging()))",
    "a table function named with its schema": "SELECT * FROM system.main.enable_logging()",
    "a table function in quotes and capitals": 'SELECT * FROM "ENABLE_LOGGING"()',
}


# The comment forms are one SELECT 1 to DuckDB: they run as exactly that and nothing else.
RUN_AS_SELECT_1 = {label for label in ATTACKS if label.startswith(("nested comment", "carriage return"))}


@pytest.mark.parametrize("label", list(ATTACKS))
def test_attack_is_refused_or_runs_as_the_one_select_duckdb_reads(env: Env, label: str) -> None:
    a = make_lake(env)
    before = lake_digest(env.lake, env.staging)
    sql = ATTACKS[label].format(lake=env.lake, staging=env.staging)
    code, replies = env.run(
        query_frame(1, sql, [("v", [a])]),
        # A later caller on the same worker: built-ins are built-ins, the lake file is unchanged.
        query_frame(
            2,
            "SELECT abs(-3) AS a, avg(close) AS m, quantile_cont(close, 0.5) AS q, count(*) AS n FROM v",
            [("v", [a])],
        ),
        query_frame(3, "SELECT count(*) AS n FROM duckdb_databases() WHERE NOT internal"),
    )
    assert code == 0
    first = replies[1].response
    assert not first.retire_reason, first.retire_reason
    if label in RUN_AS_SELECT_1:
        assert first.WhichOneof("outcome") == "result", first.error
        assert json.loads(first.result.query.json_rows) == [{"1": 1}]
    else:
        assert first.WhichOneof("outcome") == "error", (label, first.result)
        assert first.error.code == Code.INVALID_SQL, first.error.message
    assert json.loads(replies[2].response.result.query.json_rows) == [{"a": 3, "m": 2.0, "q": 2.0, "n": 2}]
    assert json.loads(replies[3].response.result.query.json_rows) == [{"n": 1}]
    assert lake_digest(env.lake, env.staging) == before


def test_a_statement_the_parser_reads_as_several_is_refused_whatever_hides_it() -> None:
    for text in (
        "SELECT 1 /* a */ ; /* b */ SELECT 2",
        "SELECT 1;\u00a0SELECT 2",
        "SELECT 1;\rCOPY (SELECT 1) TO '/tmp/x.csv'",
        "SELECT $$;$$; SELECT 2",
        "SELECT 'x'';'; SELECT 2",
    ):
        with pytest.raises(WorkerFailure) as refused:
            check_select(text)
        assert refused.value.code == ErrorCode.INVALID_SQL


def test_literals_and_comments_that_only_look_hostile_pass(env: Env) -> None:
    for text, expected in (
        ("SELECT 'a; COPY x TO y' AS s", "a; COPY x TO y"),
        ("SELECT $$ ; ATTACH 'x' $$ AS s", " ; ATTACH 'x' "),
        ("SELECT /* ; CREATE MACRO abs(x) AS 1; */ 'ok' AS s", "ok"),
        ("SELECT 'ok' AS s -- ; DROP TABLE x\r", "ok"),
        ("SELECT 1 AS \"enable_logging\", 'ok' AS s", "ok"),
    ):
        rows = json.loads(env.ok("query", worker_pb2.QueryOp(sql=text)).query.json_rows)
        assert rows[0]["s"] == expected, text


def test_the_database_is_read_only_even_for_the_worker(env: Env) -> None:
    config = WorkerConfig.from_proto(configure_frame(env).configure)
    connection = open_connection(config)
    try:
        cursor = connection.cursor()
        for statement in ("CREATE TABLE t (a INT)", "CREATE MACRO abs(x) AS 42", f"ATTACH '{env.lake}/n.duckdb' AS n"):
            with pytest.raises(duckdb.Error):
                cursor.execute(statement)
        cursor.execute("CREATE TEMP TABLE t AS SELECT 1 AS a")  # temporary objects still work
        assert not os.path.exists(env.lake / "n.duckdb")
        # The database file itself is gone from staging: nothing to find, nothing left behind.
        assert [p.name for p in env.staging.iterdir() if p.name.startswith(".duckdb-empty")] == []
    finally:
        connection.close()


# ---------------------------------------------------------------- the state check


def _set_sleep_handler(monkeypatch: pytest.MonkeyPatch, statement: str) -> None:
    """Stands in for a sandbox escape: the sleep hook runs ``statement`` on the request's cursor."""

    def handler(ctx: RequestContext, op: worker_pb2.SleepOp) -> worker_pb2.Result:
        ctx.cursor.execute(statement)
        return worker_pb2.Result(sleep=worker_pb2.SleepResult(slept_ms=0))

    monkeypatch.setitem(HANDLERS, "sleep", handler)


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ("SELECT * FROM enable_logging()", "settings"),
        ("ATTACH '{lake}/existing.duckdb' AS planted", "attached databases"),
    ],
)
def test_a_request_that_changes_the_database_retires_the_worker(
    env: Env, monkeypatch: pytest.MonkeyPatch, statement: str, what: str
) -> None:
    duckdb.connect(str(env.lake / "existing.duckdb")).close()
    _set_sleep_handler(monkeypatch, statement.format(lake=env.lake))
    code, replies = env.run(
        request_frame(1, "query", worker_pb2.QueryOp(sql="SELECT 1 AS x")),
        request_frame(2, "sleep", worker_pb2.SleepOp(millis=0)),
        request_frame(3, "query", worker_pb2.QueryOp(sql="SELECT 1 AS x")),
    )
    assert code == 0
    first, changed, later = (r.response for r in replies[1:])
    assert first.WhichOneof("outcome") == "result" and not first.retire_reason
    assert changed.error.code == Code.INTERNAL
    assert what in changed.error.message and what in changed.retire_reason
    # Nothing more runs on this worker: the daemon retires it on the first retire_reason.
    assert later.error.code == Code.INTERNAL and later.retire_reason == changed.retire_reason
    assert "did not run" in later.error.message


def test_temporary_objects_are_not_a_change(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    _set_sleep_handler(
        monkeypatch, "CREATE TEMP MACRO abs(x) AS 42; CREATE TEMP TABLE t AS SELECT 1; SET VARIABLE v = 1"
    )
    code, replies = env.run(
        request_frame(1, "sleep", worker_pb2.SleepOp(millis=0)),
        request_frame(2, "query", worker_pb2.QueryOp(sql="SELECT abs(-1) AS a, getvariable('v') AS v")),
    )
    assert code == 0
    assert replies[1].response.WhichOneof("outcome") == "result" and not replies[1].response.retire_reason
    assert json.loads(replies[2].response.result.query.json_rows) == [{"a": 1, "v": None}]


# ---------------------------------------------------------------- fuzz: DuckDB's parser is the oracle


class RecordingCursor:
    """The request's cursor, recording every SQL text handed to DuckDB."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, executed: list[str]) -> None:
        self._cursor = cursor
        self._executed = executed

    def execute(self, sql: str, *args: Any) -> Any:
        self._executed.append(sql)
        self._cursor.execute(sql, *args)
        return self

    def sql(self, sql: str, *args: Any) -> Any:
        self._executed.append(sql)
        return self._cursor.sql(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


PAYLOADS = [
    "COPY (SELECT 42 AS a) TO '{lake}/a.parquet' (FORMAT parquet)",
    "ATTACH '{lake}/f.duckdb' AS f",
    "CREATE MACRO abs(x) AS 42",
    "CREATE TABLE t AS SELECT 1",
    "EXPORT DATABASE '{staging}/e'",
    "SET threads = 4",
    "INSTALL httpfs",
    "PRAGMA database_list",
    "CALL enable_logging()",
    "SELECT * FROM enable_logging()",
    "DETACH f",
    "USE f",
    "SELECT 1",
    "SELECT * FROM v",
    "WITH x AS (SELECT 1 AS a) SELECT * FROM x",
    "FROM v",
    "DESCRIBE v",
    "SELECT count(*) FROM v WHERE token = 'A'",
]
OPENERS = ["/*", "/* /*", "*/", "--", "$$", "$q$", "'", '"', "(", ")", "WITH", "WITH x AS (SELECT 1)"]
GAPS = [" ", "\n", "\r", "\r\n", "\t", "\u00a0", "\u2028", "\u2029", "\u3000", "\ufeff", "\x0b", "\x0c", "\u200b", ";",
        "; ", ";;", "/* c */", "/* /* n */ */", "-- c\n", "-- c\r", "--\r", "-- */\n", "E'\\';'", "'it''s'", "$$;$$",
        "$t$ */ ; $t$", '";"']  # fmt: skip


COMMENTS = ["/*{p}*/", "/* /* */{p}*/", "/*/*{p}*/*/", "/* /* {p} */", "--{p}\n", "--{p}\r", "-- x\r{p}\n",
            "-- */\r{p}", "-- {p}\r\n"]  # fmt: skip
LITERALS = ["$${p}$$", "$q${p}$q$", "'{q}'", "E'{q}'", "'{p}'"]
SELECTS = ["SELECT {c} 1 AS x", "SELECT 1 AS x {c}", "{c} SELECT count(*) AS n FROM v", "SELECT {c} * FROM v",
           "WITH {c} w AS (SELECT 1 AS a) SELECT * FROM w", "{c}WITH w AS (SELECT 1 AS a) SELECT * FROM w {c}",
           "FROM v {c} SELECT token", "SELECT 1 AS x UNION ALL {c} SELECT 2", "SELECT {l} AS s {c}",
           "{c}SELECT {l} AS s, count(*) AS n FROM v WHERE token <> {l}"]  # fmt: skip


def _payload(rng: random.Random) -> str:
    payload = rng.choice(GAPS) + rng.choice(PAYLOADS) + rng.choice(GAPS)
    if rng.random() < 0.5:
        payload += rng.choice(PAYLOADS)
    return payload


def _wrapped(rng: random.Random, forms: list[str]) -> str:
    payload = _payload(rng)
    return rng.choice(forms).replace("{q}", payload.replace("'", "''")).replace("{p}", payload)


def _fuzz_text(rng: random.Random, lake: Path, staging: Path) -> str:
    parts: list[str] = []
    if rng.random() < 0.5:
        # A SELECT with hostile text hidden in comments and literals (or not hidden, when a
        # wrapper closes early): what runs must still be exactly what DuckDB reads.
        parts.append(rng.choice(GAPS) if rng.random() < 0.5 else "")
        template = rng.choice(SELECTS)
        while "{c}" in template or "{l}" in template:
            template = template.replace("{c}", _wrapped(rng, COMMENTS) if rng.random() < 0.8 else rng.choice(GAPS), 1)
            template = template.replace("{l}", _wrapped(rng, LITERALS), 1)
        parts.append(template)
        parts.append(rng.choice(GAPS) if rng.random() < 0.5 else "")
    else:
        for _ in range(rng.randint(1, 7)):
            kind = rng.random()
            if kind < 0.4:
                parts.append(rng.choice(PAYLOADS))
            elif kind < 0.7:
                parts.append(rng.choice(GAPS))
            else:
                parts.append(rng.choice(OPENERS))
            if rng.random() < 0.6:
                parts.append(rng.choice(GAPS))
    return "".join(parts).replace("{lake}", str(lake)).replace("{staging}", str(staging))


def _only_one_select(text: str) -> bool:
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error:
        return False
    return len(statements) == 1 and statements[0].type == duckdb.StatementType.SELECT


@pytest.fixture
def sandbox(env: Env) -> Iterator[tuple[duckdb.DuckDBPyConnection, WorkerConfig]]:
    config = WorkerConfig.from_proto(configure_frame(env).configure)
    connection = open_connection(config)
    try:
        yield connection, config
    finally:
        connection.close()


FUZZ_TEXTS = int(os.environ.get("QB_FUZZ_TEXTS", "3000"))


def test_fuzz_what_runs_is_one_select_or_nothing(
    env: Env, sandbox: tuple[duckdb.DuckDBPyConnection, WorkerConfig]
) -> None:
    connection, config = sandbox
    a = make_lake(env)
    guard = StateGuard(connection)
    before = lake_digest(env.lake, env.staging)
    rng = random.Random(20261204)
    outcomes = {"ran": 0, "refused": 0, "failed in DuckDB": 0}
    for i in range(FUZZ_TEXTS):
        text = _fuzz_text(rng, env.lake, env.staging)
        views = [] if rng.random() < 0.3 else [("v", [a])]
        executed: list[str] = []
        cursor = connection.cursor()
        ctx = RequestContext(i, RecordingCursor(cursor, executed), config, StagingArea(config.staging_dir))  # type: ignore[arg-type]
        op = worker_pb2.QueryOp(sql=text, views=[worker_pb2.View(name=n, parquet_paths=p) for n, p in views])
        try:
            query_handler.handle(ctx, op)
            outcomes["ran"] += 1
        except WorkerFailure as e:
            ran_user_text = text in executed
            outcomes["failed in DuckDB" if ran_user_text else "refused"] += 1
            assert e.code in (ErrorCode.INVALID_SQL, ErrorCode.PATH_NOT_ALLOWED, ErrorCode.NOT_FOUND), (text, e.message)
        finally:
            cursor.close()
        for sql in executed:
            if sql == text:
                assert _only_one_select(sql), f"ran {sql!r}, which DuckDB reads as more than one SELECT"
            else:  # the handler's own view statement: one CREATE per view, nothing from the client
                statements = duckdb.extract_statements(sql)
                assert [s.type for s in statements] == [duckdb.StatementType.CREATE] * len(views), sql
                assert text not in sql
        assert set(executed) <= {text} | {sql for sql in executed if sql != text and "CREATE TEMP VIEW" in sql}
        if not _only_one_select(text):
            assert text not in executed
        assert guard.changes() == "", text
    assert lake_digest(env.lake, env.staging) == before
    # Both branches are exercised in earnest, not just parse errors.
    assert outcomes["ran"] >= 300 and outcomes["refused"] >= 1000, outcomes
