"""Reading input files and normalizing them to a known artifact type, with row-level issues.

A file is read into Arrow with a ``__row`` column (1-based data row; the header is not a row),
registered on the request's DuckDB cursor and checked with SQL: each check yields the rows it
fails, with the column and a message. Nothing here writes files.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from quantbot_worker.errors import Issue, IssueList
from quantbot_worker.sandbox import quote_identifier, quote_literal
from quantbot_worker.schemas import ArtifactSchema, ColumnSpec

ROW = "__row"
FILE = "__file"
_MAX_INVALID_CSV_ROWS = 1000

FORMATS = ("csv", "parquet", "arrow")


def format_of(path: str) -> str | None:
    name = path.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".arrow", ".arrows", ".ipc", ".feather")):
        return "arrow"
    return None


class UnreadableFile(Exception):
    """The file could not be read at all; the message says why."""


@dataclass
class ReadResult:
    table: pa.Table
    # Rows the CSV parser had to skip (wrong number of fields): already issues.
    issues: list[Issue] = field(default_factory=list)


def _csv_header(path: str) -> list[str]:
    opener: Callable[..., io.TextIOBase] = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f), [])


def read_table(path: str, fmt: str, label: str, *, all_strings: bool) -> ReadResult:
    """Reads ``path``; ``all_strings`` reads every CSV column as text so types are checked in SQL."""
    try:
        if fmt == "csv":
            return _read_csv(path, label, all_strings=all_strings)
        if fmt == "parquet":
            return ReadResult(_with_rows(pq.read_table(path), None))
        if fmt == "arrow":
            return ReadResult(_with_rows(_read_arrow(path), None))
    except (pa.ArrowException, OSError, UnicodeDecodeError, csv.Error) as e:
        raise UnreadableFile(f"cannot read {fmt} file: {e}") from e
    raise UnreadableFile(f"unknown format {fmt!r}")


def _read_arrow(path: str) -> pa.Table:
    with pa.memory_map(path) as source:
        try:
            return ipc.open_stream(source).read_all()
        except pa.ArrowInvalid:
            source.seek(0)
            return ipc.open_file(source).read_all()


def _read_csv(path: str, label: str, *, all_strings: bool) -> ReadResult:
    header = _csv_header(path)
    if not header:
        raise UnreadableFile("the CSV file is empty (no header line)")
    skipped: list[int] = []
    issues: list[Issue] = []

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        data_row = (row.number - 1) if row.number is not None else 0
        if len(issues) < _MAX_INVALID_CSV_ROWS:
            issues.append(
                Issue(label, data_row, "", f"expected {row.expected_columns} fields, got {row.actual_columns}")
            )
        if data_row > 0:
            skipped.append(data_row)
        return "skip"

    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header} if all_strings else None,
        strings_can_be_null=True,
        null_values=[""],
    )
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=False),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid_row, ignore_empty_lines=False),
        convert_options=convert,
    )
    return ReadResult(_with_rows(table, skipped), issues)


def _with_rows(table: pa.Table, skipped: Sequence[int] | None) -> pa.Table:
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    for data_row in sorted(skipped or ()):
        rows[rows >= data_row] += 1
    return table.append_column(ROW, pa.array(rows, type=pa.int64()))


def normalize_column_names(table: pa.Table) -> tuple[pa.Table, list[str]]:
    """Trims and lower-cases column names; returns the table and the duplicated names."""
    names = [name.strip().lower() if name != ROW else name for name in table.column_names]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    return table.rename_columns(names), duplicates


# ---------------------------------------------------------------- normalization plans


def _is_stringish(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_stringish(t.value_type)
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


@dataclass(frozen=True)
class ColumnPlan:
    spec: ColumnSpec
    expr: str  # the normalized value
    bad: str  # TRUE when a value is present but does not convert
    raw: str  # the raw value as text, for messages


def plan_column(
    spec: ColumnSpec, source: str, source_type: pa.DataType, *, seconds: bool = False, text_file: bool = False
) -> ColumnPlan | str:
    """How to turn ``source`` into ``spec``; a string explains a type that cannot be used.

    ``seconds``: the source holds unix seconds (the old ``timestamp`` column); ts = seconds * 1000.
    ``text_file``: the source is CSV, whose values are all text and are parsed here; in a typed
    file (Parquet, Arrow) a text column where a number or boolean belongs is a wrong type.
    """
    col = quote_identifier(source)
    raw = f"CAST({col} AS VARCHAR)"
    text = f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"
    t = source_type
    target = spec.type
    if pa.types.is_null(t):
        return ColumnPlan(spec, f"CAST(NULL AS {target})", "false", raw)
    if _is_stringish(t):
        if target == "VARCHAR":
            # Chain names are case-insensitive words; tokens and ids stay exactly as given.
            return ColumnPlan(spec, f"lower({text})" if spec.name == "chain" else text, "false", raw)
        if not text_file:
            return f"has type {t}, expected {_expected(target)}"
        if target == "BIGINT" and seconds:
            expr = f"CAST(round(TRY_CAST({text} AS DOUBLE) * 1000) AS BIGINT)"
        elif target == "BIGINT":
            expr = f"CASE WHEN regexp_full_match({text}, '[+-]?[0-9]+') THEN TRY_CAST({text} AS BIGINT) END"
        elif target == "DOUBLE":
            expr = f"TRY_CAST({text} AS DOUBLE)"
        else:  # BOOLEAN
            expr = (
                f"CASE WHEN lower({text}) IN ('true', 't', '1', 'yes') THEN true "
                f"WHEN lower({text}) IN ('false', 'f', '0', 'no') THEN false END"
            )
        return ColumnPlan(spec, expr, f"({text} IS NOT NULL AND ({expr}) IS NULL)", raw)
    if pa.types.is_integer(t):
        if target == "BIGINT":
            expr = f"TRY_CAST({col} AS BIGINT)" + (" * 1000" if seconds else "")
        elif target == "DOUBLE":
            expr = f"CAST({col} AS DOUBLE)"
        elif target == "BOOLEAN":
            expr = f"CASE WHEN {col} = 1 THEN true WHEN {col} = 0 THEN false END"
        else:
            return f"has type {t}, expected text"
        return ColumnPlan(spec, expr, f"({col} IS NOT NULL AND ({expr}) IS NULL)", raw)
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        if target == "DOUBLE":
            return ColumnPlan(spec, f"CAST({col} AS DOUBLE)", "false", raw)
        if target == "BIGINT" and seconds:
            expr = f"CAST(round(CAST({col} AS DOUBLE) * 1000) AS BIGINT)"
            return ColumnPlan(spec, expr, f"({col} IS NOT NULL AND ({expr}) IS NULL)", raw)
        if target == "BIGINT" and pa.types.is_decimal(t) and t.scale == 0:
            expr = f"TRY_CAST({col} AS BIGINT)"
            return ColumnPlan(spec, expr, f"({col} IS NOT NULL AND ({expr}) IS NULL)", raw)
        return f"has type {t}, expected {_expected(target)}"
    if pa.types.is_timestamp(t):
        if target == "BIGINT" and not seconds:
            return ColumnPlan(spec, f"epoch_ms({col})", "false", raw)
        return f"has type {t}, expected {_expected(target)}"
    if pa.types.is_boolean(t):
        if target == "BOOLEAN":
            return ColumnPlan(spec, col, "false", raw)
        return f"has type {t}, expected {_expected(target)}"
    return f"has type {t}, expected {_expected(target)}"


def _expected(target: str) -> str:
    return {"VARCHAR": "text", "BIGINT": "an integer", "DOUBLE": "a number", "BOOLEAN": "a boolean"}[target]


@dataclass(frozen=True)
class RowCheck:
    """A condition over normalized columns that marks a row bad, with its column and message."""

    column: str
    bad: str
    message: str  # a SQL expression


def known_value_check(column: str, known: Sequence[str], what: str) -> RowCheck:
    values = ", ".join(quote_literal(value) for value in sorted(known))
    name = quote_identifier(column)
    return RowCheck(
        column,
        f"{name} NOT IN ({values})",
        f"'unknown {what} ' || {name} || ' (known: {', '.join(sorted(known))})'",
    )


def ohlcv_row_checks(known_chains: Sequence[str], known_intervals: Sequence[str]) -> list[RowCheck]:
    checks = [
        known_value_check("chain", known_chains, "chain"),
        known_value_check("interval", known_intervals, "interval"),
        RowCheck("ts", "ts < 0", "'ts must be >= 0 (epoch milliseconds), got ' || ts"),
    ]
    for price in ("open", "high", "low", "close"):
        checks.append(
            RowCheck(
                price,
                f"NOT isfinite({price}) OR {price} <= 0",
                f"'{price} must be a positive finite number, got ' || {price}",
            )
        )
    checks.append(
        RowCheck("volume", "NOT isfinite(volume) OR volume < 0", "'volume must be >= 0 and finite, got ' || volume")
    )
    sane = "isfinite(open) AND isfinite(close) AND isfinite(high) AND isfinite(low)"
    checks.append(
        RowCheck(
            "high",
            f"{sane} AND high < greatest(open, close)",
            "'high ' || high || ' is below max(open, close) = ' || greatest(open, close)",
        )
    )
    checks.append(
        RowCheck(
            "low",
            f"{sane} AND low > least(open, close)",
            "'low ' || low || ' is above min(open, close) = ' || least(open, close)",
        )
    )
    return checks


def alerts_row_checks(known_chains: Sequence[str]) -> list[RowCheck]:
    return [
        known_value_check("chain", known_chains, "chain"),
        RowCheck("ts", "ts < 0", "'ts must be >= 0 (epoch milliseconds), got ' || ts"),
        RowCheck(
            "price",
            "price IS NOT NULL AND (NOT isfinite(price) OR price <= 0)",
            "'price must be a positive finite number or empty, got ' || price",
        ),
    ]


@dataclass
class PreparedSource:
    """An input converted once into a DuckDB table ``<view>_n``.

    That table holds the normalized columns and, per column, whether the raw value failed to
    convert and (only for those rows) the raw text. Every check then scans the native table
    instead of the registered Arrow data, which is much slower to scan repeatedly.
    """

    label: str
    view: str
    plans: list[ColumnPlan]

    @property
    def table(self) -> str:
        return f"{self.view}_n"

    def materialize(self, cursor: duckdb.DuckDBPyConnection) -> None:
        parts = [f"{ROW}"]
        for plan in self.plans:
            name = plan.spec.name
            bad = f"COALESCE({plan.bad}, false)"
            parts.append(f"{plan.expr} AS {quote_identifier(name)}")
            parts.append(f"{bad} AS {quote_identifier('__bad_' + name)}")
            parts.append(f"CASE WHEN {bad} THEN left({plan.raw}, 60) END AS {quote_identifier('__raw_' + name)}")
        cursor.execute(f"CREATE TEMP TABLE {self.table} AS SELECT {', '.join(parts)} FROM {self.view}")

    def normalized_sql(self) -> str:
        columns = ", ".join(quote_identifier(plan.spec.name) for plan in self.plans)
        return f"SELECT {quote_literal(self.label)} AS {FILE}, {ROW}, {columns} FROM {self.table}"

    def drop(self, cursor: duckdb.DuckDBPyConnection) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
        cursor.unregister(self.view)


def prepare_source(
    cursor: duckdb.DuckDBPyConnection,
    table: pa.Table,
    label: str,
    view: str,
    schema: ArtifactSchema,
    issues: IssueList,
    *,
    renames: dict[str, str] | None = None,
    seconds_columns: frozenset[str] = frozenset(),
    text_file: bool = False,
) -> PreparedSource | None:
    """Checks column presence and types, registers the table; None if the file is unusable.

    ``renames`` maps a canonical column to the source column that feeds it (the old
    ``timestamp`` for ``ts``); ``seconds_columns`` are canonical columns fed with unix seconds.
    """
    renames = renames or {}
    names = set(table.column_names)
    plans: list[ColumnPlan] = []
    usable = True
    for spec in schema.columns:
        source = renames.get(spec.name, spec.name)
        if source not in names:
            issues.add(Issue(label, 0, spec.name, "missing column"))
            usable = False
            continue
        source_type = table.schema.field(source).type
        plan = plan_column(spec, source, source_type, seconds=spec.name in seconds_columns, text_file=text_file)
        if isinstance(plan, str):
            issues.add(Issue(label, 0, source, f"column {source} {plan}"))
            usable = False
            continue
        plans.append(plan)
    if not usable:
        return None
    cursor.register(view, table)
    prepared = PreparedSource(label, view, plans)
    prepared.materialize(cursor)
    return prepared


def collect_row_issues(
    cursor: duckdb.DuckDBPyConnection,
    source: PreparedSource,
    row_checks: Sequence[RowCheck],
    issues: IssueList,
) -> None:
    """Runs the conversion, required-value and row checks of one source in one query."""
    selects: list[str] = []
    for plan in source.plans:
        name = plan.spec.name
        bad = quote_identifier("__bad_" + name)
        raw = quote_identifier("__raw_" + name)
        kind = _expected(plan.spec.type)
        selects.append(
            f"SELECT {ROW}, {quote_literal(name)} AS col, 'not {kind}: ''' || {raw} || '''' AS msg FROM n WHERE {bad}"
        )
        if not plan.spec.nullable:
            selects.append(
                f"SELECT {ROW}, {quote_literal(name)}, 'missing value' FROM n "
                f"WHERE {quote_identifier(name)} IS NULL AND NOT {bad}"
            )
    for check in row_checks:
        selects.append(
            f"SELECT {ROW}, {quote_literal(check.column)}, {check.message} FROM n WHERE ({check.bad}) IS TRUE"
        )
    sql = (
        f"WITH n AS (SELECT * FROM {source.table}) "
        f"SELECT {ROW}, col, msg, count(*) OVER () AS total FROM ({' UNION ALL '.join(selects)}) "
        f"ORDER BY {ROW}, col LIMIT {issues.limit}"
    )
    rows = cursor.execute(sql).fetchall()
    if rows:
        issues.extend((Issue(source.label, int(r[0]), str(r[1]), str(r[2])) for r in rows), total=int(rows[0][3]))


def collect_duplicate_issues(
    cursor: duckdb.DuckDBPyConnection,
    table: str,
    key: Sequence[str],
    describe: str,
    column: str,
    issues: IssueList,
) -> None:
    """Rows of ``table`` (with __file and __row) whose ``key`` was already seen in an earlier row."""
    keys = ", ".join(quote_identifier(k) for k in key)
    sql = (
        f"SELECT {FILE}, {ROW}, first_file, first_row, {describe} AS what, count(*) OVER () AS total FROM ("
        f" SELECT *, row_number() OVER w AS rn, first_value({FILE}) OVER w AS first_file,"
        f" first_value({ROW}) OVER w AS first_row FROM {table}"
        f" WHERE {' AND '.join(f'{quote_identifier(k)} IS NOT NULL' for k in key)}"
        f" WINDOW w AS (PARTITION BY {keys} ORDER BY {FILE}, {ROW}"
        f" ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
        f") WHERE rn > 1 ORDER BY {FILE}, {ROW} LIMIT {issues.limit}"
    )
    rows = cursor.execute(sql).fetchall()
    if rows:
        issues.extend(
            (Issue(str(r[0]), int(r[1]), column, f"duplicate {r[4]} (first seen in {r[2]} row {r[3]})") for r in rows),
            total=int(rows[0][5]),
        )


def create_normalized_table(cursor: duckdb.DuckDBPyConnection, name: str, schema: ArtifactSchema) -> None:
    columns = ", ".join(f"{quote_identifier(c.name)} {c.type}" for c in schema.columns)
    cursor.execute(f"CREATE TEMP TABLE {name} ({FILE} VARCHAR, {ROW} BIGINT, {columns})")


def insert_normalized(cursor: duckdb.DuckDBPyConnection, name: str, source: PreparedSource) -> None:
    cursor.execute(f"INSERT INTO {name} {source.normalized_sql()}")


def sorted_arrow(cursor: duckdb.DuckDBPyConnection, table: str, schema: ArtifactSchema, where: str = "") -> pa.Table:
    """The schema's columns from ``table`` in hash order, with the canonical Arrow types."""
    columns = ", ".join(quote_identifier(name) for name in schema.names)
    order = ", ".join(f"{quote_identifier(name)} ASC NULLS LAST" for name in schema.order_by())
    result = cursor.execute(f"SELECT {columns} FROM {table} {where} ORDER BY {order}").to_arrow_table()
    return result.cast(schema.arrow_schema())


def relative_label(path: str, base: str) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return path
