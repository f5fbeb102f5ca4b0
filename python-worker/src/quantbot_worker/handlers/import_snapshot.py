"""ImportSnapshot: a folder of candle and call files -> ohlcv_slice artifacts + one alerts artifact.

Files are CSV (``.csv``, ``.csv.gz``) or Parquet (``.parquet``, ``.pq``), found recursively
(hidden files and folders are skipped) and classified by their columns:

- candles: token, chain, interval, ts, open, high, low, close, volume
- calls:   call_id, caller, token, chain, ts, price

Column names are matched after trimming and lower-casing; other columns are ignored with a
warning. Instead of ``ts`` (epoch ms) a file may carry the old ``timestamp`` column in unix
seconds (ts = round(timestamp * 1000)). Everything is validated before anything is written;
one failure fails the whole import and nothing is left in staging.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.content_hash import hash_sorted_table
from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, Issue, IssueList, WorkerFailure
from quantbot_worker.paths import is_inside, resolve_inside
from quantbot_worker.schemas import ALERTS, OHLCV_SLICE, ArtifactSchema
from quantbot_worker.staging import PendingFile, StagedFile, min_max_ms, produced_artifact
from quantbot_worker.tabular import (
    FILE,
    PreparedSource,
    RowCheck,
    UnreadableFile,
    alerts_row_checks,
    collect_duplicate_issues,
    collect_row_issues,
    create_normalized_table,
    format_of,
    insert_normalized,
    normalize_column_names,
    ohlcv_row_checks,
    prepare_source,
    read_table,
    relative_label,
    sorted_arrow,
)

_SNAPSHOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_CANDLE_KEYS = frozenset({"token", "chain", "interval", "open", "high", "low", "close", "volume"})
_CALL_KEYS = frozenset({"call_id", "caller", "token", "chain", "price"})
_MAX_FILES = 100_000
# ts values below this look like unix seconds rather than epoch milliseconds (year 1973 in ms).
_SECONDS_HINT = 100_000_000_000


@dataclass
class _Input:
    label: str
    path: str
    fmt: str


def _find_files(
    ctx: RequestContext, source_dir: str, roots: Sequence[str], warnings: list[Issue]
) -> list[_Input]:
    found: list[_Input] = []
    for directory, folders, files in os.walk(source_dir, followlinks=False):
        for folder in folders:
            if not folder.startswith(".") and os.path.islink(os.path.join(directory, folder)):
                label = relative_label(os.path.join(directory, folder), source_dir)
                warnings.append(Issue(label, 0, "", "skipped: a symlinked folder is not followed"))
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(directory, name)
            label = relative_label(path, source_dir)
            _require_regular_file(path, label, roots)
            fmt = format_of(name)
            if fmt is None or fmt == "arrow":
                warnings.append(Issue(label, 0, "", "skipped: not a .csv, .csv.gz, .parquet or .pq file"))
                continue
            found.append(_Input(label, os.path.realpath(path), fmt))
            if len(found) > _MAX_FILES:
                raise WorkerFailure(ErrorCode.RESOURCE_EXHAUSTED, f"more than {_MAX_FILES} files in the snapshot")
        ctx.check()
    return found


def _require_regular_file(path: str, label: str, roots: Sequence[str]) -> None:
    """Refuses, before anything is opened, an entry that is not a regular file (or a link to one).

    Opening a FIFO blocks until someone writes to it, and a device or socket is no snapshot data:
    either would hold this worker until the call's deadline.
    """
    real = os.path.realpath(path)
    if not any(is_inside(real, root) for root in roots):
        raise WorkerFailure(
            ErrorCode.PATH_NOT_ALLOWED,
            f"{label} is a symlink to {real!r}, outside the import roots {list(roots)}",
        )
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"{label} cannot be read: {e.strerror}") from e
    if not stat.S_ISREG(mode):
        raise WorkerFailure(
            ErrorCode.INVALID_ARGUMENT,
            f"{label} is {_kind_of(mode)}, not a regular file; a snapshot folder holds only regular files",
            [Issue(label, 0, "", f"{_kind_of(mode)}, not a regular file")],
        )


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


def _classify(columns: set[str]) -> ArtifactSchema | None:
    has_time = "ts" in columns or "timestamp" in columns
    if has_time and columns >= _CANDLE_KEYS:
        return OHLCV_SLICE
    if has_time and columns >= _CALL_KEYS:
        return ALERTS
    return None


def handle(ctx: RequestContext, op: worker_pb2.ImportSnapshotOp) -> worker_pb2.Result:
    name = op.snapshot_name
    if not _SNAPSHOT_NAME.match(name):
        raise WorkerFailure(
            ErrorCode.INVALID_ARGUMENT,
            f"snapshot_name {name!r} must be 1-100 characters of letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    # An upload (UploadSnapshot) is a folder the daemon staged under <staging>/uploads; only then may the
    # source lie there, and then nowhere else. A client's ImportSnapshot names a folder in an import root.
    roots = (
        (os.path.realpath(os.path.join(ctx.config.staging_dir, "uploads")),)
        if op.uploaded
        else ctx.config.import_roots
    )
    source_dir = resolve_inside(op.source_dir, roots, "source_dir")
    if not os.path.isdir(source_dir):
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"source_dir {op.source_dir!r} is not a folder")

    warnings: list[Issue] = []
    inputs = _find_files(ctx, source_dir, roots, warnings)
    issues = IssueList()
    cursor = ctx.cursor
    create_normalized_table(cursor, "candles", OHLCV_SLICE)
    create_normalized_table(cursor, "calls", ALERTS)
    chains = sorted(ctx.config.known_chains)
    intervals = sorted(ctx.config.known_intervals)
    candle_checks = ohlcv_row_checks(chains, intervals)
    call_checks = alerts_row_checks(chains)
    candle_files: list[str] = []
    call_files: list[str] = []

    for index, item in enumerate(inputs):
        ctx.check()
        try:
            read = read_table(item.path, item.fmt, item.label, all_strings=True)
        except UnreadableFile as e:
            issues.add(Issue(item.label, 0, "", str(e)))
            continue
        issues.extend(read.issues)
        table, duplicates = normalize_column_names(read.table)
        if duplicates:
            issues.add(Issue(item.label, 0, ", ".join(duplicates), "duplicate column names"))
            continue
        columns = set(table.column_names)
        schema = _classify(columns)
        if schema is None:
            issues.add(
                Issue(
                    item.label,
                    0,
                    "",
                    "not a candle file (token, chain, interval, ts, open, high, low, close, volume) nor a "
                    f"call file (call_id, caller, token, chain, ts, price); columns: {sorted(columns - {'__row'})}",
                )
            )
            continue
        renames: dict[str, str] = {}
        seconds: frozenset[str] = frozenset()
        if "ts" not in columns:
            renames["ts"] = "timestamp"
            seconds = frozenset({"ts"})
            warnings.append(
                Issue(item.label, 0, "timestamp", "old 'timestamp' column (unix seconds) read as ts * 1000")
            )
        used = {renames.get(n, n) for n in schema.names} | {"__row"}
        extra = sorted(columns - used)
        if extra:
            warnings.append(Issue(item.label, 0, ", ".join(extra), "columns ignored"))
        view = f"src_{index}"
        prepared = prepare_source(
            cursor, table, item.label, view, schema, issues, renames=renames, seconds_columns=seconds,
            text_file=item.fmt == "csv",
        )  # fmt: skip
        if prepared is None:
            continue
        try:
            _check_and_insert(ctx, prepared, schema, candle_checks if schema is OHLCV_SLICE else call_checks, issues)
        finally:
            prepared.drop(cursor)
        (candle_files if schema is OHLCV_SLICE else call_files).append(item.label)

    if not inputs:
        raise WorkerFailure(ErrorCode.INVALID_INPUT_DATA, f"no candle or call files found in {op.source_dir!r}")
    ctx.check()
    collect_duplicate_issues(
        cursor, "candles", OHLCV_SLICE.sort_key, "'ts ' || ts || ' of ' || token || ' ' || chain || ' ' || interval",
        "ts", issues,
    )  # fmt: skip
    collect_duplicate_issues(cursor, "calls", ("call_id",), "'call_id ' || call_id", "call_id", issues)
    if issues:
        raise issues.failure(f"snapshot {op.source_dir!r} failed validation")

    _warn_about_seconds(ctx, warnings)
    result = worker_pb2.ImportSnapshotResult(files=len(candle_files) + len(call_files))
    result.warnings.extend(
        worker_pb2.Issue(file=w.file, row=w.row, column=w.column, message=w.message) for w in warnings
    )
    result.candle_rows = int(cursor.execute("SELECT count(*) FROM candles").fetchone()[0])  # type: ignore[index]
    result.call_rows = int(cursor.execute("SELECT count(*) FROM calls").fetchone()[0])  # type: ignore[index]
    common = {"snapshot": name, "source_dir": source_dir}
    planned = _candle_artifacts(ctx, name, common, op.dry_run)
    if result.call_rows:
        planned.append(_alerts_artifact(ctx, name, {**common, "source_files": call_files}, op.dry_run))
    ctx.check()
    if op.dry_run:
        result.artifacts.extend(p.artifact(None) for p in planned)
    else:
        staged = ctx.staging.commit([p.pending for p in planned if p.pending is not None])
        result.artifacts.extend(p.artifact(s) for p, s in zip(planned, staged, strict=True))
    return worker_pb2.Result(import_snapshot=result)


def _check_and_insert(
    ctx: RequestContext, prepared: PreparedSource, schema: ArtifactSchema, checks: Sequence[RowCheck], issues: IssueList
) -> None:
    collect_row_issues(ctx.cursor, prepared, checks, issues)
    # Inserted even when rows failed, so duplicates across files are found in the same run.
    insert_normalized(ctx.cursor, "candles" if schema is OHLCV_SLICE else "calls", prepared)


def _warn_about_seconds(ctx: RequestContext, warnings: list[Issue]) -> None:
    for table in ("candles", "calls"):
        row = ctx.cursor.execute(f"SELECT max(ts), min({FILE}) FROM {table}").fetchone()
        if row and row[0] is not None and 0 < row[0] < _SECONDS_HINT:
            warnings.append(
                Issue(str(row[1]), 0, "ts", f"largest ts is {row[0]}: these look like unix seconds, not epoch ms")
            )


@dataclass
class _Planned:
    """An artifact whose file is written (temporary name) but not yet committed."""

    pending: PendingFile | None  # None in a dry run
    fields: dict[str, Any]

    def artifact(self, staged: StagedFile | None) -> worker_pb2.ProducedArtifact:
        return produced_artifact(staged=staged, **self.fields)


def _plan(
    ctx: RequestContext, schema: ArtifactSchema, table: pa.Table, logical_key: str, dry_run: bool, **fields: Any
) -> _Planned:
    content_hash = hash_sorted_table(schema.type, schema.version, schema.hash_columns(), table)
    return _Planned(
        None if dry_run else ctx.staging.add_parquet(table, logical_key, content_hash),
        dict(
            artifact_type=schema.type,
            schema_version=schema.version,
            logical_key=logical_key,
            content_hash=content_hash,
            row_count=table.num_rows,
            min_max=min_max_ms(table, "ts"),
            columns=[(c.name, c.type) for c in schema.columns],
            **fields,
        ),
    )


def _candle_artifacts(ctx: RequestContext, snapshot: str, common: dict[str, str], dry_run: bool) -> list[_Planned]:
    cursor = ctx.cursor
    series = cursor.execute(
        f"SELECT token, chain, interval, count(*), list(DISTINCT {FILE} ORDER BY {FILE}) FROM candles "
        "GROUP BY token, chain, interval ORDER BY token, chain, interval"
    ).fetchall()
    table = sorted_arrow(cursor, "candles", OHLCV_SLICE)
    planned = []
    offset = 0
    for token, chain, interval, count, files in series:
        ctx.check()
        part = table.slice(offset, count)
        offset += count
        _assert_single_series(part, token, chain, interval)
        planned.append(
            _plan(
                ctx,
                OHLCV_SLICE,
                part,
                f"snapshot={snapshot}/chain={chain}/token={token}/res={interval}",
                dry_run,
                tags={"snapshot": snapshot, "chain": chain, "token": token, "interval": interval},
                params={**common, "source_files": list(files)},
            )
        )
    return planned


def _assert_single_series(part: pa.Table, token: str, chain: str, interval: str) -> None:
    # The group listing and the sorted table come from two queries with the same ORDER BY.
    for column, value in (("token", token), ("chain", chain), ("interval", interval)):
        values = part.column(column)
        if not pc.all(pc.equal(values, value)).as_py():
            raise RuntimeError(f"series split went wrong at {token}/{chain}/{interval}")


def _alerts_artifact(ctx: RequestContext, snapshot: str, params: dict[str, object], dry_run: bool) -> _Planned:
    table = sorted_arrow(ctx.cursor, "calls", ALERTS)
    logical_key = f"snapshot={snapshot}/alerts"
    return _plan(ctx, ALERTS, table, logical_key, dry_run, tags={"snapshot": snapshot}, params=params)
