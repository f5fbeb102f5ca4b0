"""PublishArtifact: known types validated against their canonical columns, other types kept as given."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from quantbot.storage.worker.v1 import worker_pb2

from conftest import CANDLE_HEADER, SOL, Code, Env, candle_rows, write_csv, write_parquet
from reference_hash import KNOWN_OHLCV_ROWS
from test_content_hash import KNOWN_HASHES

CANDLE_COLUMNS = CANDLE_HEADER.split(",")


def publish(
    path: Path | str, artifact_type: str = "ohlcv_slice", key: str = "k", fmt: str = ""
) -> worker_pb2.PublishArtifactOp:
    return worker_pb2.PublishArtifactOp(type=artifact_type, logical_key=key, source_path=str(path), source_format=fmt)


def write_arrow(path: Path, table: pa.Table) -> Path:
    with ipc.new_stream(str(path), table.schema) as writer:
        writer.write_table(table)
    return path


def test_known_example_hashes_to_the_pinned_value_in_every_format(env: Env) -> None:
    csv = write_csv(env.imports / "k.csv", CANDLE_HEADER, KNOWN_OHLCV_ROWS)
    parquet = write_parquet(env.imports / "k.parquet", CANDLE_COLUMNS, KNOWN_OHLCV_ROWS)
    arrow = write_arrow(env.imports / "k.arrow", pq.read_table(parquet))
    for path in (csv, parquet, arrow):
        artifact = env.ok("publish_artifact", publish(path)).artifact
        assert artifact.content_hash == KNOWN_HASHES["ohlcv_slice_two_rows"], path
        assert artifact.row_count == 2
        assert (artifact.min_ts_ms, artifact.max_ts_ms) == (0, 60000)
        assert dict(artifact.tags) == {"chain": "solana", "token": SOL, "interval": "1m"}
        staged = Path(artifact.staging_path)
        assert artifact.file_hash == hashlib.sha256(staged.read_bytes()).hexdigest()
        assert pq.read_table(staged).column("ts").to_pylist() == [0, 60000]


def test_columns_in_another_order_are_put_in_canonical_order(env: Env) -> None:
    rows = candle_rows(SOL, "solana", "1m", 3)
    reordered = [c for c in reversed(CANDLE_COLUMNS)]
    path = write_parquet(env.imports / "r.parquet", reordered, [tuple(reversed(r)) for r in rows])
    artifact = env.ok("publish_artifact", publish(path)).artifact
    assert [c.name for c in artifact.columns] == CANDLE_COLUMNS
    assert pq.read_table(artifact.staging_path).column_names == CANDLE_COLUMNS


def test_missing_extra_and_wrong_typed_columns(env: Env) -> None:
    rows = candle_rows(SOL, "solana", "1m", 2)
    missing = write_parquet(env.imports / "m.parquet", CANDLE_COLUMNS[:-1], [r[:-1] for r in rows])
    error = env.error("publish_artifact", publish(missing))
    assert error.code == Code.INVALID_INPUT_DATA
    assert [(i.column, i.message) for i in error.issues] == [("volume", "missing column")]

    extra = write_parquet(env.imports / "e.parquet", [*CANDLE_COLUMNS, "note"], [(*r, "x") for r in rows])
    error = env.error("publish_artifact", publish(extra))
    assert error.code == Code.INVALID_INPUT_DATA and error.issues[0].column == "note"

    schema = pa.schema([(c, pa.string()) for c in CANDLE_COLUMNS])
    typed = write_parquet(env.imports / "t.parquet", CANDLE_COLUMNS, [tuple(map(str, r)) for r in rows], schema)
    error = env.error("publish_artifact", publish(typed))
    assert error.code == Code.INVALID_INPUT_DATA
    assert {i.column for i in error.issues} == {"ts", "open", "high", "low", "close", "volume"}
    assert env.staged_files() == []


def test_row_rules_apply_to_published_candles(env: Env) -> None:
    rows = candle_rows(SOL, "solana", "1m", 3)
    rows[1] = (*rows[1][:5], 0.0001, *rows[1][6:])
    path = write_csv(env.imports / "bad.csv", CANDLE_HEADER, [*rows, rows[0]])
    error = env.error("publish_artifact", publish(path))
    assert [(i.row, i.column) for i in error.issues] == [(2, "high"), (4, "ts")]
    assert env.staged_files() == []


def test_alerts_and_run_results(env: Env) -> None:
    alerts = write_csv(
        env.imports / "a.csv", "call_id,caller,token,chain,ts,price", [("x", "al", SOL, "solana", 5, "")]
    )
    artifact = env.ok("publish_artifact", publish(alerts, "alerts", "snapshot=s/alerts")).artifact
    assert artifact.type == "alerts" and artifact.row_count == 1

    from test_analyze import results_table

    path = env.imports / "results.parquet"
    pq.write_table(results_table(), path)
    artifact = env.ok("publish_artifact", publish(path, "run_results", "sweep=s1/sealed=1")).artifact
    assert artifact.type == "run_results"
    assert dict(artifact.tags) == {"sweep_id": "s1"}
    assert artifact.min_ts_ms > 0


def test_other_types_keep_their_columns(env: Env) -> None:
    table = pa.table({"b": [2, 1, None], "a": ["y", "x", "z"], "ts": pa.array([3, 1, 2], pa.int64()),
                      "when": pa.array([1, 2, 3], pa.timestamp("ms"))})  # fmt: skip
    path = env.imports / "metrics.parquet"
    pq.write_table(table, path)
    artifact = env.ok("publish_artifact", publish(path, "run_metrics", "m/1")).artifact
    assert artifact.type == "run_metrics"
    assert [(c.name, c.type) for c in artifact.columns] == [
        ("b", "BIGINT"), ("a", "VARCHAR"), ("ts", "BIGINT"), ("when", "TIMESTAMP_MS")
    ]  # fmt: skip
    assert (artifact.min_ts_ms, artifact.max_ts_ms) == (1, 3)
    written = pq.read_table(artifact.staging_path)
    assert written.column("b").to_pylist() == [1, 2, None]  # sorted by all columns, NULLs last
    # The same rows in another order give the same content hash.
    pq.write_table(table.take([2, 0, 1]), path)
    assert (
        env.ok("publish_artifact", publish(path, "run_metrics", "m/1")).artifact.content_hash == artifact.content_hash
    )
    csv = write_csv(env.imports / "m.csv", "x,y", [(1, "a"), (2, "b")])
    assert [c.type for c in env.ok("publish_artifact", publish(csv, "thing", "t")).artifact.columns] == [
        "BIGINT", "VARCHAR"
    ]  # fmt: skip


def test_argument_and_path_checks(env: Env, tmp_path_factory: pytest.TempPathFactory) -> None:
    good = write_csv(env.imports / "k.csv", CANDLE_HEADER, KNOWN_OHLCV_ROWS)
    assert env.error("publish_artifact", publish(good, "Bad-Type")).code == Code.INVALID_ARGUMENT
    assert env.error("publish_artifact", publish(good, "report")).code == Code.INVALID_ARGUMENT
    assert env.error("publish_artifact", publish(good, key="")).code == Code.INVALID_ARGUMENT
    assert env.error("publish_artifact", publish(good, fmt="xlsx")).code == Code.INVALID_ARGUMENT
    op = publish(good)
    op.schema_version = 2
    assert env.error("publish_artifact", op).code == Code.INVALID_ARGUMENT
    outside = write_csv(tmp_path_factory.mktemp("out") / "k.csv", CANDLE_HEADER, KNOWN_OHLCV_ROWS)
    assert env.error("publish_artifact", publish(outside)).code == Code.PATH_NOT_ALLOWED
    assert env.error("publish_artifact", publish(env.imports / "none.csv")).code == Code.NOT_FOUND
    garbage = env.imports / "g.parquet"
    garbage.write_bytes(b"nope")
    assert env.error("publish_artifact", publish(garbage)).code == Code.INVALID_INPUT_DATA


def test_a_file_in_staging_can_be_published(env: Env) -> None:
    # The daemon streams client rows into staging and then asks for a publish of that file.
    path = write_parquet(env.staging / "incoming.parquet", CANDLE_COLUMNS, KNOWN_OHLCV_ROWS)
    artifact = env.ok("publish_artifact", publish(path)).artifact
    assert artifact.content_hash == KNOWN_HASHES["ohlcv_slice_two_rows"]
    assert json.loads(artifact.params_json) == {"source_path": str(path)}
