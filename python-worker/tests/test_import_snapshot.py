"""ImportSnapshot: happy paths, every validation rule, path escapes, and nothing left behind."""

from __future__ import annotations

import gzip
import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from quantbot.storage.worker.v1 import worker_pb2

from conftest import (
    BONK,
    CALL_HEADER,
    CANDLE_HEADER,
    PEPE,
    SOL,
    Code,
    Env,
    LiveWorker,
    candle_rows,
    request_frame,
    write_csv,
    write_parquet,
)
from reference_hash import OHLCV_COLUMNS, OHLCV_SORT_KEY, reference_hash

CANDLE_COLUMNS = CANDLE_HEADER.split(",")
CALL_COLUMNS = CALL_HEADER.split(",")
CALLS = [
    ("c1", "alice", SOL, "solana", 1_700_000_060_000, 1.01),
    ("c2", "bob", PEPE, "ethereum", 1_700_000_000_000, None),
    ("c3", "alice", BONK, "solana", 1_700_000_120_000, 0.00002),
]


def snapshot(env: Env, name: str = "snap") -> Path:
    folder = env.imports / name
    write_csv(folder / "candles" / "sol_1m.csv", CANDLE_HEADER, candle_rows(SOL, "solana", "1m", 30))
    write_csv(folder / "candles" / "sol_5m.csv", CANDLE_HEADER, candle_rows(SOL, "solana", "5m", 10, step=300_000))
    write_parquet(folder / "candles" / "pepe.parquet", CANDLE_COLUMNS, candle_rows(PEPE, "ethereum", "1m", 20))
    write_csv(folder / "calls.csv", CALL_HEADER, CALLS)
    return folder


def op(folder: Path | str, name: str = "snap1", dry_run: bool = False) -> worker_pb2.ImportSnapshotOp:
    return worker_pb2.ImportSnapshotOp(source_dir=str(folder), snapshot_name=name, dry_run=dry_run)


def test_import_splits_into_slices_and_alerts(env: Env) -> None:
    result = env.ok("import_snapshot", op(snapshot(env))).import_snapshot
    assert result.files == 4
    assert result.candle_rows == 60
    assert result.call_rows == 3
    by_key = {a.logical_key: a for a in result.artifacts}
    assert sorted(by_key) == [
        "snapshot=snap1/alerts",
        f"snapshot=snap1/chain=ethereum/token={PEPE}/res=1m",
        f"snapshot=snap1/chain=solana/token={SOL}/res=1m",
        f"snapshot=snap1/chain=solana/token={SOL}/res=5m",
    ]
    sol = by_key[f"snapshot=snap1/chain=solana/token={SOL}/res=1m"]
    assert sol.type == "ohlcv_slice" and sol.schema_version == 1 and sol.extension == "parquet"
    assert dict(sol.tags) == {"snapshot": "snap1", "chain": "solana", "token": SOL, "interval": "1m"}
    assert sol.row_count == 30
    assert (sol.min_ts_ms, sol.max_ts_ms) == (1_700_000_000_000, 1_700_000_000_000 + 29 * 60_000)
    assert [(c.name, c.type) for c in sol.columns] == [
        ("token", "VARCHAR"), ("chain", "VARCHAR"), ("interval", "VARCHAR"), ("ts", "BIGINT"),
        ("open", "DOUBLE"), ("high", "DOUBLE"), ("low", "DOUBLE"), ("close", "DOUBLE"), ("volume", "DOUBLE"),
    ]  # fmt: skip
    assert json.loads(sol.params_json)["source_files"] == ["candles/sol_1m.csv"]

    # The file is in staging, complete, sorted, ZSTD-compressed, and its hashes are right.
    path = Path(sol.staging_path)
    assert path.parent == env.staging and path.suffix == ".parquet"
    import hashlib

    assert sol.file_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sol.size_bytes == path.stat().st_size
    metadata = pq.ParquetFile(path).metadata
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    table = pq.read_table(path)
    assert table.column("ts").to_pylist() == sorted(table.column("ts").to_pylist())
    rows = [tuple(r.values()) for r in table.to_pylist()]
    assert sol.content_hash == reference_hash("ohlcv_slice", 1, OHLCV_COLUMNS, OHLCV_SORT_KEY, rows)

    alerts = by_key["snapshot=snap1/alerts"]
    assert alerts.type == "alerts" and dict(alerts.tags) == {"snapshot": "snap1"}
    calls = pq.read_table(alerts.staging_path).to_pylist()
    assert [c["call_id"] for c in calls] == ["c2", "c1", "c3"]  # sorted by ts, call_id
    assert calls[0]["price"] is None
    assert (alerts.min_ts_ms, alerts.max_ts_ms) == (1_700_000_000_000, 1_700_000_120_000)
    # No temporary files are left in staging.
    assert not [n for n in env.staged_files() if n.startswith(".tmp")]
    assert len(env.staged_files()) == 4


def test_same_rows_in_any_file_give_the_same_content_hash(env: Env) -> None:
    rows = candle_rows(SOL, "solana", "1m", 12)
    write_csv(env.imports / "one" / "c.csv", CANDLE_HEADER, rows)
    write_parquet(env.imports / "two" / "c.parquet", CANDLE_COLUMNS, list(reversed(rows)))
    (env.imports / "three").mkdir()
    with gzip.open(env.imports / "three" / "c.csv.gz", "wt") as f:
        f.write(CANDLE_HEADER + "\n" + "\n".join(",".join(map(str, r)) for r in rows[6:] + rows[:6]) + "\n")
    hashes = {
        env.ok("import_snapshot", op(env.imports / folder)).import_snapshot.artifacts[0].content_hash
        for folder in ("one", "two", "three")
    }
    assert len(hashes) == 1


def test_dry_run_validates_and_writes_nothing(env: Env) -> None:
    result = env.ok("import_snapshot", op(snapshot(env), dry_run=True)).import_snapshot
    assert len(result.artifacts) == 4
    assert all(a.staging_path == "" and a.content_hash for a in result.artifacts)
    assert env.staged_files() == []


def test_old_timestamp_column_in_seconds(env: Env) -> None:
    rows = [(SOL, "solana", "1m", 1_700_000_000 + 60 * i, 1.0, 1.0, 1.0, 1.0, 5.0) for i in range(3)]
    write_csv(env.imports / "old" / "c.csv", "token,chain,interval,timestamp,open,high,low,close,volume", rows)
    result = env.ok("import_snapshot", op(env.imports / "old")).import_snapshot
    assert result.artifacts[0].min_ts_ms == 1_700_000_000_000
    assert any("timestamp" in w.message for w in result.warnings)


def test_non_data_files_and_extra_columns_are_warnings(env: Env) -> None:
    folder = snapshot(env)
    (folder / "README.md").write_text("hello")
    (folder / ".hidden.csv").write_text("garbage")
    write_csv(folder / "extra.csv", CANDLE_HEADER + ",source", [(*candle_rows(BONK, "solana", "1m", 1)[0], "x")])
    result = env.ok("import_snapshot", op(folder)).import_snapshot
    messages = [(w.file, w.message) for w in result.warnings]
    assert ("README.md", "skipped: not a .csv, .csv.gz, .parquet or .pq file") in messages
    assert any(f == "extra.csv" and "ignored" in m for f, m in messages)
    assert not any(".hidden" in f for f, _ in messages)


def issues_of(error: worker_pb2.WorkerError) -> list[tuple[str, int, str]]:
    return [(i.file, i.row, i.column) for i in error.issues]


def test_bad_rows_are_reported_with_file_row_and_column(env: Env) -> None:
    folder = snapshot(env)
    rows = candle_rows(BONK, "solana", "1m", 6)
    rows[1] = (*rows[1][:3], "not-a-number", *rows[1][4:])  # row 2: ts
    rows[2] = (*rows[2][:5], 0.5, *rows[2][6:])  # row 3: high below open/close
    rows[3] = (*rows[3][:6], 9.0, *rows[3][7:])  # row 4: low above open/close
    rows[4] = (*rows[4][:4], -1.0, *rows[4][5:])  # row 5: negative open
    rows[5] = (*rows[5][:8], -3.0)  # row 6: negative volume
    write_csv(folder / "bad.csv", CANDLE_HEADER, rows)
    error = env.error("import_snapshot", op(folder))
    assert error.code == Code.INVALID_INPUT_DATA
    found = issues_of(error)
    assert ("bad.csv", 2, "ts") in found
    assert ("bad.csv", 3, "high") in found
    assert ("bad.csv", 4, "low") in found
    assert ("bad.csv", 5, "open") in found
    assert ("bad.csv", 6, "volume") in found
    assert "bad.csv" in error.message
    assert env.staged_files() == []


def test_missing_values_unknown_chain_and_interval(env: Env) -> None:
    rows = candle_rows(SOL, "solana", "1m", 4)
    rows[0] = ("", *rows[0][1:])
    rows[1] = (rows[1][0], "dogechain", *rows[1][2:])
    rows[2] = (*rows[2][:2], "7m", *rows[2][3:])
    rows[3] = (*rows[3][:7], "", rows[3][8])
    write_csv(env.imports / "s" / "c.csv", CANDLE_HEADER, rows)
    error = env.error("import_snapshot", op(env.imports / "s"))
    found = {(i.row, i.column): i.message for i in error.issues}
    assert found[(1, "token")] == "missing value"
    assert "unknown chain dogechain" in found[(2, "chain")]
    assert "unknown interval 7m" in found[(3, "interval")]
    assert found[(4, "close")] == "missing value"


def test_known_chains_come_from_configure(env: Env) -> None:
    write_csv(env.imports / "s" / "c.csv", CANDLE_HEADER, candle_rows(SOL, "solana", "1m", 2))
    code, replies = env.run(request_frame(1, "import_snapshot", op(env.imports / "s")), known_chains=["ethereum"])
    assert code == 0
    error = replies[1].response.error
    assert error.code == Code.INVALID_INPUT_DATA and "unknown chain solana" in error.issues[0].message


def test_duplicate_ts_across_files(env: Env) -> None:
    rows = candle_rows(SOL, "solana", "1m", 5)
    write_csv(env.imports / "s" / "a.csv", CANDLE_HEADER, rows)
    write_csv(env.imports / "s" / "b.csv", CANDLE_HEADER, rows[3:])
    error = env.error("import_snapshot", op(env.imports / "s"))
    assert issues_of(error) == [("b.csv", 1, "ts"), ("b.csv", 2, "ts")]
    assert "first seen in a.csv row 4" in error.issues[0].message


def test_duplicate_call_ids_and_bad_prices(env: Env) -> None:
    calls = [*CALLS, ("c1", "carol", SOL, "solana", 1_700_000_000_000, 2.0), ("c9", "d", SOL, "solana", 5, -1)]
    write_csv(env.imports / "s" / "calls.csv", CALL_HEADER, calls)
    error = env.error("import_snapshot", op(env.imports / "s"))
    found = issues_of(error)
    assert ("calls.csv", 4, "call_id") in found
    assert ("calls.csv", 5, "price") in found


def test_ragged_csv_rows_are_reported(env: Env) -> None:
    folder = env.imports / "s"
    folder.mkdir()
    good = ",".join(map(str, candle_rows(SOL, "solana", "1m", 1)[0]))
    (folder / "c.csv").write_text(f"{CANDLE_HEADER}\n{good}\n1,2,3\n")
    error = env.error("import_snapshot", op(folder))
    assert issues_of(error) == [("c.csv", 2, "")]
    assert "expected 9 fields, got 3" in error.issues[0].message


def test_unclassifiable_and_unreadable_files(env: Env) -> None:
    folder = snapshot(env)
    write_csv(folder / "what.csv", "a,b", [(1, 2)])
    (folder / "broken.parquet").write_bytes(b"PAR1 not really")
    error = env.error("import_snapshot", op(folder))
    files = {i.file: i.message for i in error.issues}
    assert "not a candle file" in files["what.csv"]
    assert "cannot read parquet file" in files["broken.parquet"]


def test_wrong_types_in_parquet(env: Env) -> None:
    rows = candle_rows(SOL, "solana", "1m", 2)
    schema = pa.schema(
        [(c, pa.string() if c in ("token", "chain", "interval") else pa.float64()) for c in CANDLE_COLUMNS]
    )
    write_parquet(
        env.imports / "s" / "c.parquet", CANDLE_COLUMNS, [(*r[:3], float(r[3]), *r[4:]) for r in rows], schema
    )
    error = env.error("import_snapshot", op(env.imports / "s"))
    assert issues_of(error) == [("c.parquet", 0, "ts")]
    assert "expected an integer" in error.issues[0].message


def test_issue_list_is_capped(env: Env) -> None:
    rows = [(SOL, "solana", "1m", i, 1.0, 1.0, 1.0, 1.0, -1.0) for i in range(120)]
    write_csv(env.imports / "s" / "c.csv", CANDLE_HEADER, rows)
    error = env.error("import_snapshot", op(env.imports / "s"))
    assert len(error.issues) == 50
    assert "120 problems" in error.message and "70 more not shown" in error.message


def test_failure_in_the_middle_of_writing_leaves_nothing(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from quantbot_worker import staging

    calls = {"n": 0}
    original = staging.StagingArea.add_parquet

    def failing(self: staging.StagingArea, *args: Any, **kwargs: Any) -> staging.PendingFile:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(staging.StagingArea, "add_parquet", failing)
    error = env.error("import_snapshot", op(snapshot(env)))
    assert error.code == Code.INTERNAL and "disk full" in error.message and error.traceback
    assert env.staged_files() == []


def test_failure_while_committing_leaves_nothing(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from quantbot_worker import staging

    renames = {"n": 0}
    original = staging.os.rename

    def failing_rename(source: str, target: str) -> None:
        renames["n"] += 1
        if renames["n"] == 2:
            raise OSError("I/O error")
        original(source, target)

    monkeypatch.setattr(staging.os, "rename", failing_rename)
    error = env.error("import_snapshot", op(snapshot(env)))
    assert error.code == Code.INTERNAL and "I/O error" in error.message
    assert env.staged_files() == []


@pytest.mark.parametrize("name", ["", "a/b", "..", "-x", "x" * 101, "a b"])
def test_snapshot_name_is_validated(env: Env, name: str) -> None:
    assert env.error("import_snapshot", op(snapshot(env), name=name)).code == Code.INVALID_ARGUMENT


def test_paths_outside_the_import_roots(env: Env, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    write_csv(outside / "c.csv", CANDLE_HEADER, candle_rows(SOL, "solana", "1m", 2))
    assert env.error("import_snapshot", op(outside)).code == Code.PATH_NOT_ALLOWED
    assert env.error("import_snapshot", op(env.imports / ".." / outside.name)).code == Code.PATH_NOT_ALLOWED
    assert env.error("import_snapshot", op(f"{env.imports}/../imports")).code == Code.PATH_NOT_ALLOWED
    assert env.error("import_snapshot", op("relative/dir")).code == Code.PATH_NOT_ALLOWED
    # A symlinked folder inside the root that points outside it.
    os.symlink(outside, env.imports / "link")
    assert env.error("import_snapshot", op(env.imports / "link")).code == Code.PATH_NOT_ALLOWED
    # A symlinked file inside an allowed folder that points outside.
    folder = snapshot(env)
    os.symlink(outside / "c.csv", folder / "escape.csv")
    error = env.error("import_snapshot", op(folder))
    assert error.code == Code.PATH_NOT_ALLOWED and "escape.csv" in error.message
    assert env.staged_files() == []


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket(path: Path) -> Path:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()
    return path


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("candles.csv", _fifo, "FIFO"),
        ("calls.parquet", _fifo, "FIFO"),
        ("notes.txt", _fifo, "FIFO"),
        ("feed.csv", _socket, "socket"),
    ],
)
def test_non_regular_files_are_refused_before_anything_is_opened(
    live: LiveWorker, env: Env, name: str, make: Callable[[Path], Path], kind: str
) -> None:
    folder = snapshot(env)
    make(folder / "candles" / name)
    # Without the check the worker opens the FIFO and blocks until the deadline (or forever without one).
    live.send(request_frame(7, "import_snapshot", op(folder)))
    response = live.next(timeout=20).response
    assert response.WhichOneof("outcome") == "error"
    assert response.error.code == Code.INVALID_ARGUMENT
    assert kind in response.error.message and name in response.error.message
    assert env.staged_files() == []
    # The same worker takes the next call at once.
    os.unlink(folder / "candles" / name)
    live.send(request_frame(8, "import_snapshot", op(folder, dry_run=True)))
    assert live.next(timeout=20).response.result.import_snapshot.files == 4


def test_a_symlink_to_a_fifo_or_a_device_is_refused(env: Env) -> None:
    folder = snapshot(env)
    pipe = _fifo(env.imports / "pipe")
    os.symlink(pipe, folder / "link.csv")
    error = env.error("import_snapshot", op(folder), timeout_ms=20_000)
    assert error.code == Code.INVALID_ARGUMENT and "link.csv" in error.message and "FIFO" in error.message
    os.unlink(folder / "link.csv")
    # /dev/zero is outside the import roots: refused as an escape before its kind matters.
    os.symlink("/dev/zero", folder / "zero.csv")
    assert env.error("import_snapshot", op(folder), timeout_ms=20_000).code == Code.PATH_NOT_ALLOWED
    os.unlink(folder / "zero.csv")
    os.symlink(folder / "missing.csv", folder / "dangling.csv")
    error = env.error("import_snapshot", op(folder), timeout_ms=20_000)
    assert error.code == Code.INVALID_ARGUMENT and "dangling.csv" in error.message


def test_missing_and_empty_folders(env: Env) -> None:
    assert env.error("import_snapshot", op(env.imports / "nope")).code == Code.NOT_FOUND
    (env.imports / "empty").mkdir()
    assert env.error("import_snapshot", op(env.imports / "empty")).code == Code.INVALID_INPUT_DATA
    (env.imports / "file.csv").write_text("x")
    assert env.error("import_snapshot", op(env.imports / "file.csv")).code == Code.INVALID_ARGUMENT


def test_timeout_during_import_leaves_nothing(env: Env) -> None:
    folder = env.imports / "big"
    for i in range(40):
        write_csv(folder / f"c{i}.csv", CANDLE_HEADER, candle_rows(f"T{i:03d}", "solana", "1m", 50))
    error = env.error("import_snapshot", op(folder), timeout_ms=50)
    assert error.code == Code.DEADLINE_EXCEEDED
    assert env.staged_files() == []


def test_chain_names_are_lower_cased_and_tokens_kept(env: Env) -> None:
    rows = [(f" {SOL} ", "Solana", "1m", 0, 1.0, 1.0, 1.0, 1.0, 0.0)]
    write_csv(env.imports / "s" / "c.csv", CANDLE_HEADER, rows)
    artifact = env.ok("import_snapshot", op(env.imports / "s")).import_snapshot.artifacts[0]
    assert dict(artifact.tags) == {"snapshot": "snap1", "chain": "solana", "token": SOL, "interval": "1m"}


def test_symlinked_folders_are_not_followed(env: Env) -> None:
    folder = snapshot(env)
    other = env.imports / "other"
    write_csv(other / "c.csv", CANDLE_HEADER, candle_rows(BONK, "solana", "1m", 2))
    os.symlink(other, folder / "linked")
    result = env.ok("import_snapshot", op(folder)).import_snapshot
    assert result.files == 4
    assert ("linked", "skipped: a symlinked folder is not followed") in [(w.file, w.message) for w in result.warnings]


def test_an_upload_is_read_only_from_the_daemons_uploads_folder(env: Env) -> None:
    uploads = env.staging / "uploads"
    upload = uploads / "0b6f3c2e"
    write_csv(upload / "candles" / "sol_1m.csv", CANDLE_HEADER, candle_rows(SOL, "solana", "1m", 3))
    write_csv(upload / "calls.csv", CALL_HEADER, CALLS[:1])
    uploaded = worker_pb2.ImportSnapshotOp(source_dir=str(upload), snapshot_name="up", uploaded=True)
    result = env.ok("import_snapshot", uploaded).import_snapshot
    assert (result.files, result.candle_rows, result.call_rows) == (2, 3, 1)
    # The same folder without the flag is a client's path: staging is not an import root.
    assert env.error("import_snapshot", op(upload)).code == Code.PATH_NOT_ALLOWED
    # With the flag, an import root (or anything outside staging/uploads) is refused.
    folder = snapshot(env)
    flagged = worker_pb2.ImportSnapshotOp(source_dir=str(folder), snapshot_name="up", uploaded=True)
    assert env.error("import_snapshot", flagged).code == Code.PATH_NOT_ALLOWED
    # And so is staging itself, where other calls' outputs live.
    flagged = worker_pb2.ImportSnapshotOp(source_dir=str(env.staging), snapshot_name="up", uploaded=True)
    assert env.error("import_snapshot", flagged).code == Code.PATH_NOT_ALLOWED
