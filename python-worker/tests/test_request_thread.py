"""The request thread never ends quietly: oversized answers, SystemExit, failed interrupts."""

from __future__ import annotations

import io
import json
import logging
import threading

import duckdb
import pytest
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker import framing
from quantbot_worker.config import WorkerConfig
from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode
from quantbot_worker.framing import FrameWriter
from quantbot_worker.handlers import HANDLERS
from quantbot_worker.sandbox import open_connection
from quantbot_worker.staging import StagingArea
from quantbot_worker.worker import EXIT_FAILURE, RequestRunner

from conftest import Code, Env, configure_frame, parse_replies, request_frame


def test_a_response_too_large_to_frame_is_answered_with_an_error(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    # Frames are capped far below what a test can produce; the query's own inline cap stays higher.
    monkeypatch.setattr(framing, "MAX_FRAME_BYTES", 4096)
    big = "SELECT repeat('x', 10000) AS s"
    code, replies = env.run(
        request_frame(1, "query", worker_pb2.QueryOp(sql=big)),
        request_frame(2, "query", worker_pb2.QueryOp(sql="SELECT 42 AS answer")),
    )
    assert code == 0
    too_large, next_one = (r.response for r in replies[1:])
    assert too_large.id == 1 and too_large.error.code == Code.RESOURCE_EXHAUSTED
    assert "too large" in too_large.error.message
    # The request thread lived on: the next request is answered.
    assert json.loads(next_one.result.query.json_rows) == [{"answer": 42}]


class _Exits:
    def __init__(self) -> None:
        self.codes: list[int] = []
        self.called = threading.Event()

    def __call__(self, code: int) -> None:
        self.codes.append(code)
        self.called.set()


@pytest.mark.parametrize("raised", [SystemExit(0), KeyboardInterrupt()])
def test_system_exit_in_a_handler_ends_the_process_not_just_the_thread(
    env: Env, monkeypatch: pytest.MonkeyPatch, raised: BaseException
) -> None:
    def handler(ctx: RequestContext, op: worker_pb2.SleepOp) -> worker_pb2.Result:
        raise raised

    monkeypatch.setitem(HANDLERS, "sleep", handler)
    config = WorkerConfig.from_proto(configure_frame(env).configure)
    connection = open_connection(config)
    out = io.BytesIO()
    exits = _Exits()
    runner = RequestRunner(connection, config, FrameWriter(out), exit_process=exits)
    runner.start()
    try:
        runner.submit(request_frame(1, "sleep", worker_pb2.SleepOp(millis=0)).request)
        assert exits.called.wait(10)
        # Before: the thread turned SystemExit into an INTERNAL answer (or died), the process lived on.
        assert exits.codes == [EXIT_FAILURE]
        assert parse_replies(out.getvalue()) == []
    finally:
        runner.finish(timeout=5)
        connection.close()


class _FailingInterruptCursor:
    def __init__(self) -> None:
        self.attempts = 0

    def interrupt(self) -> None:
        self.attempts += 1
        raise duckdb.ConnectionException("connection already closed")


def test_a_failing_interrupt_is_reported(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    config = WorkerConfig.from_proto(configure_frame(env).configure)
    cursor = _FailingInterruptCursor()
    ctx = RequestContext(7, cursor, config, StagingArea(config.staging_dir))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="quantbot_worker"):
        assert ctx.abort(ErrorCode.CANCELLED, "request 7 was cancelled")
        pause = threading.Event()
        for _ in range(3000):  # the interrupt thread retries every 20 ms: wait for a few retries (cap 30 s)
            if cursor.attempts >= 4:
                break
            pause.wait(0.01)
        ctx.finish()
    assert cursor.attempts >= 4
    reports = [r for r in caplog.records if "cannot interrupt request 7" in r.getMessage()]
    assert len(reports) == 1, "reported once per request, not once per retry"
    assert "connection already closed" in reports[0].getMessage()


@pytest.mark.subprocess
def test_an_allocation_past_the_data_limit_fails_resource_exhausted_and_the_worker_lives_on(env: Env) -> None:
    """``list(range(n))`` grows outside DuckDB's memory_limit (measured: 4.5 GB of RSS under a 256MB
    limit before it failed); the process's RLIMIT_DATA stops it at once."""
    from test_subprocess import next_frame, send, start

    def next_response() -> worker_pb2.Response:
        while (frame := next_frame(process)).WhichOneof("frame") == "accepted":
            pass
        return frame.response

    process = start(["-m", "quantbot_worker"])
    try:
        send(process, configure_frame(env, memory_limit="256MB", data_limit_bytes=1 << 30))
        assert next_frame(process).WhichOneof("frame") == "ready"
        send(process, request_frame(1, "query", worker_pb2.QueryOp(sql="SELECT len(list(range(1000000000))) AS n")))
        runaway = next_response()
        assert runaway.error.code == Code.RESOURCE_EXHAUSTED, str(runaway)[:500]
        send(process, request_frame(2, "query", worker_pb2.QueryOp(sql="SELECT count(*) AS n FROM range(1000000)")))
        assert json.loads(next_response().result.query.json_rows) == [{"n": 1000000}]
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
