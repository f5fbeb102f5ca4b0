"""Query: results as JSON and Arrow, row limits, views, and the SQL sandbox."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.errors import WorkerFailure
from quantbot_worker.handlers import query as query_handler
from quantbot_worker.handlers.query import _json_rows
from quantbot_worker.select_check import check_select

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
    assert check_select(sql).sql == sql


def test_check_refuses_pragma_rewrites() -> None:
    with pytest.raises(WorkerFailure):
        check_select("PRAGMA database_list")


def test_repeated_column_names_stay_distinct_in_json(env: Env) -> None:
    rows = json.loads(env.ok("query", query("SELECT 1 AS a, 2 AS a, 3 AS a")).query.json_rows)
    assert rows == [{"a": 1, "a_2": 2, "a_3": 3}]


# ---------------------------------------------------------------- views live and die with the request's cursor


def test_views_never_reach_the_next_request(env: Env) -> None:
    a, b = make_lake(env)

    def request(request_id: int, op: worker_pb2.QueryOp) -> worker_pb2.DaemonFrame:
        return worker_pb2.DaemonFrame(request=worker_pb2.Request(id=request_id, query=op))

    code, replies = env.run(
        request(1, query("SELECT count(*) AS n FROM v", [("v", [a])])),
        request(2, query("SELECT nope FROM v", [("v", [a])])),  # fails after its view exists
        # Had a view v survived, creating v again would fail with "already exists".
        request(3, query("SELECT count(*) AS n FROM v", [("v", [b])])),
        request(
            4,
            query(
                "SELECT v.n + w.n AS n FROM (SELECT count(*) AS n FROM v) v, (SELECT count(*) AS n FROM w) w",
                [("v", [a]), ("w", [b])],
            ),
        ),
        request(5, query("SELECT count(*) AS n FROM w")),
    )
    assert code == 0
    responses = [r.response for r in replies[1:]]
    assert json.loads(responses[0].result.query.json_rows) == [{"n": 2}]
    assert responses[1].error.code == Code.INVALID_SQL
    assert json.loads(responses[2].result.query.json_rows) == [{"n": 1}]
    assert json.loads(responses[3].result.query.json_rows) == [{"n": 3}]
    assert responses[4].error.code == Code.INVALID_SQL and "w" in responses[4].error.message


def test_temporary_views_belong_to_one_cursor() -> None:
    """What the handler relies on instead of DROP VIEW (checked here in case DuckDB changes it)."""
    con = duckdb.connect()
    first = con.cursor()
    first.execute("CREATE TEMP VIEW v AS SELECT 1 AS x")
    other = con.cursor()
    with pytest.raises(duckdb.CatalogException):
        other.execute("SELECT * FROM v")
    first.close()
    with pytest.raises(duckdb.CatalogException):
        con.cursor().execute("SELECT * FROM v")
    with pytest.raises(duckdb.CatalogException):
        con.execute("SELECT * FROM v")


# ---------------------------------------------------------------- row limits: streamed or top-N


def test_row_limit_stops_a_streamed_statement_early(env: Env) -> None:
    # A million billion rows: only stopping at the limit lets this answer at all.
    result = env.ok("query", query("SELECT range AS i FROM range(1000000000000000)", limit=5)).query
    assert [r["i"] for r in json.loads(result.json_rows)] == [0, 1, 2, 3, 4]
    assert result.row_count == 5 and result.truncated


def test_row_limit_with_order_by(env: Env) -> None:
    result = env.ok("query", query("SELECT range AS i FROM range(100000) ORDER BY i DESC", limit=3)).query
    assert [r["i"] for r in json.loads(result.json_rows)] == [99999, 99998, 99997]
    assert result.row_count == 3 and result.truncated


def test_plain_json_results_build_no_arrow_table(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    a, _ = make_lake(env)

    def no_arrow(*args: object) -> None:
        raise AssertionError("Arrow was built for a JSON result of plain types")

    for name in ("_json_rows", "_arrow_prefix", "_arrow_table"):
        monkeypatch.setattr(query_handler, name, no_arrow)
    for sql in ("SELECT count(*) AS n, avg(close) AS c, min(token) AS t FROM v",
                "SELECT token, close FROM v ORDER BY ts"):  # fmt: skip
        result = env.ok("query", query(sql, [("v", [a])])).query
        assert result.row_count >= 1


# ---------------------------------------------------------------- JSON values: what the Arrow conversion gave

# One value per DuckDB type; each is sent with a NULL of the same type, both without ORDER BY
# (streamed, fetched as Python values where the type allows) and with one (the LIMIT relation).
TYPED_VALUES = {
    "boolean": "true",
    "tinyint": "-1::TINYINT",
    "smallint": "-3::SMALLINT",
    "integer": "2147483647",
    "bigint": "-9223372036854775808",
    "utinyint": "255::UTINYINT",
    "usmallint": "65535::USMALLINT",
    "uinteger": "4294967295::UINTEGER",
    "ubigint": "18446744073709551615::UBIGINT",
    "hugeint": "170141183460469231731687303715884105727::HUGEINT",
    "uhugeint": "1::UHUGEINT",
    "float": "0.1::FLOAT",
    "float_nan": "'nan'::FLOAT",
    "double": "0.1::DOUBLE",
    "double_nan": "'nan'::DOUBLE",
    "double_inf": "'-inf'::DOUBLE",
    "double_negative_zero": "-0.0::DOUBLE",
    "decimal": "1.25::DECIMAL(5,2)",
    "decimal_18": "-123456789012.345678::DECIMAL(18,6)",
    "decimal_38": "12345678901234567890.123456789012345678::DECIMAL(38,18)",
    "varchar": "'héllo \"x\"\n\t\\'",
    "varchar_empty": "''",
    "json": "'{\"a\": [1, 2]}'::JSON",
    "blob": "'\\x00\\xFF'::BLOB",
    "uuid": "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID",
    "enum": "'b'::ENUM('a', 'b')",
    "date": "DATE '2024-01-02'",
    "date_bc": "DATE '0044-03-15 (BC)'",
    "date_infinity": "'infinity'::DATE",
    "timestamp": "TIMESTAMP '2024-01-02 03:04:05.123456'",
    "timestamp_infinity": "'infinity'::TIMESTAMP",
    "timestamp_s": "TIMESTAMP_S '2024-01-02 03:04:05'",
    "timestamp_ms": "TIMESTAMP_MS '2024-01-02 03:04:05.123'",
    "timestamp_ns": "TIMESTAMP_NS '2024-01-02 03:04:05.123456789'",
    "timestamptz": "TIMESTAMPTZ '2024-01-02 03:04:05+02'",
    "time": "TIME '03:04:05.5'",
    "timetz": "TIMETZ '03:04:05+02'",
    "interval": "INTERVAL 1 DAY + INTERVAL 3 SECOND",
    "bit": "'0101'::BIT",
    "bignum": "1::VARINT",
    "list": "[1, 2, NULL]",
    "list_of_doubles": "['nan'::DOUBLE, 1.5]",
    "list_of_decimals": "[1.5::DECIMAL(4,1)]",
    "list_of_timestamps": "[TIMESTAMP '2024-01-01']",
    "list_of_blobs": "['\\x01'::BLOB]",
    "nested_list": "[[1], [2, 3]]",
    "array": "[1, 2]::INTEGER[2]",
    "struct": "{'a': 1, 'b': 'x', 'c': NULL}",
    "struct_nested": "{'a': [DATE '2024-01-01'], 'b': {'c': 1.5::DECIMAL(4,1)}}",
    "map": "MAP {'k': 1}",
    "union": "union_value(num := 2)::UNION(num INTEGER, str VARCHAR)",
    "null": "NULL",
}


def reference_answer(sql: str, limit: int) -> tuple[str, list[tuple[str, str]]]:
    """The handler's answer before this change: LIMIT relation -> Arrow table -> to_pylist -> JSON."""
    relation = duckdb.connect().sql(sql).limit(limit + 1)
    try:
        table = relation.to_arrow_table().slice(0, limit)
        text = json.dumps(_json_rows(table), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except Exception as e:  # the worker reports such failures as INTERNAL "<type>: <message>"
        return f"error: {type(e).__name__}: {e}", []
    return text, list(zip(table.column_names, [str(t) for t in relation.types], strict=True))


def test_json_values_are_what_the_arrow_conversion_gave(env: Env) -> None:
    cases: list[tuple[str, str]] = []
    for name, expression in TYPED_VALUES.items():
        inner = f"SELECT {expression} AS v, CASE WHEN false THEN {expression} END AS n, 1 AS k"
        cases.append((f"{name} streamed", f"SELECT * FROM ({inner})"))
        cases.append((f"{name} sorted", f"SELECT * FROM ({inner}) ORDER BY k"))
    frames = [
        worker_pb2.DaemonFrame(request=worker_pb2.Request(id=i + 1, query=query(sql, limit=5)))
        for i, (_, sql) in enumerate(cases)
    ]
    code, replies = env.run(*frames)
    assert code == 0
    different = {}
    for (label, sql), reply in zip(cases, replies[1:], strict=True):
        expected_text, expected_columns = reference_answer(sql, 5)
        response = reply.response
        if response.WhichOneof("outcome") == "error":
            got_text, got_columns = f"error: {response.error.message}", []
        else:
            got_text = response.result.query.json_rows
            got_columns = [(c.name, c.type) for c in response.result.query.columns]
        if (got_text, got_columns) != (expected_text, expected_columns):
            different[label] = (got_text, expected_text, got_columns, expected_columns)
    assert different == {}


def test_repeated_column_names_keep_their_columns(env: Env) -> None:
    for sql in ("SELECT 1 AS a, 2 AS a", "SELECT 1 AS a, 2 AS a ORDER BY 1"):
        result = env.ok("query", query(sql)).query
        assert [(c.name, c.type) for c in result.columns] == [("a", "INTEGER"), ("a", "INTEGER")]
        assert json.loads(result.json_rows) == [{"a": 1, "a_2": 2}]


def test_the_sql_check_remembers_only_what_passed() -> None:
    for _ in range(3):
        assert check_select("SELECT 42").sql == "SELECT 42"
        with pytest.raises(WorkerFailure):
            check_select("COPY (SELECT 42) TO '/tmp/x.csv'")
    padding = "/*" + "x" * 5000 + "*/ "
    assert check_select(padding + "SELECT 1").sql == padding + "SELECT 1"
    with pytest.raises(WorkerFailure):
        check_select(padding + "SELECT 1; COPY (SELECT 42) TO '/tmp/x.csv'")


def test_one_file_and_a_list_of_files_read_alike(env: Env) -> None:
    """A one-file view names the file as a string, a longer one as a list: DuckDB treats both alike."""
    for name in ("we*ird.parquet", "weXird.parquet", "a[1].parquet", "a1.parquet", "it's.parquet"):
        write_parquet(env.lake / name, ["x"], [(name,)])
    con = duckdb.connect()
    for name in ("we*ird.parquet", "a[1].parquet", "it's.parquet"):
        path = str(env.lake / name)
        single = query_handler._files_sql([path])
        assert not single.startswith("[")
        as_string = con.execute(f"SELECT list(x ORDER BY x) FROM read_parquet({single})").fetchall()
        as_list = con.execute(f"SELECT list(x ORDER BY x) FROM read_parquet([{single}])").fetchall()
        assert as_string == as_list
        rows = json.loads(
            env.ok("query", query("SELECT list(x ORDER BY x) AS x FROM v", [("v", [path])])).query.json_rows
        )
        assert rows == [{"x": as_list[0][0]}]


# ---------------------------------------------------------------- the statement runs as sent, over temporary views


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT count(*) AS n FROM v", [{"n": 3}]),
        ("SELECT count(*) AS n FROM v a JOIN v b USING (token)", [{"n": 5}]),
        ("FROM v SELECT count(*) AS n", [{"n": 3}]),
        ("WITH t AS (SELECT token FROM v) SELECT count(*) AS n FROM t", [{"n": 3}]),
        ("-- leading comment\n/* and another */ with t as (select * from v) select count(*) as n from t", [{"n": 3}]),
        (
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < (SELECT count(*) FROM v)) "
            "SELECT max(i) AS n FROM r",
            [{"n": 3}],
        ),
        ("(SELECT count(*) AS n FROM v) UNION ALL (SELECT 7)", [{"n": 3}, {"n": 7}]),
    ],
)
def test_statements_over_views(env: Env, sql: str, expected: list[dict[str, int]]) -> None:
    a, b = make_lake(env)
    for fmt in ("json", "arrow"):
        result = env.ok("query", query(sql, [("v", [a, b])], fmt=fmt)).query
        rows = (
            json.loads(result.json_rows)
            if fmt == "json"
            else ipc.open_stream(pa.py_buffer(result.arrow_ipc)).read_all().to_pylist()
        )
        assert rows == expected, (fmt, sql)


def test_describe_summarize_and_shadowing_ctes_over_views(env: Env) -> None:
    a, b = make_lake(env)
    views = [("v", [a, b])]
    described = json.loads(env.ok("query", query("DESCRIBE v", views)).query.json_rows)
    assert [row["column_name"] for row in described] == ["token", "ts", "close"]
    summary = json.loads(env.ok("query", query("SUMMARIZE v", views)).query.json_rows)
    assert {row["column_name"]: row["count"] for row in summary} == {"token": 3, "ts": 3, "close": 3}
    # The statement's own CTE named like a view shadows the view.
    shadowed = env.ok("query", query("WITH v AS (SELECT 42 AS x) SELECT x FROM v", views)).query
    assert json.loads(shadowed.json_rows) == [{"x": 42}]


def test_errors_over_views_name_the_users_mistake(env: Env) -> None:
    a, _ = make_lake(env)
    error = env.error("query", query("SELECT nope FROM v", [("v", [a])]))
    assert error.code == Code.INVALID_SQL and "nope" in error.message
    assert "NOT MATERIALIZED" not in error.message
    missing = env.error("query", query("SELECT * FROM not_a_view", [("v", [a])]))
    assert missing.code == Code.INVALID_SQL and "not_a_view" in missing.message
