"""A deliberately plain, row-by-row implementation of qbch1 (docs/artifacts.md), for tests only.

It shares no code with quantbot_worker.content_hash: it sorts Python tuples and packs values
with struct, one row at a time.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence
from typing import Any

NAN_BITS = bytes.fromhex("7ff8000000000000")


def _encode(kind: str, value: Any) -> bytes:
    if value is None:
        return b"\x00"
    if kind == "i64":
        return b"\x01" + struct.pack(">q", value)
    if kind == "f64":
        if math.isnan(value):
            return b"\x01" + NAN_BITS
        if value == 0.0:
            value = 0.0  # turns -0.0 into +0.0
        return b"\x01" + struct.pack(">d", value)
    if kind == "bool":
        return b"\x01" + (b"\x01" if value else b"\x00")
    if kind == "str":
        data = value.encode("utf-8")
        return b"\x01" + struct.pack(">I", len(data)) + data
    raise ValueError(kind)


def _sort_part(kind: str, value: Any) -> tuple[Any, ...]:
    # NULLs last; NaN above every number; strings by their UTF-8 bytes.
    if value is None:
        return (1,)
    if kind == "f64":
        return (0, 1, 0.0) if math.isnan(value) else (0, 0, value)
    if kind == "str":
        return (0, value.encode("utf-8"))
    return (0, value)


def reference_hash(
    artifact_type: str,
    schema_version: int,
    columns: Sequence[tuple[str, str]],
    sort_key: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> str:
    names = [name for name, _ in columns]
    kinds = dict(columns)
    order = list(sort_key) + [n for n in names if n not in sort_key]
    positions = [names.index(n) for n in order]

    def key(row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(_sort_part(kinds[names[p]], row[p]) for p in positions)

    ordered = sorted(rows, key=key)
    header = f"qbch1\n{artifact_type}\n{schema_version}\n{len(ordered)}\n"
    for index, (name, kind) in enumerate(columns):
        digest = hashlib.sha256()
        for row in ordered:
            digest.update(_encode(kind, row[index]))
        header += f"{name}:{kind}:{digest.hexdigest()}\n"
    return hashlib.sha256(header.encode("utf-8")).hexdigest()


OHLCV_COLUMNS = [
    ("token", "str"), ("chain", "str"), ("interval", "str"), ("ts", "i64"),
    ("open", "f64"), ("high", "f64"), ("low", "f64"), ("close", "f64"), ("volume", "f64"),
]  # fmt: skip
OHLCV_SORT_KEY = ["token", "chain", "interval", "ts"]
SOL = "So11111111111111111111111111111111111111112"
# The example of docs/artifacts.md, in the order given there.
KNOWN_OHLCV_ROWS = [
    (SOL, "solana", "1m", 60000, 1.0, 2.0, 0.5, 1.5, 100.0),
    (SOL, "solana", "1m", 0, 1.0, 1.0, 1.0, 1.0, 0.0),
]
