"""``python -m quantbot_worker``: the process the daemon's pool starts.

Frames use the process's real stdout; file descriptor 1 and ``sys.stdout`` are pointed at stderr
first, so a stray print (from Python or from native code) cannot corrupt the frame stream.

Environment: QUANTBOT_WORKER_LOG_LEVEL (default INFO).
"""

from __future__ import annotations

import logging
import os
import signal
import sys


def run() -> int:
    level = os.environ.get("QUANTBOT_WORKER_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level, logging.INFO),
        format=f"%(asctime)s %(levelname)s quantbot-worker[{os.getpid()}] %(message)s",
    )
    # The daemon decides when a worker ends (EOF on stdin, or a kill); a Ctrl-C that reaches the
    # whole process group must not kill workers in the middle of a request.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    frames_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # Imported after the redirect: the heavy imports (duckdb, pyarrow, plotly's bundled JavaScript) happen here,
    # once, before Ready, and stay warm for every request.
    from quantbot_worker.worker import main

    try:
        return main(sys.stdin.buffer, frames_out)
    finally:
        try:
            frames_out.close()
        except OSError:
            pass
