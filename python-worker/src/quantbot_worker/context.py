"""What a handler gets: the request's cursor, the worker settings, and cancellation."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import duckdb

from quantbot_worker.config import WorkerConfig
from quantbot_worker.errors import ErrorCode, RequestAborted
from quantbot_worker.staging import StagingArea

log = logging.getLogger("quantbot_worker")


@dataclass
class RequestContext:
    request_id: int
    cursor: duckdb.DuckDBPyConnection
    config: WorkerConfig
    staging: StagingArea
    _abort: RequestAborted | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _finished: threading.Event = field(default_factory=threading.Event)

    @property
    def aborted(self) -> RequestAborted | None:
        return self._abort

    def check(self) -> None:
        """Raises when the request was cancelled or timed out (call between steps)."""
        if self._abort is not None:
            raise self._abort

    def abort(self, code: ErrorCode, message: str) -> bool:
        """Marks the request aborted and interrupts its DuckDB work until the handler returns.

        DuckDB resets the interrupt flag when a query starts, so an interrupt that lands between
        two queries would be lost; interrupting again every few milliseconds closes that gap.
        """
        with self._lock:
            if self._abort is not None or self._finished.is_set():
                return False
            self._abort = RequestAborted(code, message)
        thread = threading.Thread(target=self._keep_interrupting, name=f"interrupt-{self.request_id}", daemon=True)
        thread.start()
        return True

    def _keep_interrupting(self) -> None:
        reported = False
        while True:
            # Under the lock: finish() (and the cursor's close after it) cannot overlap an interrupt.
            with self._lock:
                if self._finished.is_set():
                    return
                try:
                    self.cursor.interrupt()
                except duckdb.Error as e:
                    # Reported once per request; the loop keeps trying, and a request that never stops
                    # is killed by the daemon after its cancel grace.
                    if not reported:
                        reported = True
                        log.warning("cannot interrupt request %d (%s): %s", self.request_id, self._abort, e)
            self._finished.wait(0.02)

    def finish(self) -> None:
        with self._lock:
            self._finished.set()
