"""GenerateReport: one self-contained HTML file (inline CSS, PNG charts as data: URIs)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import matplotlib
import numpy as np

matplotlib.use("Agg")
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from quantbot.storage.v1 import common_pb2
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker import __version__
from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, WorkerFailure
from quantbot_worker.handlers.analyze import BOARDS, RESULTS_VIEW, leaderboard, open_results
from quantbot_worker.staging import produced_artifact

TOP_ROWS = 10
TOP_SCENARIOS = 5
HISTOGRAM_BINS = 40
FAILED_STATUSES = frozenset({"failed", "error", "errored", "crashed", "cancelled", "canceled", "timed_out", "timeout"})
_DURATION = re.compile(r"^([0-9]+)(ms|s|m|h|d|w)$")
_UNIT_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
TRADEABLE = "tradeable AND net_return IS NOT NULL"

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("quantbot_worker", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def interval_ms(interval: str) -> float:
    match = _DURATION.match(interval)
    return float(int(match.group(1)) * _UNIT_MS[match.group(2)]) if match else math.inf


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _percent(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value * 100:.2f}%"


@dataclass
class Chart:
    title: str
    png: str | None
    note: str = ""


def _histogram(ctx: RequestContext) -> Chart:
    row = ctx.cursor.execute(
        f"SELECT quantile_cont(net_return, 0.005), quantile_cont(net_return, 0.995), count(*) "
        f"FROM {RESULTS_VIEW} WHERE {TRADEABLE}"
    ).fetchone()
    if not row or not row[2]:
        return Chart("Distribution of net return", None, "no tradeable results")
    low, high, _ = row
    if high <= low:
        high = low + 1e-9
    width = (high - low) / HISTOGRAM_BINS
    bins = ctx.cursor.execute(
        f"SELECT least(greatest(floor((net_return - $1) / $2), 0), $3 - 1) AS b, count(*) "
        f"FROM {RESULTS_VIEW} WHERE {TRADEABLE} GROUP BY b ORDER BY b",
        [low, width, HISTOGRAM_BINS],
    ).fetchall()
    counts = np.zeros(HISTOGRAM_BINS)
    for bucket, n in bins:
        counts[int(bucket)] = n
    fig = Figure(figsize=(7.5, 3.2))
    ax = fig.subplots()
    edges = low + width * np.arange(HISTOGRAM_BINS)
    ax.bar(edges * 100, counts, width=width * 100, align="edge", color="#4c72b0", edgecolor="white", linewidth=0.3)
    ax.axvline(0, color="#444", linewidth=0.8)
    ax.set_xlabel("net return per trade (%), clipped to p0.5..p99.5")
    ax.set_ylabel("trades")
    return Chart("Distribution of net return", _png(fig))


def _heatmap(ctx: RequestContext) -> Chart:
    rows = ctx.cursor.execute(
        f"SELECT lag_ms, interval, avg(net_return) FILTER (WHERE {TRADEABLE}) FROM {RESULTS_VIEW} GROUP BY ALL"
    ).fetchall()
    if not rows:
        return Chart("Mean net return by lag × interval", None, "no results")
    lags = sorted({r[0] for r in rows if r[0] is not None})
    intervals = sorted({r[1] for r in rows if r[1] is not None}, key=lambda i: (interval_ms(i), i))
    grid = np.full((len(lags), len(intervals)), np.nan)
    for lag, interval, mean in rows:
        if lag is not None and interval is not None and mean is not None:
            grid[lags.index(lag), intervals.index(interval)] = mean * 100
    if np.isnan(grid).all():
        return Chart("Mean net return by lag × interval", None, "no tradeable results")
    fig = Figure(figsize=(1.6 + 1.1 * len(intervals), 1.2 + 0.55 * len(lags)))
    ax = fig.subplots()
    bound = float(np.nanmax(np.abs(grid))) or 1.0
    image = ax.imshow(grid, cmap="RdYlGn", norm=TwoSlopeNorm(0.0, -bound, bound), aspect="auto")
    ax.set_xticks(range(len(intervals)), intervals)
    ax.set_yticks(range(len(lags)), [f"{lag} ms" for lag in lags])
    ax.set_xlabel("interval")
    ax.set_ylabel("entry lag")
    for (i, j), value in np.ndenumerate(grid):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.2f}%", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, label="mean net return (%)")
    return Chart("Mean net return by lag × interval", _png(fig))


def _equity_and_drawdown(ctx: RequestContext, scenarios: Sequence[str], has_call_ts: bool) -> list[Chart]:
    if not scenarios:
        return [Chart("Equity of the top scenarios", None, "no tradeable results")]
    order = "call_ts, call_id" if has_call_ts else "call_id"
    placeholders = ", ".join(f"${i + 1}" for i in range(len(scenarios)))
    table = ctx.cursor.execute(
        f"SELECT scenario_id, net_return FROM {RESULTS_VIEW} WHERE {TRADEABLE} AND scenario_id IN ({placeholders}) "
        f"ORDER BY scenario_id, {order}",
        list(scenarios),
    ).to_arrow_table()
    ids = table.column("scenario_id").to_pylist()
    returns = np.asarray(table.column("net_return").to_numpy(zero_copy_only=False), dtype=float)
    equity_fig = Figure(figsize=(7.5, 3.4))
    drawdown_fig = Figure(figsize=(7.5, 2.8))
    equity_ax = equity_fig.subplots()
    drawdown_ax = drawdown_fig.subplots()
    ids_array = np.asarray(ids, dtype=object)
    for scenario in scenarios:
        values = returns[ids_array == scenario]
        if values.size == 0:
            continue
        equity = np.cumsum(values) * 100
        drawdown = equity - np.maximum.accumulate(np.maximum(equity, 0))
        steps = np.arange(1, values.size + 1)
        equity_ax.plot(steps, equity, label=scenario, linewidth=1.2)
        drawdown_ax.plot(steps, drawdown, label=scenario, linewidth=1.0)
    for ax, label in ((equity_ax, "cumulative net return (%)"), (drawdown_ax, "drawdown (% points)")):
        ax.axhline(0, color="#444", linewidth=0.6)
        ax.set_xlabel("trade number (by call time)")
        ax.set_ylabel(label)
        ax.legend(fontsize=7, loc="best")
    return [
        Chart("Equity of the top scenarios (sum of net returns)", _png(equity_fig)),
        Chart("Drawdown of the top scenarios", _png(drawdown_fig)),
    ]


def _importance(ctx: RequestContext) -> list[dict[str, Any]]:
    """How far the group means of each parameter lie apart: a rough sense of what matters."""
    rows = []
    for dimension in ("overlay_set", "lag_ms", "interval", "caller"):
        row = ctx.cursor.execute(
            f"SELECT count(*), max(m) - min(m), stddev_pop(m) FROM ("
            f" SELECT avg(net_return) FILTER (WHERE {TRADEABLE}) AS m FROM {RESULTS_VIEW} GROUP BY {dimension}"
            f") WHERE m IS NOT NULL"
        ).fetchone()
        if row and row[0]:
            rows.append({"dimension": dimension, "levels": row[0], "spread": row[1] or 0.0, "std": row[2] or 0.0})
    rows.sort(key=lambda r: -r["spread"])
    return [{**r, "spread": _percent(r["spread"]), "std": _percent(r["std"])} for r in rows]


def _board_view(board: common_pb2.Leaderboard) -> dict[str, Any]:
    return {
        "name": board.name,
        "dimensions": list(board.dimensions),
        "rows": [
            {
                "group": list(row.keys),
                "count": row.count,
                "mean": _percent(row.mean),
                "p5": _percent(row.p5),
                "p50": _percent(row.p50),
                "p95": _percent(row.p95),
                "win_rate": _percent(row.win_rate),
                "skipped": row.skipped,
                "positive": (not math.isnan(row.mean)) and row.mean > 0,
            }
            for row in board.rows
        ],
    }


def _is_failed(run: worker_pb2.RunInfo) -> bool:
    return run.status.lower() in FAILED_STATUSES or bool(run.error_message)


def handle(ctx: RequestContext, op: worker_pb2.GenerateReportOp) -> worker_pb2.Result:
    if not op.sweep_id:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, "sweep_id is required")
    open_results(ctx, list(op.parquet_paths))
    cursor = ctx.cursor
    columns = {row[0] for row in cursor.execute(f"DESCRIBE {RESULTS_VIEW}").fetchall()}
    has_call_ts = "call_ts" in columns
    totals = cursor.execute(
        f"SELECT count(*), count(DISTINCT run_id), count(*) FILTER (WHERE {TRADEABLE}), "
        f"count(*) FILTER (WHERE NOT COALESCE(tradeable, false)), "
        + ("min(call_ts), max(call_ts)" if has_call_ts else "0, 0")
        + f" FROM {RESULTS_VIEW}"
    ).fetchone()
    assert totals is not None
    skip_reasons: list[tuple[str, int]] = []
    if "skip_reason" in columns:
        skip_reasons = [
            (str(reason), int(n))
            for reason, n in cursor.execute(
                f"SELECT COALESCE(skip_reason, '(none)'), count(*) FROM {RESULTS_VIEW} "
                "WHERE NOT COALESCE(tradeable, false) GROUP BY ALL ORDER BY 2 DESC, 1"
            ).fetchall()
        ]
    ctx.check()
    boards = [leaderboard(cursor, board, TOP_ROWS, "skip_reason" in columns) for board in BOARDS]
    scenario_board = next(b for b in boards if b.name == "by_scenario")
    top_scenarios = [row.keys[0] for row in scenario_board.rows if row.count > 0][:TOP_SCENARIOS]
    ctx.check()
    charts = [_histogram(ctx), _heatmap(ctx)]
    ctx.check()
    charts += _equity_and_drawdown(ctx, top_scenarios, has_call_ts)
    ctx.check()

    runs = list(op.runs)
    statuses: dict[str, int] = {}
    for run in runs:
        statuses[run.status or "(unknown)"] = statuses.get(run.status or "(unknown)", 0) + 1
    failed = [
        {"run_id": r.run_id, "scenario_id": r.scenario_id, "status": r.status, "error": r.error_message}
        for r in runs
        if _is_failed(r)
    ]
    html = _environment.get_template("report.html.j2").render(
        title=op.title or f"Sweep {op.sweep_id}",
        sweep_id=op.sweep_id,
        generated_at=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        about=sorted({**dict(op.about), "report_writer": f"quantbot-worker {__version__}"}.items()),
        totals={"rows": totals[0], "runs": totals[1], "tradeable": totals[2], "skipped": totals[3]},
        skip_reasons=skip_reasons,
        boards=[_board_view(b) for b in boards],
        importance=_importance(ctx),
        charts=charts,
        statuses=sorted(statuses.items()),
        failed=failed,
        run_count=len(runs),
    )
    data = html.encode("utf-8")
    file_hash = hashlib.sha256(data).hexdigest()
    logical_key = f"sweep={op.sweep_id}/report"
    ctx.check()
    staged = ctx.staging.write_bytes(data, logical_key, file_hash, "html")
    return worker_pb2.Result(
        artifact=produced_artifact(
            artifact_type="report",
            schema_version=1,
            logical_key=logical_key,
            staged=staged,
            content_hash=file_hash,
            row_count=int(totals[0]),
            min_max=(int(totals[4] or 0), int(totals[5] or 0)),
            columns=[],
            tags={"sweep_id": op.sweep_id},
            params={"title": op.title, "files": len(op.parquet_paths), "runs": len(runs)},
            extension="html",
        )
    )
