"""Outputs: temporary name in staging, fsync, atomic rename, fsync of the folder."""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from quantbot.storage.v1 import common_pb2
from quantbot.storage.worker.v1 import worker_pb2

_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]")
_DUCKDB_TYPE_NAMES = {
    pa.string(): "VARCHAR",
    pa.large_string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.int16(): "SMALLINT",
    pa.int8(): "TINYINT",
    pa.uint64(): "UBIGINT",
    pa.uint32(): "UINTEGER",
    pa.uint16(): "USMALLINT",
    pa.uint8(): "UTINYINT",
    pa.float64(): "DOUBLE",
    pa.float32(): "FLOAT",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.binary(): "BLOB",
    pa.large_binary(): "BLOB",
}


def safe_name(logical_key: str) -> str:
    """The lake's file name rule: characters outside [A-Za-z0-9._=-] become _, at most 120."""
    return _UNSAFE.sub("_", logical_key)[:120] or "_"


def duckdb_type_name(data_type: pa.DataType) -> str:
    if data_type in _DUCKDB_TYPE_NAMES:
        return _DUCKDB_TYPE_NAMES[data_type]
    if pa.types.is_timestamp(data_type):
        return "TIMESTAMP WITH TIME ZONE" if data_type.tz else "TIMESTAMP"
    if pa.types.is_dictionary(data_type):
        return duckdb_type_name(data_type.value_type)
    if pa.types.is_string_view(data_type):
        return "VARCHAR"
    if pa.types.is_decimal(data_type):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    return str(data_type).upper()


def fsync_directory(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class StagedFile:
    path: str
    size_bytes: int
    file_hash: str


@dataclass
class PendingFile:
    """Written under a temporary name, not yet fsynced nor renamed."""

    temporary: str
    final: str
    size_bytes: int
    file_hash: str


@dataclass
class StagingArea:
    """Writes the files of one request; ``discard()`` removes them when the request fails.

    Files are written under temporary names, then ``commit`` fsyncs them (in parallel: the file
    system batches concurrent flushes, which matters for an import of thousands of slices),
    renames each into place and fsyncs the folder once.
    """

    directory: str
    written: list[str] = field(default_factory=list)

    def _final_path(self, logical_key: str, content_hash: str, extension: str) -> str:
        unique = uuid.uuid4().hex[:12]
        name = f"{safe_name(logical_key)}__ch={content_hash[:8]}__{unique}.{extension}"
        return os.path.join(self.directory, name)

    def add_bytes(self, data: bytes, logical_key: str, content_hash: str, extension: str) -> PendingFile:
        temporary = os.path.join(self.directory, f".tmp-{uuid.uuid4().hex}.{extension}.partial")
        self.written.append(temporary)
        with open(temporary, "wb") as f:
            f.write(data)
        final = self._final_path(logical_key, content_hash, extension)
        return PendingFile(temporary, final, len(data), hashlib.sha256(data).hexdigest())

    def add_parquet(self, table: pa.Table, logical_key: str, content_hash: str) -> PendingFile:
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd", write_statistics=True)
        return self.add_bytes(sink.getvalue().to_pybytes(), logical_key, content_hash, "parquet")

    def commit(self, pending: Sequence[PendingFile]) -> list[StagedFile]:
        if not pending:
            return []
        with ThreadPoolExecutor(max_workers=min(8, len(pending)), thread_name_prefix="fsync") as pool:
            list(pool.map(_fsync_file, [p.temporary for p in pending]))
        staged = []
        for item in pending:
            os.rename(item.temporary, item.final)
            self.written.append(item.final)
            self.written.remove(item.temporary)
            staged.append(StagedFile(item.final, item.size_bytes, item.file_hash))
        fsync_directory(self.directory)
        return staged

    def write_parquet(self, table: pa.Table, logical_key: str, content_hash: str) -> StagedFile:
        return self.commit([self.add_parquet(table, logical_key, content_hash)])[0]

    def write_bytes(self, data: bytes, logical_key: str, content_hash: str, extension: str) -> StagedFile:
        return self.commit([self.add_bytes(data, logical_key, content_hash, extension)])[0]

    def discard(self) -> None:
        for path in self.written:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        self.written.clear()


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def min_max_ms(table: pa.Table, column: str | None) -> tuple[int, int]:
    if column is None or column not in table.column_names or table.num_rows == 0:
        return 0, 0
    values = table.column(column)
    if pa.types.is_timestamp(values.type):
        values = pc.cast(pc.cast(values, pa.timestamp("ms", values.type.tz)), pa.int64())
    if not pa.types.is_integer(values.type):
        return 0, 0
    result = pc.min_max(values)
    low, high = result["min"].as_py(), result["max"].as_py()
    return (int(low) if low is not None else 0, int(high) if high is not None else 0)


def produced_artifact(
    *,
    artifact_type: str,
    schema_version: int,
    logical_key: str,
    staged: StagedFile | None,
    content_hash: str,
    row_count: int,
    min_max: tuple[int, int],
    columns: Sequence[tuple[str, str]],
    tags: Mapping[str, str],
    params: Mapping[str, Any],
    extension: str = "parquet",
) -> worker_pb2.ProducedArtifact:
    artifact = worker_pb2.ProducedArtifact(
        type=artifact_type,
        schema_version=schema_version,
        logical_key=logical_key,
        content_hash=content_hash,
        row_count=row_count,
        min_ts_ms=min_max[0],
        max_ts_ms=min_max[1],
        params_json=json.dumps(params, sort_keys=True, separators=(",", ":")),
        extension=extension,
    )
    if staged is not None:
        artifact.staging_path = staged.path
        artifact.file_hash = staged.file_hash
        artifact.size_bytes = staged.size_bytes
    artifact.columns.extend(common_pb2.ColumnInfo(name=name, type=type_) for name, type_ in columns)
    artifact.tags.update(tags)
    return artifact
