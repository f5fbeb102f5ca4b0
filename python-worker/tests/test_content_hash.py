"""qbch1: the fast implementation against the plain reference, and the pinned known value."""

from __future__ import annotations

import hashlib
import math
import random
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from quantbot_worker.content_hash import (
    HashColumn,
    encode_f64,
    encode_str,
    hash_query_sql,
    hash_sorted_batches,
    hash_sorted_table,
    kind_of_duckdb_type,
)
from quantbot_worker.schemas import OHLCV_SLICE

from reference_hash import KNOWN_OHLCV_ROWS, OHLCV_COLUMNS, OHLCV_SORT_KEY, SOL, reference_hash

# Pinned on both sides (the Java suite has the same value); docs/artifacts.md states it.
KNOWN_HASHES = {
    "ohlcv_slice_two_rows": "7ae973e64db4d9540bf3217e22aee4e7e018b72f8420d8a127aa21273f46eaf1",
}

DOCS = Path(__file__).resolve().parents[2] / "docs" / "artifacts.md"


def fast_hash_via_duckdb(artifact_type: str, columns: list[tuple[str, str]], sort_key: list[str], rows: list) -> str:
    """Rows in any order -> DuckDB sorts them (hash_query_sql) -> the numpy encoders."""
    duck_types = {"str": "VARCHAR", "i64": "BIGINT", "f64": "DOUBLE", "bool": "BOOLEAN"}
    con = duckdb.connect()
    schema = pa.schema([(name, {"str": pa.string(), "i64": pa.int64(), "f64": pa.float64(), "bool": pa.bool_()}[k])
                        for name, k in columns])  # fmt: skip
    table = pa.Table.from_pylist([dict(zip([n for n, _ in columns], row, strict=True)) for row in rows], schema=schema)
    con.register("t", table)
    sql = hash_query_sql("t", [(n, duck_types[k]) for n, k in columns], sort_key)
    reader = con.execute(sql).to_arrow_reader(3)  # tiny batches: digests must stream across them
    return hash_sorted_batches(artifact_type, 1, [HashColumn(n, k) for n, k in columns], reader)  # type: ignore[arg-type]


def test_known_value_reference_and_fast_agree() -> None:
    expected = KNOWN_HASHES["ohlcv_slice_two_rows"]
    assert reference_hash("ohlcv_slice", 1, OHLCV_COLUMNS, OHLCV_SORT_KEY, KNOWN_OHLCV_ROWS) == expected
    assert fast_hash_via_duckdb("ohlcv_slice", OHLCV_COLUMNS, OHLCV_SORT_KEY, KNOWN_OHLCV_ROWS) == expected
    ordered = sorted(KNOWN_OHLCV_ROWS, key=lambda r: r[3])
    table = pa.table({n: [r[i] for r in ordered] for i, (n, _) in enumerate(OHLCV_COLUMNS)}).cast(
        OHLCV_SLICE.arrow_schema()
    )
    assert hash_sorted_table("ohlcv_slice", 1, OHLCV_SLICE.hash_columns(), table) == expected


def test_known_value_is_written_in_the_docs() -> None:
    text = DOCS.read_text()
    assert KNOWN_HASHES["ohlcv_slice_two_rows"] in text
    assert re.search(r"hashes to `[0-9a-f]{64}`", text)


def test_header_layout_by_hand() -> None:
    # One BIGINT column, one row holding 1: digest input is 0x01 + 8 bytes.
    column_digest = hashlib.sha256(b"\x01" + (1).to_bytes(8, "big")).hexdigest()
    header = f"qbch1\nthing\n3\n1\nx:i64:{column_digest}\n"
    expected = hashlib.sha256(header.encode()).hexdigest()
    assert hash_sorted_table("thing", 3, [HashColumn("x", "i64")], pa.table({"x": [1]})) == expected
    assert reference_hash("thing", 3, [("x", "i64")], ["x"], [(1,)]) == expected


def test_row_order_does_not_matter() -> None:
    rows = [(SOL, "solana", "1m", ts, 1.0, 2.0, 0.5, 1.5, float(ts % 7)) for ts in range(0, 600_000, 60_000)]
    expected = reference_hash("ohlcv_slice", 1, OHLCV_COLUMNS, OHLCV_SORT_KEY, rows)
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    assert reference_hash("ohlcv_slice", 1, OHLCV_COLUMNS, OHLCV_SORT_KEY, shuffled) == expected
    assert fast_hash_via_duckdb("ohlcv_slice", OHLCV_COLUMNS, OHLCV_SORT_KEY, shuffled) == expected


def test_different_content_gives_different_hash() -> None:
    base = reference_hash("ohlcv_slice", 1, OHLCV_COLUMNS, OHLCV_SORT_KEY, KNOWN_OHLCV_ROWS)
    changed = [KNOWN_OHLCV_ROWS[0], (*KNOWN_OHLCV_ROWS[1][:8], 0.5)]
    assert reference_hash("ohlcv_slice", 1, OHLCV_COLUMNS, OHLCV_SORT_KEY, changed) != base
    assert reference_hash("ohlcv_slice", 2, OHLCV_COLUMNS, OHLCV_SORT_KEY, KNOWN_OHLCV_ROWS) != base
    assert reference_hash("other", 1, OHLCV_COLUMNS, OHLCV_SORT_KEY, KNOWN_OHLCV_ROWS) != base


MIXED_COLUMNS = [("k", "str"), ("n", "i64"), ("x", "f64"), ("b", "bool")]


@pytest.mark.parametrize(
    "rows",
    [
        # NULLs in every kind, sorted last
        [("a", None, None, None), ("a", 1, 1.5, True), (None, 2, -2.5, False), ("b", -(2**63), 0.1, None)],
        # -0.0 and 0.0 encode the same; NaNs with different payloads encode the same
        [("z", 1, -0.0, True), ("y", 2, float("nan"), False), ("x", 3, math.inf, True), ("w", 4, -math.inf, True)],
        # unicode, empty strings, strings that differ only in bytes ordering
        [
            ("é", 1, 1.0, True),
            ("", 2, 2.0, False),
            ("e", 3, 3.0, True),
            ("\U0001f680", 4, 4.0, True),
            ("Z", 5, 5.0, False),
        ],
        # ties on the sort key broken by the other columns
        [("a", 1, 3.0, True), ("a", 1, 1.0, False), ("a", 1, 2.0, True), ("a", 1, None, True)],
    ],
)
def test_fast_equals_reference_on_edge_values(rows: list) -> None:
    expected = reference_hash("t", 1, MIXED_COLUMNS, ["k"], rows)
    assert fast_hash_via_duckdb("t", MIXED_COLUMNS, ["k"], rows) == expected
    assert fast_hash_via_duckdb("t", MIXED_COLUMNS, ["k"], list(reversed(rows))) == expected


def test_negative_zero_and_nan_payloads_hash_like_their_canonical_forms() -> None:
    negative = reference_hash("t", 1, [("x", "f64")], ["x"], [(-0.0,)])
    assert negative == reference_hash("t", 1, [("x", "f64")], ["x"], [(0.0,)])
    odd_nan = pa.array([0.0, 0.0]).cast(pa.float64())
    payload = pa.py_buffer(bytes.fromhex("7ff0000000000001")[::-1] + bytes.fromhex("fff8000000000000")[::-1])
    odd_nan = pa.Array.from_buffers(pa.float64(), 2, [None, payload])
    assert encode_f64(odd_nan) == (b"\x01" + bytes.fromhex("7ff8000000000000")) * 2
    assert encode_f64(pa.array([-0.0])) == b"\x01" + bytes(8)


def test_string_encoder_handles_slices_and_nulls() -> None:
    array = pa.array(["skip", "ab", None, "", "ü"])[1:]
    expected = b"\x01\x00\x00\x00\x02ab" + b"\x00" + b"\x01\x00\x00\x00\x00" + b"\x01\x00\x00\x00\x02" + "ü".encode()
    assert encode_str(array) == expected


def test_large_random_table_matches_reference() -> None:
    rng = random.Random(11)
    rows = [
        (
            rng.choice([None, "a", "bb", "ccc", "Ünï"]),
            rng.choice([None, rng.randint(-(10**12), 10**12)]),
            rng.choice([None, rng.uniform(-5, 5), float("nan"), -0.0]),
            rng.choice([None, True, False]),
        )
        for _ in range(3000)
    ]
    assert fast_hash_via_duckdb("t", MIXED_COLUMNS, ["n", "k"], rows) == reference_hash(
        "t", 1, MIXED_COLUMNS, ["n", "k"], rows
    )


@pytest.mark.parametrize(
    ("duckdb_type", "kind"),
    [("INTEGER", "i64"), ("UBIGINT", "i64"), ("FLOAT", "f64"), ("BOOLEAN", "bool"),
     ("TIMESTAMP", "i64"), ("TIMESTAMP WITH TIME ZONE", "i64"), ("DATE", "str"), ("DECIMAL(10,2)", "str"),
     ("VARCHAR", "str")],
)  # fmt: skip
def test_kinds_of_other_duckdb_types(duckdb_type: str, kind: str) -> None:
    assert kind_of_duckdb_type(duckdb_type) == kind
