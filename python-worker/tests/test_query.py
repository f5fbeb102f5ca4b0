"""Query: results as JSON and Arrow, row limits, views, and the SQL sandbox."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.errors import WorkerFailure
from quantbot_worker.sandbox import check_select_only

from conftest import Code, Env, write_parquet


def make_lake(env: Env) -> tuple[str, str]:
    a = write_parquet(env.lake / "a.parquet", ["token", "ts", "close"], [("A", 1, 1.5), ("A", 2, 2.5)])
    b = write_parquet(env.lake / "b.parquet", ["token", "ts", "close"], [("B", 1, 10.0)])
    return str(a), str(b)


def query(sql: str, views: list[tuple[str, list[str]]] = (), fmt: str = "json", limit: int = 0) -> worker_pb2.QueryOp:  # type: ignore[assignment]
    return worker_pb2.QueryOp(
        sql=sql, format=fmt, row_limit=limit, views=[worker_pb2.View(name=n, parquet_paths=p) for n, p in views]
    )


def test_json_rows_over_a_view_of_several_files(env: Env) -> None:
    a, b = make_lake(env)
    result = env.ok("query", query("SELECT token, sum(close) AS total FROM candles GROUP BY token ORDER BY token",
                                   [("candles", [a, b])])).query  # fmt: skip
    assert json.loads(result.json_rows) == [{"token": "A", "total": 4.0}, {"token": "B", "total": 10.0}]
    assert [(c.name, c.type) for c in result.columns] == [("token", "VARCHAR"), ("total", "DOUBLE")]
    assert result.row_count == 2 and not result.truncated


def test_arrow_ipc_result(env: Env) -> None:
    a, _ = make_lake(env)
    result = env.ok("query", query("SELECT * FROM c ORDER BY ts", [("c", [a])], fmt="arrow")).query
    table = ipc.open_stream(pa.py_buffer(result.arrow_ipc)).read_all()
    assert table.column("ts").to_pylist() == [1, 2]
    assert result.WhichOneof("data") == "arrow_ipc"


def test_row_limit_truncates(env: Env) -> None:
    result = env.ok("query", query("SELECT range AS i FROM range(100) ORDER BY i", limit=10)).query
    assert result.row_count == 10 and result.truncated
    assert [r["i"] for r in json.loads(result.json_rows)] == list(range(10))
    exact = env.ok("query", query("SELECT range AS i FROM range(10)", limit=10)).query
    assert exact.row_count == 10 and not exact.truncated


def test_json_of_awkward_values(env: Env) -> None:
    sql = ("SELECT 'nan'::DOUBLE AS n, DATE '2024-01-02' AS d, TIMESTAMP '2024-01-02 03:04:05' AS t, "
           "1.25::DECIMAL(5,2) AS m, [1, 2] AS l, {'a': 1} AS s, NULL AS z, '\\x00'::BLOB AS b")  # fmt: skip
    row = json.loads(env.ok("query", query(sql)).query.json_rows)[0]
    assert row == {"n": None, "d": "2024-01-02", "t": "2024-01-02T03:04:05", "m": 1.25, "l": [1, 2], "s": {"a": 1},
                   "z": None, "b": "AA=="}  # fmt: skip


def test_views_are_dropped_after_the_request(env: Env) -> None:
    a, _ = make_lake(env)
    code, replies = env.run(
        worker_pb2.DaemonFrame(
            request=worker_pb2.Request(id=1, query=query("SELECT count(*) AS n FROM v", [("v", [a])]))
        ),
        worker_pb2.DaemonFrame(request=worker_pb2.Request(id=2, query=query("SELECT count(*) AS n FROM v"))),
    )
    assert code == 0
    assert json.loads(replies[1].response.result.query.json_rows) == [{"n": 2}]
    assert replies[2].response.error.code == Code.INVALID_SQL
    assert "v" in replies[2].response.error.message


@pytest.mark.parametrize("name", ["Bad", "1x", "a-b", "x" * 64, "a b", 'a"; DROP', ""])
def test_view_names_are_validated(env: Env, name: str) -> None:
    a, _ = make_lake(env)
    assert env.error("query", query("SELECT 1", [(name, [a])])).code == Code.INVALID_ARGUMENT


def test_view_paths_must_exist_and_be_allowed(env: Env, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert env.error("query", query("SELECT 1", [("v", [str(env.lake / "missing.parquet")])])).code == Code.NOT_FOUND
    outside = write_parquet(tmp_path_factory.mktemp("outside") / "x.parquet", ["a"], [(1,)])
    assert env.error("query", query("SELECT 1", [("v", [str(outside)])])).code == Code.PATH_NOT_ALLOWED
    assert env.error("query", query("SELECT 1", [("v", [])])).code == Code.INVALID_ARGUMENT
    assert env.error("query", query("SELECT 1", [("v", ["relative.parquet"])])).code == Code.PATH_NOT_ALLOWED


def test_sql_errors_are_invalid_sql(env: Env) -> None:
    error = env.error("query", query("SELECT nope FROM range(1)"))
    assert error.code == Code.INVALID_SQL and "nope" in error.message
    assert env.error("query", query("SELEC 1")).code == Code.INVALID_SQL
    assert env.error("query", query("SELECT 1", fmt="xml")).code == Code.INVALID_ARGUMENT


# ---------------------------------------------------------------- the sandbox


def everything_under(*roots: Path) -> set[str]:
    found = set()
    for root in roots:
        for directory, _, files in os.walk(root):
            found.update(os.path.join(directory, f) for f in files)
    return found


HOSTILE = [
    "COPY (SELECT 42) TO '{lake}/pwned.csv'",
    "COPY (SELECT 42) TO '{lake}/a.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '{lake}/export'",
    "ATTACH '{lake}/other.duckdb' AS other",
    "ATTACH '{lake}/quantbot.duckdb'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET allowed_directories = ['/']",
    "RESET lock_configuration",
    "PRAGMA enable_profiling",
    "PRAGMA database_list",
    "CALL pragma_version()",
    "CREATE TABLE t AS SELECT 1",
    "CREATE VIEW v AS SELECT 1",
    "CREATE MACRO m() AS 1",
    "INSERT INTO x VALUES (1)",
    "DROP VIEW IF EXISTS v",
    "SELECT 1; COPY (SELECT 42) TO '{lake}/pwned2.csv'",
    "SELECT 1; SELECT 2",
    "EXPLAIN SELECT 1",
    "DESCRIBE SELECT 1; SELECT 2",
    "BEGIN TRANSACTION",
    "CHECKPOINT",
    "USE memory",
    "",
    "   ",
]


@pytest.mark.parametrize("sql", HOSTILE)
def test_non_select_sql_is_refused_and_writes_nothing(env: Env, sql: str) -> None:
    make_lake(env)
    before = everything_under(env.lake, env.staging, env.imports)
    error = env.error("query", query(sql.format(lake=env.lake)))
    assert error.code == Code.INVALID_SQL, error.message
    assert everything_under(env.lake, env.staging, env.imports) == before


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_parquet('/etc/passwd')",
        "SELECT * FROM read_csv('{lake}/../../../../etc/passwd')",
        "SELECT * FROM read_csv('{lake}/etc/passwd')",  # a symlink inside the lake that points out
        "WITH x AS (SELECT * FROM read_csv_auto('/etc/passwd')) SELECT * FROM x",
    ],
)
def test_reading_outside_the_allowed_directories_fails(env: Env, sql: str) -> None:
    os.symlink("/etc", env.lake / "etc")
    error = env.error("query", query(sql.format(lake=env.lake)))
    assert error.code in (Code.PATH_NOT_ALLOWED, Code.NOT_FOUND, Code.INVALID_SQL), error
    assert "root:" not in error.message


def test_the_passwd_read_is_refused_by_duckdb_itself(env: Env) -> None:
    error = env.error("query", query("SELECT * FROM read_csv('/etc/passwd')"))
    assert error.code == Code.PATH_NOT_ALLOWED
    assert "disabled by configuration" in error.message or "Permission" in error.message


def test_a_select_may_read_allowed_files_directly(env: Env) -> None:
    a, _ = make_lake(env)
    rows = json.loads(env.ok("query", query(f"SELECT count(*) AS n FROM read_parquet('{a}')")).query.json_rows)
    assert rows == [{"n": 2}]


def test_settings_cannot_be_changed_by_a_select(env: Env) -> None:
    error = env.error("query", query("SELECT set_config('enable_external_access', 'true')"))
    assert error.code == Code.INVALID_SQL


@pytest.mark.parametrize(
    "sql", ["SELECT 1", "select 1;", "  SELECT 1  ;  ", "/* c */ SELECT 1 -- x", "WITH a AS (SELECT 1) SELECT * FROM a",
            "FROM range(3)", "VALUES (1)", "(SELECT 1) UNION ALL (SELECT 2)", "SUMMARIZE SELECT 1 AS x"],
)  # fmt: skip
def test_select_forms_that_pass_the_check(sql: str) -> None:
    assert check_select_only(sql) == sql


def test_check_refuses_pragma_rewrites() -> None:
    with pytest.raises(WorkerFailure):
        check_select_only("PRAGMA database_list")


def test_repeated_column_names_stay_distinct_in_json(env: Env) -> None:
    rows = json.loads(env.ok("query", query("SELECT 1 AS a, 2 AS a, 3 AS a")).query.json_rows)
    assert rows == [{"a": 1, "a_2": 2, "a_3": 3}]
