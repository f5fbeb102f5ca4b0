"""The framed protocol: Configure/Ready, EOF, malformed frames, Ping, Cancel and timeouts."""

from __future__ import annotations

import io
import os
import struct
import threading

import duckdb
import pyarrow
import pytest
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker import __version__
from quantbot_worker.config import WorkerConfig
from quantbot_worker.errors import ErrorCode
from quantbot_worker.framing import MAX_FRAME_BYTES, FrameWriter, FramingError, encode_frame, read_frame
from quantbot_worker.sandbox import open_connection
from quantbot_worker.worker import EXIT_CONFIG, EXIT_PROTOCOL, RequestRunner, Watchdog, main

from conftest import Code, Env, FakeClock, LiveWorker, RequestStarts, configure_frame, parse_replies, request_frame

# Requests that must be cut short sleep this long (the longest sleep allowed): a test that waited for them to end
# would fail by its capped wait, never pass by luck.
FOREVER_MS = 3_600_000


def sleep_request(request_id: int, millis: int, timeout_ms: int = 0) -> worker_pb2.DaemonFrame:
    return request_frame(request_id, "sleep", worker_pb2.SleepOp(millis=millis), timeout_ms)


def test_error_codes_mirror_the_proto() -> None:
    for code in ErrorCode:
        assert worker_pb2.WorkerError.Code.Value(code.name) == code.value
    assert len(ErrorCode) == len(worker_pb2.WorkerError.Code.keys())


def test_frames_round_trip_and_reject_truncation() -> None:
    frame = worker_pb2.DaemonFrame(ping=worker_pb2.Ping(nonce=7))
    data = encode_frame(frame)
    assert data[:4] == struct.pack(">I", len(data) - 4)
    assert read_frame(io.BytesIO(data)) == data[4:]
    assert read_frame(io.BytesIO(b"")) is None
    with pytest.raises(FramingError, match="header"):
        read_frame(io.BytesIO(data[:2]))
    with pytest.raises(FramingError, match="inside a frame"):
        read_frame(io.BytesIO(data[:-1]))
    with pytest.raises(FramingError, match="larger than the limit"):
        read_frame(io.BytesIO(struct.pack(">I", MAX_FRAME_BYTES + 1)))


def test_ready_after_configure_and_exit_0_on_eof(env: Env) -> None:
    code, replies = env.run()
    assert code == 0
    assert len(replies) == 1
    ready = replies[0].ready
    assert ready.pid == os.getpid()
    assert ready.worker_version == __version__
    assert ready.duckdb_version == duckdb.__version__
    assert ready.pyarrow_version == pyarrow.__version__
    assert ready.python_version.startswith("3.")


def test_eof_before_configure_exits_0(env: Env) -> None:
    assert env.run(configure=False) == (0, [])


def test_first_frame_must_be_configure(env: Env) -> None:
    code, replies = env.run(worker_pb2.DaemonFrame(ping=worker_pb2.Ping(nonce=1)), configure=False)
    assert code == EXIT_PROTOCOL
    assert replies == []


def test_malformed_frame_exits_non_zero(env: Env) -> None:
    garbage = struct.pack(">I", 5) + b"\xff\xff\xff\xff\xff"
    code, replies = env.run(garbage)
    assert code == EXIT_PROTOCOL
    assert [r.WhichOneof("frame") for r in replies] == ["ready"]


def test_empty_frame_and_truncated_frame_exit_non_zero(env: Env) -> None:
    assert env.run(struct.pack(">I", 0))[0] == EXIT_PROTOCOL  # decodes to a frame with nothing in it
    assert env.run(struct.pack(">I", 100) + b"abc")[0] == EXIT_PROTOCOL
    assert env.run(b"\x00\x00")[0] == EXIT_PROTOCOL


def test_second_configure_is_a_protocol_violation(env: Env) -> None:
    assert env.run(configure_frame(env))[0] == EXIT_PROTOCOL


@pytest.mark.parametrize(
    "override",
    [{"staging_dir": ""}, {"staging_dir": "relative/dir"}, {"memory_limit": "lots"}, {"import_roots": ["rel"]},
     {"known_chains": ["sol ana"]}],
)  # fmt: skip
def test_bad_configure_exits_without_ready(env: Env, override: dict) -> None:
    data = encode_frame(configure_frame(env, **override))
    out = io.BytesIO()
    assert main(io.BytesIO(data), out) == EXIT_CONFIG
    assert parse_replies(out.getvalue()) == []


def test_requests_run_in_order_and_answer_with_their_ids(env: Env) -> None:
    code, replies = env.run(sleep_request(11, 1), sleep_request(12, 1), sleep_request(13, 0))
    assert code == 0
    assert [r.response.id for r in replies[1:]] == [11, 12, 13]
    assert all(r.response.WhichOneof("outcome") == "result" for r in replies[1:])
    assert replies[1].response.elapsed_us > 0


def test_every_request_is_accepted_before_its_response(env: Env) -> None:
    code, replies = env.run(sleep_request(21, 1), sleep_request(22, 0), accepted=True)
    assert code == 0
    kinds = [(r.WhichOneof("frame"), r.accepted.request_id or r.response.id) for r in replies]
    assert kinds[0] == ("ready", 0)
    assert sorted(kinds[1:]) == [("accepted", 21), ("accepted", 22), ("response", 21), ("response", 22)]
    assert kinds.index(("accepted", 21)) < kinds.index(("response", 21))
    assert kinds.index(("accepted", 22)) < kinds.index(("response", 22))


def test_a_request_is_accepted_while_it_still_runs(env: Env) -> None:
    live = LiveWorker(env)
    live.send(sleep_request(23, 5_000))
    # The acknowledgement does not wait for the request: it comes while the sleep runs.
    assert live.accepted.get(timeout=10) == 23
    assert live.replies.empty()
    live.send(worker_pb2.DaemonFrame(cancel=worker_pb2.Cancel(request_id=23)))
    assert live.next().response.error.code == Code.CANCELLED
    assert live.close() == 0


def test_request_without_op_is_invalid_argument(env: Env) -> None:
    code, replies = env.run(worker_pb2.DaemonFrame(request=worker_pb2.Request(id=5)))
    assert code == 0
    assert replies[1].response.error.code == Code.INVALID_ARGUMENT


def test_sleep_validates_millis(env: Env) -> None:
    assert env.error("sleep", worker_pb2.SleepOp(millis=-1)).code == Code.INVALID_ARGUMENT


def test_sleep_sleeps(env: Env) -> None:
    result = env.ok("sleep", worker_pb2.SleepOp(millis=200))
    assert result.sleep.slept_ms >= 200  # a lower bound only: a sleep never ends early, however busy the machine


def test_timeout_interrupts_the_query(live: LiveWorker) -> None:
    live.send(sleep_request(1, FOREVER_MS, timeout_ms=300))
    error = live.next(timeout=60).response.error
    assert error.code == Code.DEADLINE_EXCEEDED
    assert "300 ms" in error.message


def test_cancel_of_a_queued_request(env: Env) -> None:
    code, replies = env.run(
        sleep_request(1, 300), sleep_request(2, 5000), worker_pb2.DaemonFrame(cancel=worker_pb2.Cancel(request_id=2))
    )
    assert code == 0
    assert replies[1].response.id == 1 and replies[1].response.WhichOneof("outcome") == "result"
    assert replies[2].response.id == 2 and replies[2].response.error.code == Code.CANCELLED


def test_cancel_interrupts_a_running_sleep(live: LiveWorker) -> None:
    live.send(sleep_request(21, FOREVER_MS))
    live.started(21)
    live.send(worker_pb2.DaemonFrame(cancel=worker_pb2.Cancel(request_id=21)))
    response = live.next(timeout=60).response
    assert response.id == 21
    assert response.error.code == Code.CANCELLED
    # The worker stays usable after a cancel.
    live.send(sleep_request(22, 1))
    assert live.next().response.WhichOneof("outcome") == "result"
    assert live.close() == 0


def test_cancel_of_an_unknown_request_is_ignored(live: LiveWorker) -> None:
    live.send(worker_pb2.DaemonFrame(cancel=worker_pb2.Cancel(request_id=999)))
    live.send(worker_pb2.DaemonFrame(ping=worker_pb2.Ping(nonce=3)))
    assert live.next().pong.nonce == 3
    assert live.close() == 0


def test_ping_is_answered_while_a_request_runs(live: LiveWorker) -> None:
    live.send(sleep_request(31, FOREVER_MS))
    live.started(31)
    live.send(worker_pb2.DaemonFrame(ping=worker_pb2.Ping(nonce=42)))
    # The request never ends by itself: the pong can only come from the reader while the request runs.
    pong = live.next(timeout=60).pong
    assert pong.nonce == 42
    assert pong.rss_bytes > 10_000_000
    assert pong.requests_served == 0
    live.send(worker_pb2.DaemonFrame(cancel=worker_pb2.Cancel(request_id=31)))
    response = live.next(timeout=60).response
    assert response.id == 31 and response.error.code == Code.CANCELLED
    live.send(worker_pb2.DaemonFrame(ping=worker_pb2.Ping(nonce=43)))
    assert live.next().pong.requests_served == 1
    assert live.close() == 0


def test_malformed_frame_while_running_exits_non_zero(live: LiveWorker) -> None:
    live.send(sleep_request(41, FOREVER_MS))
    live.started(41)
    live.send(struct.pack(">I", 3) + b"\xff\xff\xff")
    frame = live.next(timeout=60)
    assert frame.response.id == 41 and frame.response.error.code == Code.CANCELLED
    live._main.join(60)
    assert live.exit_code == EXIT_PROTOCOL


def test_eof_lets_the_running_request_finish(live: LiveWorker) -> None:
    live.send(sleep_request(51, 300))
    assert live.close() == 0
    assert live.next().response.WhichOneof("outcome") == "result"


# ---------------------------------------------------------------- timeouts: one watchdog thread


def _responses(out: io.BytesIO, count: int, timeout: float = 60.0) -> list[worker_pb2.Response]:
    """The first ``count`` responses the runner wrote, waiting (capped) for them."""
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        responses = [r.response for r in parse_replies(out.getvalue()) if r.HasField("response")]
        if len(responses) >= count:
            return responses
        done.wait(0.01)
    raise AssertionError(f"fewer than {count} responses within {timeout} s")


def test_timeout_counts_from_receipt_while_queued(env: Env) -> None:
    # Fake time: both requests arrive at t0; request 1 holds the runner until t0+500 ms, so request 2 starts
    # there. Its 800 ms run out at t0+800 ms (from receipt); counted from its start they would not before t0+1300.
    clock = FakeClock()
    config = WorkerConfig.from_proto(configure_frame(env).configure)
    connection = open_connection(config)
    out = io.BytesIO()
    runner = RequestRunner(connection, config, FrameWriter(out), clock=clock)
    with RequestStarts() as starts:
        runner.start()
        try:
            runner.submit(sleep_request(1, FOREVER_MS).request)
            runner.submit(sleep_request(2, FOREVER_MS, timeout_ms=800).request)
            starts.wait(1)
            clock.advance(500_000_000)
            runner.cancel(1)
            starts.wait(2)
            waits = clock.advance(299_999_999)
            clock.await_waits(waits)  # the watchdog looked at t0+800 ms - 1 ns and went back to sleep
            assert len(_responses(out, 1)) == 1
            clock.advance(1)
            first, second = _responses(out, 2)
            assert first.id == 1 and first.error.code == Code.CANCELLED
            assert second.id == 2 and second.error.code == Code.DEADLINE_EXCEEDED
            assert "exceeded its timeout of 800 ms" in second.error.message
        finally:
            runner.abort_all("test over")
            runner.finish(timeout=30)
            connection.close()


def test_timeout_that_passed_in_the_queue(env: Env) -> None:
    code, replies = env.run(sleep_request(1, 400), sleep_request(2, 1, timeout_ms=100))
    assert code == 0
    error = replies[2].response.error
    assert error.code == Code.DEADLINE_EXCEEDED and "before it ran" in error.message


def test_a_short_timeout_after_a_long_one(live: LiveWorker) -> None:
    live.send(sleep_request(1, 1, timeout_ms=600_000))
    assert live.next().response.WhichOneof("outcome") == "result"
    # The watchdog sleeps until request 1's deadline (10 minutes on): only a wake-up for the earlier one answers
    # request 2 within the capped wait.
    live.send(sleep_request(2, FOREVER_MS, timeout_ms=300))
    response = live.next(timeout=60).response
    assert response.id == 2 and response.error.code == Code.DEADLINE_EXCEEDED
    assert live.close() == 0


def test_a_finished_request_leaves_no_deadline_behind(live: LiveWorker) -> None:
    live.send(sleep_request(1, 1, timeout_ms=200))
    assert live.next().response.WhichOneof("outcome") == "result"
    live.send(sleep_request(2, 600))  # runs past request 1's deadline
    live.send(sleep_request(3, 600, timeout_ms=60_000))
    for request_id in (2, 3):
        response = live.next().response
        assert response.id == request_id and response.WhichOneof("outcome") == "result", response.error
    assert live.close() == 0


def test_timeouts_start_no_thread_per_request(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_timer(*args: object, **kwargs: object) -> None:
        raise AssertionError("a Timer thread was started for a request")

    monkeypatch.setattr(threading, "Timer", no_timer)
    before = threading.active_count()
    code, replies = env.run(*(sleep_request(i, 0, timeout_ms=60_000) for i in range(1, 51)))
    assert code == 0
    assert all(r.response.WhichOneof("outcome") == "result" for r in replies[1:])
    assert threading.active_count() <= before + 2  # the runner and the watchdog, both ending


class FakeContext:
    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self.aborted: list[tuple[ErrorCode, str, int]] = []

    def abort(self, code: ErrorCode, message: str) -> bool:
        self.aborted.append((code, message, self._clock.monotonic_ns()))
        return True


def test_watchdog_fires_at_the_deadline_of_the_armed_request() -> None:
    clock = FakeClock()
    watchdog = Watchdog(clock)
    watchdog.start()
    try:
        clock.await_waits(0)  # idle, nothing armed
        slow, quick, done = FakeContext(clock), FakeContext(clock), FakeContext(clock)
        armed = clock.monotonic_ns()
        watchdog.arm(armed + 10_000_000_000, slow, "slow")  # type: ignore[arg-type]
        watchdog.arm(armed + 100_000_000, quick, "quick")  # type: ignore[arg-type]  # replaces slow: one slot
        clock.await_waits(clock.advance(99_999_999))  # 1 ns before quick's deadline: the watchdog looked, slept on
        assert slow.aborted == [] and quick.aborted == []
        clock.await_waits(clock.advance(1))
        assert quick.aborted == [(ErrorCode.DEADLINE_EXCEEDED, "quick", armed + 100_000_000)]
        watchdog.arm(clock.monotonic_ns() + 100_000_000, done, "done")  # type: ignore[arg-type]
        watchdog.disarm(done)  # type: ignore[arg-type]
        watchdog.disarm(slow)  # not armed any more: no effect
        clock.await_waits(clock.advance(20_000_000_000))  # past every deadline above
        assert done.aborted == [] and slow.aborted == [] and len(quick.aborted) == 1
    finally:
        watchdog.close()
