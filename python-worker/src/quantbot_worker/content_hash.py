"""The content hash ``qbch1`` of docs/artifacts.md, computed column by column with numpy.

``hash_sorted_batches`` expects rows already in hash order (sort key, then every remaining
canonical column, ascending, NULLs last) and values already of the column's kind; the
``*_sql`` helpers produce such a query in DuckDB.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa

from quantbot_worker.sandbox import quote_identifier

Kind = Literal["i64", "f64", "bool", "str"]
_CANONICAL_NAN = np.frombuffer(bytes.fromhex("7ff8000000000000"), dtype=">f8")[0]

_INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
_TIMESTAMP_PREFIXES = ("TIMESTAMP",)


@dataclass(frozen=True)
class HashColumn:
    name: str
    kind: Kind


def kind_of_duckdb_type(duckdb_type: str) -> Kind:
    """Integers -> i64, floats -> f64, BOOLEAN -> bool, timestamps -> epoch ms i64, else str."""
    upper = duckdb_type.upper()
    if upper in _INTEGER_TYPES:
        return "i64"
    if upper in _FLOAT_TYPES:
        return "f64"
    if upper == "BOOLEAN":
        return "bool"
    if upper.startswith(_TIMESTAMP_PREFIXES):
        return "i64"
    return "str"


def kind_cast_sql(name: str, duckdb_type: str) -> str:
    """A DuckDB expression that turns column ``name`` into its hash kind."""
    column = quote_identifier(name)
    upper = duckdb_type.upper()
    kind = kind_of_duckdb_type(duckdb_type)
    if upper.startswith(_TIMESTAMP_PREFIXES):
        return f"epoch_ms({column})"
    if kind == "i64":
        return f"CAST({column} AS BIGINT)"
    if kind == "f64":
        return f"CAST({column} AS DOUBLE)"
    if kind == "bool":
        return column
    return f"CAST({column} AS VARCHAR)"


def hash_query_sql(source: str, columns: Sequence[tuple[str, str]], sort_key: Sequence[str]) -> str:
    """SELECT of the canonical columns cast to their kinds, in hash order, from ``source``.

    Rows are ordered by the kind values (so the Java side can sort what it hashes).
    """
    names = [name for name, _ in columns]
    select = ", ".join(f"{kind_cast_sql(name, t)} AS {quote_identifier(name)}" for name, t in columns)
    order = [*sort_key, *[name for name in names if name not in sort_key]]
    order_sql = ", ".join(f"{quote_identifier(name)} ASC NULLS LAST" for name in order)
    return f"SELECT {select} FROM {source} ORDER BY {order_sql}"


def _fixed_width(valid: np.ndarray, payload: np.ndarray) -> bytes:
    """Rows of 0x01 + payload bytes, or a lone 0x00 for NULL rows."""
    rows, width = payload.shape
    matrix = np.empty((rows, 1 + width), dtype=np.uint8)
    matrix[:, 0] = valid
    matrix[:, 1:] = payload
    if valid.all():
        return matrix.tobytes()
    keep = np.ones((rows, 1 + width), dtype=bool)
    keep[~valid, 1:] = False
    return matrix[keep].tobytes()


def _valid_mask(array: pa.Array) -> np.ndarray:
    if array.null_count == 0:
        return np.ones(len(array), dtype=bool)
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def encode_i64(array: pa.Array) -> bytes:
    valid = _valid_mask(array)
    values = np.asarray(array.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    payload = values.astype(">i8").view(np.uint8).reshape(len(array), 8)
    return _fixed_width(valid, payload)


def encode_f64(array: pa.Array) -> bytes:
    valid = _valid_mask(array)
    values = np.asarray(array.cast(pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False), dtype=np.float64)
    values = np.where(values == 0.0, 0.0, values)  # -0.0 -> +0.0
    values = np.where(np.isnan(values), _CANONICAL_NAN, values)
    payload = values.astype(">f8").view(np.uint8).reshape(len(array), 8)
    return _fixed_width(valid, payload)


def encode_bool(array: pa.Array) -> bytes:
    valid = _valid_mask(array)
    values = np.asarray(array.cast(pa.bool_()).fill_null(False).to_numpy(zero_copy_only=False), dtype=np.uint8)
    return _fixed_width(valid, values.reshape(len(array), 1))


def encode_str(array: pa.Array) -> bytes:
    rows = len(array)
    if rows == 0:
        return b""
    binary = array.cast(pa.large_binary())
    valid = _valid_mask(binary)
    buffers = binary.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64, count=rows + 1, offset=binary.offset * 8)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.empty(0, np.uint8)
    lengths = np.where(valid, np.diff(offsets), 0)
    row_sizes = np.where(valid, 5 + lengths, 1)
    starts = np.zeros(rows, dtype=np.int64)
    np.cumsum(row_sizes[:-1], out=starts[1:])
    out = np.zeros(int(row_sizes.sum()), dtype=np.uint8)
    out[starts] = valid
    valid_rows = np.flatnonzero(valid)
    if valid_rows.size:
        header_at = starts[valid_rows][:, None] + 1 + np.arange(4)
        out[header_at] = lengths[valid_rows].astype(">u4").view(np.uint8).reshape(-1, 4)
        lens = lengths[valid_rows]
        total = int(lens.sum())
        if total:
            src_starts = offsets[valid_rows]
            dest_starts = starts[valid_rows] + 5
            shift = np.repeat(dest_starts - src_starts, lens)
            run_starts = np.zeros(lens.size, dtype=np.int64)
            np.cumsum(lens[:-1], out=run_starts[1:])
            src = np.arange(total, dtype=np.int64) + np.repeat(src_starts - run_starts, lens)
            out[src + shift] = data[src]
    return out.tobytes()


_ENCODERS = {"i64": encode_i64, "f64": encode_f64, "bool": encode_bool, "str": encode_str}


class ContentHasher:
    """Feeds batches of rows (in hash order, values of their kinds) into the column digests."""

    def __init__(self, artifact_type: str, schema_version: int, columns: Sequence[HashColumn]) -> None:
        self.artifact_type = artifact_type
        self.schema_version = schema_version
        self.columns = tuple(columns)
        self.rows = 0
        self._digests = [hashlib.sha256() for _ in self.columns]

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        for column, digest in zip(self.columns, self._digests, strict=True):
            values = batch.column(column.name)
            chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
            for chunk in chunks:
                if len(chunk):
                    digest.update(_ENCODERS[column.kind](chunk))
        self.rows += batch.num_rows

    def hexdigest(self) -> str:
        header = f"qbch1\n{self.artifact_type}\n{self.schema_version}\n{self.rows}\n"
        for column, digest in zip(self.columns, self._digests, strict=True):
            header += f"{column.name}:{column.kind}:{digest.hexdigest()}\n"
        return hashlib.sha256(header.encode("utf-8")).hexdigest()


def hash_sorted_batches(
    artifact_type: str,
    schema_version: int,
    columns: Sequence[HashColumn],
    batches: Iterable[pa.RecordBatch | pa.Table],
) -> str:
    hasher = ContentHasher(artifact_type, schema_version, columns)
    for batch in batches:
        hasher.update(batch)
    return hasher.hexdigest()


def hash_sorted_table(artifact_type: str, schema_version: int, columns: Sequence[HashColumn], table: pa.Table) -> str:
    return hash_sorted_batches(artifact_type, schema_version, columns, table.to_batches(max_chunksize=65536))
