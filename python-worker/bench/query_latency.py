"""Latency of small Query requests through a real worker process (no Java).

Starts ``python -m quantbot_worker`` with pipes, sends Configure (threads=1, memory_limit=1GB,
as the daemon's pool does), then per case N Query requests one after another (each with
timeout_ms set, JSON rows, default row limit), and prints p50/p99/mean of:

- round trip: frame written to the worker's stdin until its response frame is read back;
- worker: ``Response.elapsed_us`` (time inside the request thread, handler included);
- outside: the difference (pipes, frame coding on both sides, the hand-over between the
  worker's reader thread and its request thread).

Cases: ``SELECT count(*), avg(close) FROM candles`` over a view of one Parquet file of 1,440
one-minute candles (the daemon's pool benchmark), ``SELECT 42 AS answer`` without views, and a
grouped query with ORDER BY over the same view (the path that keeps DuckDB's top-N).

Run after one Maven build (the generated protobuf code lives in target/):

    python-worker/.venv/bin/python python-worker/bench/query_latency.py [--requests 2000] [--src DIR]

``--src`` runs another copy of the worker's source (say, ``git archive`` of an older commit)
with the same generated code, for before/after figures on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "target" / "generated-sources" / "python"
sys.path[:0] = [str(ROOT / "src"), str(GENERATED)]

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from quantbot.storage.worker.v1 import worker_pb2  # noqa: E402

from quantbot_worker.framing import encode_frame, read_frame  # noqa: E402

START_TS = 1_700_000_000_000


def write_candles(path: Path, rows: int) -> None:
    table = pa.table(
        {
            "token": ["So11111111111111111111111111111111111111112"] * rows,
            "chain": ["solana"] * rows,
            "interval": ["1m"] * rows,
            "ts": pa.array([START_TS + i * 60_000 for i in range(rows)], pa.int64()),
            "open": [1.0 + (i % 10) / 100 for i in range(rows)],
            "high": [1.2 + (i % 10) / 100 for i in range(rows)],
            "low": [0.9 + (i % 10) / 100 for i in range(rows)],
            "close": [1.1 + (i % 10) / 100 for i in range(rows)],
            "volume": [float(1000 + i) for i in range(rows)],
        }
    )
    pq.write_table(table, path)


class Worker:
    def __init__(self, staging: Path, lake: Path, src: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(GENERATED)])}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "quantbot_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin = self.process.stdin
        self.stdout = self.process.stdout
        configure = worker_pb2.Configure(
            allowed_directories=[str(lake), str(staging)],
            staging_dir=str(staging),
            memory_limit="1GB",
            threads=1,
        )
        self.send(worker_pb2.DaemonFrame(configure=configure))
        assert self.receive().WhichOneof("frame") == "ready"

    def send(self, frame: worker_pb2.DaemonFrame) -> None:
        self.stdin.write(encode_frame(frame))
        self.stdin.flush()

    def receive(self) -> worker_pb2.WorkerFrame:
        """The next frame other than Accepted (the worker acknowledges each request as it reads it)."""
        while True:
            payload = read_frame(self.stdout)
            assert payload is not None, "the worker closed its output"
            frame = worker_pb2.WorkerFrame()
            frame.ParseFromString(payload)
            if frame.WhichOneof("frame") != "accepted":
                return frame

    def close(self) -> None:
        self.stdin.close()
        self.process.wait(timeout=30)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_case(worker: Worker, name: str, op: worker_pb2.QueryOp, requests: int, warmup: int, first_id: int) -> None:
    round_trips: list[float] = []
    inside: list[float] = []
    expected = None
    for i in range(warmup + requests):
        request = worker_pb2.Request(id=first_id + i, timeout_ms=30_000, query=op)
        frame = worker_pb2.DaemonFrame(request=request)
        sent = time.perf_counter_ns()
        worker.send(frame)
        response = worker.receive().response
        elapsed = time.perf_counter_ns() - sent
        assert response.id == request.id
        assert response.WhichOneof("outcome") == "result", response.error
        rows = response.result.query.json_rows
        if expected is None:
            expected = rows
        assert rows == expected
        if i >= warmup:
            round_trips.append(elapsed / 1e6)
            inside.append(response.elapsed_us / 1e3)

    def line(label: str, values: list[float]) -> str:
        return (
            f"  {label:<10} p50 {percentile(values, 50):6.3f} ms   p99 {percentile(values, 99):6.3f} ms   "
            f"mean {statistics.fmean(values):6.3f} ms"
        )

    print(f"{name}  ({requests} requests, result {json.loads(expected or '[]')})")
    print(line("round trip", round_trips))
    print(line("worker", inside))
    print(line("outside", [r - w for r, w in zip(round_trips, inside, strict=True)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--src",
        type=Path,
        default=ROOT / "src",
        help="the worker's source folder (default: this checkout); point it at an older copy to compare",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qb-query-bench-") as tmp:
        lake, staging = Path(tmp, "lake"), Path(tmp, "staging")
        lake.mkdir()
        candles = lake / "bench-candles.parquet"
        write_candles(candles, 1_440)
        worker = Worker(staging, lake, args.src)
        try:
            small = worker_pb2.QueryOp(
                sql="SELECT count(*), avg(close) FROM candles",
                format="json",
                views=[worker_pb2.View(name="candles", parquet_paths=[str(candles)])],
            )
            run_case(worker, "small query over one Parquet view", small, args.requests, args.warmup, 1)
            floor = worker_pb2.QueryOp(sql="SELECT 42 AS answer", format="json")
            run_case(worker, "SELECT 42, no views", floor, args.requests, args.warmup, 1_000_000)
            sorted_op = worker_pb2.QueryOp(
                sql="SELECT token, count(*) AS n, avg(close) AS c FROM candles GROUP BY token ORDER BY token",
                format="json",
                views=small.views,
            )
            run_case(worker, "with ORDER BY (LIMIT relation)", sorted_op, args.requests, args.warmup, 2_000_000)
        finally:
            worker.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
