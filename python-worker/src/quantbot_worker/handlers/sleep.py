"""Sleep: a test hook for the daemon's cancel and deadline tests.

The wait happens inside a DuckDB query (a scan that calls a small Python function once per
vector), so ``interrupt()`` stops it exactly as it stops any other query.
"""

from __future__ import annotations

import time

from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, WorkerFailure
from quantbot_worker.sandbox import SLEEP_FUNCTION

MAX_SLEEP_MS = 3_600_000


def handle(ctx: RequestContext, op: worker_pb2.SleepOp) -> worker_pb2.Result:
    if not 0 <= op.millis <= MAX_SLEEP_MS:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"millis must be between 0 and {MAX_SLEEP_MS}, got {op.millis}")
    started = time.monotonic_ns()
    deadline = started + op.millis * 1_000_000
    ctx.cursor.execute(
        f"SELECT i FROM range(9223372036854775807) t(i) WHERE {SLEEP_FUNCTION}(i, $1) LIMIT 1", [deadline]
    ).fetchall()
    slept = (time.monotonic_ns() - started) // 1_000_000
    return worker_pb2.Result(sleep=worker_pb2.SleepResult(slept_ms=slept))
