"""PublishArtifact: one CSV, Parquet or Arrow IPC file -> one artifact of the given type.

Known types (ohlcv_slice, alerts, run_results, features) must have exactly their canonical
columns (any order, names matched exactly) with convertible types; ohlcv_slice and alerts rows
get the import checks too. Other types keep the file's columns and types; their canonical
columns are the file's columns in file order and their sort key is all of them.
"""

from __future__ import annotations

import os
import re

import pyarrow as pa
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.content_hash import HashColumn, hash_query_sql, hash_sorted_batches, kind_of_duckdb_type
from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, Issue, IssueList, WorkerFailure
from quantbot_worker.paths import resolve_inside
from quantbot_worker.sandbox import quote_identifier
from quantbot_worker.schemas import (
    ALERTS,
    FEATURES_TYPE,
    KNOWN_SCHEMAS,
    OHLCV_SLICE,
    REPORT_TYPE,
    ArtifactSchema,
    features_schema,
    features_windows_of,
)
from quantbot_worker.staging import min_max_ms, produced_artifact
from quantbot_worker.tabular import (
    FORMATS,
    ROW,
    RowCheck,
    UnreadableFile,
    alerts_row_checks,
    collect_duplicate_issues,
    collect_row_issues,
    create_normalized_table,
    format_of,
    insert_normalized,
    ohlcv_row_checks,
    prepare_source,
    read_table,
    sorted_arrow,
)

_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_LOGICAL_KEY = 1024
_TAG_COLUMNS = {
    "ohlcv_slice": ("chain", "token", "interval"),
    "features": ("chain", "token", "interval"),
    "run_results": ("sweep_id",),
}


def handle(ctx: RequestContext, op: worker_pb2.PublishArtifactOp) -> worker_pb2.Result:
    artifact_type = op.type
    if not _TYPE_NAME.match(artifact_type):
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"type {artifact_type!r} must match [a-z][a-z0-9_]{{0,62}}")
    if artifact_type == REPORT_TYPE:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, "report artifacts are made by GenerateReport, not published")
    version = op.schema_version or 1
    if version < 1:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"schema_version must be >= 1, got {version}")
    known = artifact_type in KNOWN_SCHEMAS or artifact_type == FEATURES_TYPE
    if known and version != 1:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"{artifact_type} has only schema version 1, got {version}")
    if not op.logical_key or len(op.logical_key) > MAX_LOGICAL_KEY:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"logical_key is required (at most {MAX_LOGICAL_KEY} chars)")

    roots = (*ctx.config.import_roots, ctx.config.staging_dir)
    path = resolve_inside(op.source_path, roots, "source_path")
    if not os.path.isfile(path):
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"source_path {op.source_path!r} is not a file")
    fmt = op.source_format.lower() or format_of(path)
    if fmt not in FORMATS:
        raise WorkerFailure(
            ErrorCode.INVALID_ARGUMENT,
            f"source_format must be one of {', '.join(FORMATS)} (or a file ending in .csv, .parquet, .arrow); "
            f"got {op.source_format or os.path.basename(path)!r}",
        )
    label = os.path.basename(path)
    try:
        read = read_table(path, fmt, label, all_strings=known)
    except UnreadableFile as e:
        raise WorkerFailure(ErrorCode.INVALID_INPUT_DATA, f"{label}: {e}", [Issue(label, 0, "", str(e))]) from e
    if read.issues:
        issues = IssueList()
        issues.extend(read.issues)
        raise issues.failure(f"{label} failed validation")
    ctx.check()
    if known:
        return _publish_known(ctx, op, version, read.table, label, fmt)
    return _publish_other(ctx, op, version, read.table)


def _schema_for(artifact_type: str, names: list[str], label: str) -> ArtifactSchema:
    if artifact_type != FEATURES_TYPE:
        return KNOWN_SCHEMAS[artifact_type]
    windows = features_windows_of(names)
    if windows is None:
        raise WorkerFailure(
            ErrorCode.INVALID_INPUT_DATA,
            f"{label}: features columns must be token, chain, interval, ts, ret_1, then ret_<w>, vol_<w>, "
            f"atr_<w>, volume_z_<w> per window, then drawdown; got {names}",
            [Issue(label, 0, "", "columns are not the canonical features columns")],
        )
    return features_schema(windows)


def _publish_known(
    ctx: RequestContext, op: worker_pb2.PublishArtifactOp, version: int, table: pa.Table, label: str, fmt: str
) -> worker_pb2.Result:
    names = [name for name in table.column_names if name != ROW]
    schema = _schema_for(op.type, names, label)
    issues = IssueList()
    for extra in sorted(set(names) - set(schema.names)):
        issues.add(Issue(label, 0, extra, f"unexpected column (canonical columns of {schema.type}: {schema.names})"))
    prepared = prepare_source(ctx.cursor, table, label, "src", schema, issues, text_file=fmt == "csv")
    if prepared is None or issues:
        raise issues.failure(f"{label} does not fit type {schema.type}")
    chains = sorted(ctx.config.known_chains)
    checks: list[RowCheck] = []
    if schema is OHLCV_SLICE:
        checks = ohlcv_row_checks(chains, sorted(ctx.config.known_intervals))
    elif schema is ALERTS:
        checks = alerts_row_checks(chains)
    collect_row_issues(ctx.cursor, prepared, checks, issues)
    create_normalized_table(ctx.cursor, "rows", schema)
    insert_normalized(ctx.cursor, "rows", prepared)
    prepared.drop(ctx.cursor)
    if schema is OHLCV_SLICE:
        collect_duplicate_issues(
            ctx.cursor, "rows", schema.sort_key, "'ts ' || ts || ' of ' || token || ' ' || chain || ' ' || interval",
            "ts", issues,
        )  # fmt: skip
    elif schema is ALERTS:
        collect_duplicate_issues(ctx.cursor, "rows", ("call_id",), "'call_id ' || call_id", "call_id", issues)
    if issues:
        raise issues.failure(f"{label} failed validation")
    ctx.check()
    sorted_table = sorted_arrow(ctx.cursor, "rows", schema)
    content_hash = hash_sorted_batches(
        schema.type, version, schema.hash_columns(), sorted_table.to_batches(max_chunksize=65536)
    )
    staged = ctx.staging.write_parquet(sorted_table, op.logical_key, content_hash)
    return worker_pb2.Result(
        artifact=produced_artifact(
            artifact_type=schema.type,
            schema_version=version,
            logical_key=op.logical_key,
            staged=staged,
            content_hash=content_hash,
            row_count=sorted_table.num_rows,
            min_max=min_max_ms(sorted_table, schema.time_column),
            columns=[(c.name, c.type) for c in schema.columns],
            tags=_tags(ctx, schema),
            params={"source_path": op.source_path},
        )
    )


def _tags(ctx: RequestContext, schema: ArtifactSchema) -> dict[str, str]:
    """Columns with a single value become tags: the series of candles and features, a sweep's results."""
    candidates = _TAG_COLUMNS.get(schema.type, ())
    tags: dict[str, str] = {}
    for column in candidates:
        name = quote_identifier(column)
        row = ctx.cursor.execute(f"SELECT count(DISTINCT {name}), min({name}) FROM rows").fetchone()
        if row and row[0] == 1:
            tags[column] = str(row[1])
    return tags


def _publish_other(
    ctx: RequestContext, op: worker_pb2.PublishArtifactOp, version: int, table: pa.Table
) -> worker_pb2.Result:
    table = table.drop_columns([ROW])
    if table.num_columns == 0:
        raise WorkerFailure(ErrorCode.INVALID_INPUT_DATA, "the file has no columns")
    if len(set(table.column_names)) != table.num_columns:
        raise WorkerFailure(ErrorCode.INVALID_INPUT_DATA, f"duplicate column names: {table.column_names}")
    cursor = ctx.cursor
    cursor.register("src", table)
    try:
        columns = list(zip(table.column_names, [str(t) for t in cursor.sql("SELECT * FROM src").types], strict=True))
        order = ", ".join(f"{quote_identifier(name)} ASC NULLS LAST" for name in table.column_names)
        sorted_table = cursor.execute(f"SELECT * FROM src ORDER BY {order}").to_arrow_table()
        hash_columns = [HashColumn(name, kind_of_duckdb_type(t)) for name, t in columns]
        reader = cursor.execute(hash_query_sql("src", columns, table.column_names)).to_arrow_reader(65536)
        content_hash = hash_sorted_batches(op.type, version, hash_columns, reader)
    finally:
        cursor.unregister("src")
    ctx.check()
    staged = ctx.staging.write_parquet(sorted_table, op.logical_key, content_hash)
    time_column = "ts" if "ts" in sorted_table.column_names else None
    return worker_pb2.Result(
        artifact=produced_artifact(
            artifact_type=op.type,
            schema_version=version,
            logical_key=op.logical_key,
            staged=staged,
            content_hash=content_hash,
            row_count=sorted_table.num_rows,
            min_max=min_max_ms(sorted_table, time_column),
            columns=columns,
            tags={},
            params={"source_path": op.source_path},
        )
    )
