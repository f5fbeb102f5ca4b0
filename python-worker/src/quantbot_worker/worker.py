"""The worker loop: Configure -> Ready, then requests one at a time, Ping/Cancel at any time.

Every request is acknowledged with an Accepted frame as soon as it is read, before it runs.

The calling thread reads frames. Requests run in order on one request thread, each with its own
DuckDB cursor, so the reader can answer Ping and act on Cancel while a request runs. One watchdog
thread enforces timeouts (counted from receipt) for the whole life of the worker. Errors
travel back as WorkerError frames matched by request id; only a broken stream ends the worker.

Exit codes: 0 on EOF of stdin, 2 on a malformed frame or protocol violation, 3 when Configure
cannot be applied, 1 on an unexpected failure of the loop itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import duckdb
import pyarrow as pa
from google.protobuf.message import DecodeError
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker import __version__
from quantbot_worker.config import ConfigError, WorkerConfig
from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, RequestAborted, WorkerFailure
from quantbot_worker.framing import FrameWriter, FramingError, read_frame
from quantbot_worker.handlers import HANDLERS
from quantbot_worker.sandbox import StateGuard, limit_data, open_connection
from quantbot_worker.staging import StagingArea

log = logging.getLogger("quantbot_worker")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_PROTOCOL = 2
EXIT_CONFIG = 3


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Clock(Protocol):
    """Monotonic time and timed waits, injected so tests move time by hand instead of sleeping."""

    def monotonic_ns(self) -> int: ...

    def wait(self, condition: threading.Condition, timeout_s: float | None) -> None:
        """Waits on ``condition`` (held by the caller) until notified or ``timeout_s`` passed (None: no limit)."""
        ...


class SystemClock:
    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    def wait(self, condition: threading.Condition, timeout_s: float | None) -> None:
        condition.wait(timeout_s)


SYSTEM_CLOCK = SystemClock()


class Watchdog:
    """One long-lived thread that aborts the running request when its timeout passes.

    ``arm`` and ``disarm`` only touch a slot under a lock; the thread is woken only when a new
    deadline is earlier than the one it already sleeps until (after an idle spell, say). A thread
    that wakes for a deadline that no longer applies looks at the slot again and goes back to
    sleep, so a stream of requests with timeouts costs no thread start and no wake-up each.
    """

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._condition = threading.Condition(threading.Lock())
        self._armed: tuple[int, RequestContext, str] | None = None
        self._sleeping_until: int | None = None  # None: until notified
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="request-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def arm(self, deadline_ns: int, ctx: RequestContext, message: str) -> None:
        """From ``deadline_ns`` (monotonic) on, ``ctx`` is aborted with DEADLINE_EXCEEDED."""
        with self._condition:
            self._armed = (deadline_ns, ctx, message)
            if self._sleeping_until is None or deadline_ns < self._sleeping_until:
                self._condition.notify()

    def disarm(self, ctx: RequestContext) -> None:
        with self._condition:
            if self._armed is not None and self._armed[1] is ctx:
                self._armed = None

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()

    def _loop(self) -> None:
        while True:
            with self._condition:
                if self._closed:
                    return
                armed = self._armed
                if armed is None:
                    self._sleeping_until = None
                    self._clock.wait(self._condition, None)
                    continue
                deadline_ns, ctx, message = armed
                remaining = deadline_ns - self._clock.monotonic_ns()
                if remaining > 0:
                    self._sleeping_until = deadline_ns
                    self._clock.wait(self._condition, remaining / 1e9)
                    continue
                self._armed = None
            # Outside the lock: abort takes the request's own lock. A request that finished in
            # the meantime ignores it (RequestContext.abort after finish is a no-op).
            try:
                ctx.abort(ErrorCode.DEADLINE_EXCEEDED, message)
            except Exception:  # the watchdog must outlive one failed abort (no thread left, say)
                log.exception("cannot abort request %d at its deadline", ctx.request_id)


@dataclass
class _Pending:
    request: worker_pb2.Request
    received_ns: int
    cancelled: bool = False


class RequestRunner:
    """Runs requests one at a time on its own thread.

    After each request the shared database's state is compared with the state at start
    (:class:`StateGuard`); a request that changed it is answered with an error carrying
    ``retire_reason``, and every later one is refused the same way, so the daemon retires the
    worker. The thread never ends quietly: a failure outside a handler (or a SystemExit inside one)
    ends the whole process through ``exit_process``, so the daemon sees the exit and replaces the
    worker instead of pinging a healthy-looking worker that no longer answers requests.
    """

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        config: WorkerConfig,
        writer: FrameWriter,
        exit_process: Callable[[int], object] = os._exit,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._clock = clock
        self._connection = connection
        self._config = config
        self._writer = writer
        self._exit_process = exit_process
        self._state = StateGuard(connection)
        self._retire_reason = ""
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._running: RequestContext | None = None
        self.requests_served = 0
        self._watchdog = Watchdog(clock)
        self._thread = threading.Thread(target=self._loop, name="request-runner", daemon=True)

    def start(self) -> None:
        self._watchdog.start()
        self._thread.start()

    def submit(self, request: worker_pb2.Request) -> None:
        pending = _Pending(request, self._clock.monotonic_ns())
        with self._lock:
            self._pending[request.id] = pending
        self._queue.put(pending)

    def cancel(self, request_id: int) -> None:
        with self._lock:
            running = self._running
            if running is not None and running.request_id == request_id:
                running.abort(ErrorCode.CANCELLED, f"request {request_id} was cancelled")
                return
            pending = self._pending.get(request_id)
            if pending is not None:
                pending.cancelled = True
                return
        log.info("cancel for request %d, which is not running or queued; ignored", request_id)

    def abort_all(self, reason: str) -> None:
        with self._lock:
            for pending in self._pending.values():
                pending.cancelled = True
            if self._running is not None:
                self._running.abort(ErrorCode.CANCELLED, reason)

    def finish(self, timeout: float | None = None) -> None:
        """Lets queued requests run, then stops the thread."""
        self._queue.put(None)
        self._thread.join(timeout)
        self._watchdog.close()

    def _loop(self) -> None:
        try:
            while (pending := self._queue.get()) is not None:
                self._serve(pending)
        except BaseException:
            # A SystemExit from a handler, or a failure of this loop itself: without this thread the
            # worker would still answer pings but never another request. End the process instead.
            log.critical(
                "the request thread failed; exiting so the daemon replaces this worker:\n%s", traceback.format_exc()
            )
            self._exit_process(EXIT_FAILURE)

    def _serve(self, pending: _Pending) -> None:
        request_id = pending.request.id
        if self._retire_reason:
            response = _error_response(
                request_id,
                ErrorCode.INTERNAL,
                f"this worker is being replaced ({self._retire_reason}); the request did not run, retry it",
            )
            response.retire_reason = self._retire_reason
        else:
            response = self._run(pending)
            changes = self._state.changes()
            if changes:
                self._retire_reason = f"request {request_id} changed the worker's database: {changes}"
                log.error("%s; answering with an error and taking no more requests", self._retire_reason)
                response = worker_pb2.Response(
                    id=request_id,
                    error=worker_pb2.WorkerError(
                        code=ErrorCode.INTERNAL.name,
                        message=f"the request changed the worker's shared database ({changes}); its result is "
                        "withheld and the worker is being replaced",
                    ),
                    elapsed_us=response.elapsed_us,
                    retire_reason=self._retire_reason,
                )
        with self._lock:
            self._pending.pop(request_id, None)
        # Counted before the answer goes out, so a Ping sent after it sees the new count.
        self.requests_served += 1
        self._send(response)

    def _send(self, response: worker_pb2.Response) -> None:
        try:
            self._writer.write(worker_pb2.WorkerFrame(response=response))
        except FramingError as e:
            log.error("the response to request %d cannot be framed: %s", response.id, e)
            self._writer.write(
                worker_pb2.WorkerFrame(
                    response=_error_response(
                        response.id,
                        ErrorCode.RESOURCE_EXHAUSTED,
                        f"the response is too large to send ({e}); ask for fewer rows or columns",
                    )
                )
            )
        except (OSError, ValueError) as e:
            # The stream is gone: the reader loop sees it too and ends the worker.
            log.error("cannot send the response to request %d: %s", response.id, e)

    def _run(self, pending: _Pending) -> worker_pb2.Response:
        request = pending.request
        started = time.monotonic_ns()
        op = request.WhichOneof("op")
        if op is None:
            return _error_response(request.id, ErrorCode.INVALID_ARGUMENT, "request has no op")
        deadline_ns = pending.received_ns + request.timeout_ms * 1_000_000 if request.timeout_ms > 0 else None
        if deadline_ns is not None and self._clock.monotonic_ns() >= deadline_ns:
            return _error_response(
                request.id,
                ErrorCode.DEADLINE_EXCEEDED,
                f"request {request.id} timed out ({request.timeout_ms} ms) before it ran",
            )

        cursor = self._connection.cursor()
        staging = StagingArea(self._config.staging_dir)
        ctx = RequestContext(request.id, cursor, self._config, staging)
        with self._lock:
            # Checked under the lock that cancel() takes, so a Cancel is never lost in between.
            if pending.cancelled:
                cursor.close()
                return _error_response(
                    request.id, ErrorCode.CANCELLED, f"request {request.id} was cancelled before it ran"
                )
            self._running = ctx
        if deadline_ns is not None:
            self._watchdog.arm(
                deadline_ns, ctx, f"request {request.id} exceeded its timeout of {request.timeout_ms} ms"
            )
        log.debug("request %d: %s", request.id, op)
        try:
            result = HANDLERS[op](ctx, getattr(request, op))
            ctx.check()  # aborted at the very end: the caller has given up, keep nothing
            return worker_pb2.Response(id=request.id, result=result, elapsed_us=_micros_since(started))
        except Exception as e:  # SystemExit and KeyboardInterrupt end the thread, and _loop the process
            staging.discard()
            error = _describe(e, ctx)
            if error.code == worker_pb2.WorkerError.INTERNAL:
                log.error("request %d (%s) failed:\n%s", request.id, op, error.traceback)
            else:
                log.info("request %d (%s): %s %s", request.id, op, ErrorCode(int(error.code)).name, error.message)
            return worker_pb2.Response(id=request.id, error=error, elapsed_us=_micros_since(started))
        except BaseException:
            staging.discard()
            raise
        finally:
            ctx.finish()
            if deadline_ns is not None:
                self._watchdog.disarm(ctx)
            with self._lock:
                self._running = None
            with contextlib.suppress(duckdb.Error):
                cursor.close()


def _micros_since(started_ns: int) -> int:
    return (time.monotonic_ns() - started_ns) // 1000


def _error_response(request_id: int, code: ErrorCode, message: str, trace: str = "") -> worker_pb2.Response:
    return worker_pb2.Response(
        id=request_id, error=worker_pb2.WorkerError(code=code.name, message=message, traceback=trace)
    )


def _describe(error: Exception, ctx: RequestContext) -> worker_pb2.WorkerError:
    aborted = ctx.aborted
    if aborted is not None:
        # Whatever the handler raised on the way out (usually DuckDB's interrupt), the reason is this.
        return worker_pb2.WorkerError(code=aborted.code.name, message=aborted.message)
    if isinstance(error, RequestAborted):
        return worker_pb2.WorkerError(code=error.code.name, message=error.message)
    if isinstance(error, WorkerFailure):
        result = worker_pb2.WorkerError(code=error.code.name, message=error.message)
        result.issues.extend(
            worker_pb2.Issue(file=i.file, row=i.row, column=i.column, message=i.message) for i in error.issues
        )
        return result
    if isinstance(error, duckdb.InterruptException):
        return worker_pb2.WorkerError(code=ErrorCode.CANCELLED.name, message="the query was interrupted")
    if isinstance(error, (MemoryError, duckdb.OutOfMemoryException)):
        return worker_pb2.WorkerError(code=ErrorCode.RESOURCE_EXHAUSTED.name, message=f"out of memory: {error}")
    if isinstance(error, duckdb.PermissionException):
        return worker_pb2.WorkerError(code=ErrorCode.PATH_NOT_ALLOWED.name, message=str(error))
    trace = "".join(traceback.format_exception(error))
    return worker_pb2.WorkerError(
        code=ErrorCode.INTERNAL.name, message=f"{type(error).__name__}: {error}", traceback=trace
    )


def ready_frame() -> worker_pb2.WorkerFrame:
    return worker_pb2.WorkerFrame(
        ready=worker_pb2.Ready(
            pid=os.getpid(),
            worker_version=__version__,
            python_version=platform.python_version(),
            duckdb_version=duckdb.__version__,
            pyarrow_version=pa.__version__,
        )
    )


def _parse(payload: bytes) -> worker_pb2.DaemonFrame:
    frame = worker_pb2.DaemonFrame()
    try:
        frame.ParseFromString(payload)
    except DecodeError as e:
        raise FramingError(f"frame does not decode as a DaemonFrame: {e}") from e
    if frame.WhichOneof("frame") is None:
        raise FramingError(f"frame of {len(payload)} bytes holds no request, cancel, ping or configure")
    return frame


def main(infile: BinaryIO, outfile: BinaryIO) -> int:
    """Runs the worker until ``infile`` ends. ``outfile`` carries frames only."""
    with contextlib.redirect_stdout(sys.stderr):
        return _main(infile, outfile)


def _main(infile: BinaryIO, outfile: BinaryIO) -> int:
    writer = FrameWriter(outfile)
    try:
        payload = read_frame(infile)
        if payload is None:
            log.info("stdin closed before Configure; exiting")
            return EXIT_OK
        first = _parse(payload)
    except FramingError as e:
        log.error("malformed first frame: %s", e)
        return EXIT_PROTOCOL
    if first.WhichOneof("frame") != "configure":
        log.error("the first frame must be Configure, got %s", first.WhichOneof("frame"))
        return EXIT_PROTOCOL
    try:
        config = WorkerConfig.from_proto(first.configure)
        limit_data(config)
        connection = open_connection(config)
    except (ConfigError, duckdb.Error, OSError, ValueError) as e:
        log.error("cannot apply Configure: %s", e)
        return EXIT_CONFIG

    runner = RequestRunner(connection, config, writer)
    runner.start()
    try:
        writer.write(ready_frame())
        log.info(
            "ready: pid %d, duckdb %s, pyarrow %s, staging %s",
            os.getpid(),
            duckdb.__version__,
            pa.__version__,
            config.staging_dir,
        )
        while (payload := read_frame(infile)) is not None:
            frame = _parse(payload)
            kind = frame.WhichOneof("frame")
            if kind == "request":
                # Before the request can run: a worker that dies without this frame never ran it,
                # and the daemon may hand the request to another worker.
                writer.write(worker_pb2.WorkerFrame(accepted=worker_pb2.Accepted(request_id=frame.request.id)))
                runner.submit(frame.request)
            elif kind == "cancel":
                runner.cancel(frame.cancel.request_id)
            elif kind == "ping":
                writer.write(
                    worker_pb2.WorkerFrame(
                        pong=worker_pb2.Pong(
                            nonce=frame.ping.nonce, rss_bytes=rss_bytes(), requests_served=runner.requests_served
                        )
                    )
                )
            else:
                raise FramingError(f"unexpected {kind} frame after start")
    except FramingError as e:
        log.error("malformed frame, exiting: %s", e)
        runner.abort_all("the worker is exiting after a malformed frame")
        runner.finish(timeout=5)
        return EXIT_PROTOCOL
    except (OSError, ValueError) as e:
        log.error("stream failure, exiting: %s", e)
        runner.abort_all("the worker is exiting after a stream failure")
        runner.finish(timeout=5)
        return EXIT_FAILURE
    log.info("stdin closed; finishing queued requests and exiting")
    runner.finish()
    connection.close()
    return EXIT_OK
