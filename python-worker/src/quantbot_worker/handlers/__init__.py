"""One module per request op; ``HANDLERS`` maps the Request oneof name to its handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.context import RequestContext
from quantbot_worker.handlers import analyze, features, import_snapshot, publish, query, report, sleep

Handler = Callable[[RequestContext, Any], worker_pb2.Result]

HANDLERS: dict[str, Handler] = {
    "import_snapshot": import_snapshot.handle,
    "publish_artifact": publish.handle,
    "query": query.handle,
    "analyze_sweep": analyze.handle,
    "generate_features": features.handle,
    "generate_report": report.handle,
    "sleep": sleep.handle,
}
