"""GenerateReport: one self-contained, interactive HTML file.

plotly.js (from the pinned plotly package) is inlined once; each chart is a plotly figure as JSON in
the page, so the file opens offline with hover, zoom and legend toggles. Everything the report needs
to stand alone comes in the op: the sealed run_results files, the runs, versions (``about``), the
sweep's spec and the runner's facts (timings, spawn count).
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.resources
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2
import markupsafe
import numpy as np
from quantbot.storage.v1 import common_pb2
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker import __version__
from quantbot_worker.context import RequestContext
from quantbot_worker.errors import ErrorCode, WorkerFailure
from quantbot_worker.handlers.analyze import BOARDS, RESULTS_VIEW, leaderboard, open_results
from quantbot_worker.importance import Decomposition, Grid, complete_grid, functional_anova
from quantbot_worker.staging import produced_artifact

TOP_ROWS = 10
TOP_SCENARIOS = 5
EQUITY_CANDIDATES = 25
# Two equity curves closer than this share of the chart's range everywhere are drawn once.
INDISTINCT_SHARE = 0.02
HISTOGRAM_BINS = 40
MAX_HEATMAP_LEVELS = 40
MAX_PARCOORDS_LINES = 5_000
MAX_CALLERS_IN_ANOVA = 200
MAX_SPEC_CHARS = 256 * 1024
FAILED_STATUSES = frozenset({"failed", "error", "errored", "crashed", "cancelled", "canceled", "timed_out", "timeout"})
_DURATION = re.compile(r"^([0-9]+)(ms|s|m|h|d|w)$")
_UNIT_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
TRADEABLE = "tradeable AND net_return IS NOT NULL"
DIVERGING = [[0.0, "#b2182b"], [0.25, "#ef8a62"], [0.5, "#f7f7f7"], [0.75, "#67a9cf"], [1.0, "#2166ac"]]
PLOT_CONFIG = {"responsive": True, "displaylogo": False, "modeBarButtonsToRemove": ["sendDataToCloud"]}
FACTOR_LABELS = {"interval": "interval", "lag_ms": "entry lag", "overlay_set": "overlay set", "caller": "caller"}

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("quantbot_worker", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def plotly_js() -> str:
    """plotly.min.js of the pinned plotly package (read once per worker)."""
    text = (importlib.resources.files("plotly") / "package_data" / "plotly.min.js").read_text("utf-8")
    return text.replace("</script", "<\\/script")


def interval_ms(interval: str) -> float:
    match = _DURATION.match(interval)
    return float(int(match.group(1)) * _UNIT_MS[match.group(2)]) if match else math.inf


def human_ms(millis: float | int | None) -> str:
    """``1800000`` -> ``30m``: the largest unit that divides the value exactly (the spec's own units)."""
    if millis is None or (isinstance(millis, float) and not math.isfinite(millis)):
        return "–"
    value = int(millis)
    if value == 0:
        return "0s"
    for unit in ("w", "d", "h", "m", "s"):
        if value % _UNIT_MS[unit] == 0:
            return f"{value // _UNIT_MS[unit]}{unit}"
    return f"{value}ms"


def human_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes < 60 else f"{minutes // 60}h {minutes % 60:02d}m"


def _percent(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value * 100:.2f}%"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _clean(value: Any) -> Any:
    """NaN/inf -> null, numpy scalars -> Python, recursively (plotly reads JSON)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return _finite(value.item())
    return _finite(value)


@dataclass
class Chart:
    """One plotly figure (None when there is nothing to draw; then ``note`` says why)."""

    id: str
    title: str
    figure: dict[str, Any] | None
    note: str = ""
    height: int = 380
    wide: bool = False

    @property
    def json(self) -> markupsafe.Markup:
        text = json.dumps(_clean(self.figure), separators=(",", ":"), allow_nan=False)
        # Inside <script type="application/json">: no "</" may close the element early.
        return markupsafe.Markup(text.replace("</", "<\\/").replace("<!--", "<\\!--"))


def fitted_diverging(low: float, high: float) -> tuple[list[list[Any]], float, float]:
    """A colour scale over exactly [low, high]: white at 0 when the data cross it (each side's full
    colour range used), else one side's colours from light to dark, so close values still differ."""
    if high <= low:
        low, high = low - 1e-9, high + 1e-9
    if low < 0 < high:
        zero = -low / (high - low)
        scale = [
            [0.0, "#b2182b"],
            [zero / 2, "#ef8a62"],
            [zero, "#f7f7f7"],
            [zero + (1 - zero) / 2, "#67a9cf"],
            [1.0, "#2166ac"],
        ]
        return scale, low, high
    if low >= 0:
        return [[0.0, "#d1e5f0"], [0.5, "#67a9cf"], [1.0, "#053061"]], low, high
    return [[0.0, "#67001f"], [0.5, "#ef8a62"], [1.0, "#fddbc7"]], low, high


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"namelength": -1},
        # Above the plot: below it the legend collides with the x axis title as heights vary.
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"},
    }
    layout.update(extra)
    return layout


def _axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "gridcolor": "#eee", "zerolinecolor": "#999", "automargin": True, **extra}


# ----------------------------------------------------------------------------- the sweep's shape


@dataclass
class Factors:
    """Levels of each factor in display order and how to label them."""

    intervals: list[str]
    lags: list[int]
    overlays: list[str]
    callers: list[str]
    # overlay set -> {parameter label: value}; parameters come from the runs' params_json.
    overlay_params: dict[str, dict[str, float]] = field(default_factory=dict)

    def levels(self, factor: str) -> list[str]:
        if factor == "interval":
            return self.intervals
        if factor == "lag_ms":
            return [str(lag) for lag in self.lags]
        if factor == "overlay_set":
            return self.overlays
        return self.callers

    @staticmethod
    def label(factor: str, level: str) -> str:
        return human_ms(int(level)) if factor == "lag_ms" else level


def _overlay_params(runs: Iterable[worker_pb2.RunInfo]) -> dict[str, dict[str, float]]:
    """overlay set name -> numeric parameters (``take_profit pct``, ``time_exit after``…)."""
    params: dict[str, dict[str, float]] = {}
    for run in runs:
        try:
            value = json.loads(run.params_json) if run.params_json else None
        except ValueError:
            continue
        overlay_set = value.get("overlay_set") if isinstance(value, dict) else None
        if not isinstance(overlay_set, dict) or not isinstance(overlay_set.get("name"), str):
            continue
        name = overlay_set["name"]
        if name in params:
            continue
        found: dict[str, float] = {}
        for overlay in overlay_set.get("overlays") or []:
            if not isinstance(overlay, dict) or not isinstance(overlay.get("type"), str):
                continue
            for key, number in overlay.items():
                if key != "type" and isinstance(number, (int, float)) and not isinstance(number, bool):
                    label = f"{overlay['type']} {key[:-3] if key.endswith('_ms') else key}"
                    found.setdefault(label + (" (ms)" if key.endswith("_ms") else ""), float(number))
        params[name] = found
    return params


@dataclass
class Cell:
    scenario: str
    interval: str
    lag: int
    overlay: str
    caller: str
    backtests: int
    trades: int
    mean: float | None


def _cells(ctx: RequestContext) -> list[Cell]:
    rows = ctx.cursor.execute(
        f"SELECT scenario_id, interval, lag_ms, overlay_set, COALESCE(caller, '(none)'), count(*), "
        f"count(*) FILTER (WHERE {TRADEABLE}), avg(net_return) FILTER (WHERE {TRADEABLE}) "
        f"FROM {RESULTS_VIEW} GROUP BY ALL"
    ).fetchall()
    return [
        Cell(str(s), str(i), int(lag or 0), str(o), str(c), int(n), int(t), None if m is None else float(m))
        for s, i, lag, o, c, n, t, m in rows
        if s is not None and i is not None and o is not None
    ]


def _scenario_means(cells: Sequence[Cell]) -> dict[str, tuple[Cell, float | None, int]]:
    """scenario -> (a cell of it for its factors, mean over its trades, trades)."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    first: dict[str, Cell] = {}
    for cell in cells:
        first.setdefault(cell.scenario, cell)
        if cell.mean is not None:
            sums[cell.scenario][0] += cell.mean * cell.trades
            sums[cell.scenario][1] += cell.trades
    out = {}
    for scenario, cell in first.items():
        total, n = sums[scenario]
        out[scenario] = (cell, total / n if n else None, int(n))
    return out


# ----------------------------------------------------------------------------- importance


@dataclass
class Importance:
    decomposition: Decomposition | None
    grid: Grid | None
    target: str
    note: str
    chart: Chart


def _importance(factors: Factors, cells: Sequence[Cell]) -> Importance:
    names = ["interval", "lag_ms", "overlay_set"]
    use_callers = 1 < len(factors.callers) <= MAX_CALLERS_IN_ANOVA
    grid: Grid | None = None
    target = "mean net return per trade of each scenario × caller cell"
    if use_callers:
        by_cell: dict[tuple[str, ...], float] = {
            (c.interval, str(c.lag), c.overlay, c.caller): c.mean for c in cells if c.mean is not None
        }
        grid = complete_grid([*names, "caller"], [factors.levels(n) for n in [*names, "caller"]], by_cell)
        if grid is not None and grid.dropped and len(grid.dropped) > len(factors.callers) // 2:
            grid = None
    if grid is None:
        target = "mean net return per trade of each scenario"
        means = _scenario_means(cells)
        by_scenario: dict[tuple[str, ...], float] = {
            (cell.interval, str(cell.lag), cell.overlay): mean for cell, mean, _ in means.values() if mean is not None
        }
        grid = complete_grid(names, [factors.levels(n) for n in names], by_scenario)
    if grid is None:
        return Importance(
            None,
            None,
            target,
            "",
            Chart("importance", "Parameter importance", None, "no complete grid of tradeable results"),
        )
    varying = [i for i, level in enumerate(grid.levels) if len(level) > 1]
    values = grid.values.mean(axis=tuple(i for i in range(grid.values.ndim) if i not in varying), keepdims=False)
    factor_names = tuple(grid.factors[i] for i in varying)
    decomposition = functional_anova([FACTOR_LABELS[f] for f in factor_names], values)
    note = ""
    if grid.dropped:
        note = "left out (some cells had no tradeable trade): " + ", ".join(
            f"{FACTOR_LABELS[f]} {Factors.label(f, level)}" for f, level in grid.dropped
        )
    terms = [t for t in decomposition.terms if len(t.factors) == 1 or t.share >= 0.0005]
    labels = [t.label for t in terms] + ["higher-order (3+ way)"]
    shares = [t.share * 100 for t in terms] + [decomposition.higher_order_share * 100]
    kinds = ["main effect" if len(t.factors) == 1 else "interaction" for t in terms] + ["higher order"]
    colours = {"main effect": "#2166ac", "interaction": "#ef8a62", "higher order": "#999999"}
    traces = []
    for kind in ("main effect", "interaction", "higher order"):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        if not idx:
            continue
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": kind,
                "marker": {"color": colours[kind]},
                "y": [labels[i] for i in idx],
                "x": [shares[i] for i in idx],
                "text": [f"{shares[i]:.1f}%" for i in idx],
                "textposition": "outside",
                "cliponaxis": False,
                "hovertemplate": "%{y}: %{x:.2f}% of the variance<extra>" + kind + "</extra>",
            }
        )
    order = list(reversed(labels))
    figure = {
        "data": traces,
        "layout": _layout(
            xaxis=_axis("share of the variance of the target (%)", range=[0, max([*shares, 1]) * 1.18]),
            yaxis=_axis("", categoryorder="array", categoryarray=order),
            margin={"l": 200, "r": 30, "t": 40, "b": 50},
            barmode="overlay",
        ),
    }
    chart = Chart(
        "importance", "Parameter importance (functional ANOVA)", figure, height=max(260, 28 * len(labels) + 90)
    )
    return Importance(decomposition, grid, target, note, chart)


# ----------------------------------------------------------------------------- charts


def _histogram(ctx: RequestContext) -> Chart:
    row = ctx.cursor.execute(
        f"SELECT quantile_cont(net_return, 0.005), quantile_cont(net_return, 0.995), count(*) "
        f"FROM {RESULTS_VIEW} WHERE {TRADEABLE}"
    ).fetchone()
    title = "Distribution of net return per trade"
    if not row or not row[2]:
        return Chart("histogram", title, None, "no tradeable results")
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
    centres = (low + width * (np.arange(HISTOGRAM_BINS) + 0.5)) * 100
    colours = ["#2166ac" if c >= 0 else "#b2182b" for c in centres]
    figure = {
        "data": [
            {
                "type": "bar",
                "x": centres,
                "y": counts,
                "width": width * 100,
                "marker": {"color": colours},
                "hovertemplate": "%{x:.2f}% ± " + f"{width * 50:.2f}" + "%: %{y} trades<extra></extra>",
            }
        ],
        "layout": _layout(
            xaxis=_axis("net return per trade (%), clipped to p0.5..p99.5"), yaxis=_axis("trades"), bargap=0.02
        ),
    }
    return Chart("histogram", title, figure)


def _pair_heatmaps(ctx: RequestContext, factors: Factors, importance: Importance) -> Chart:
    """Mean net return for every pair of factors; a menu picks the pair (interval × lag first)."""
    pairs = [
        ("lag_ms", "interval"),
        ("overlay_set", "interval"),
        ("overlay_set", "lag_ms"),
        ("caller", "overlay_set"),
        ("caller", "interval"),
        ("caller", "lag_ms"),
    ]
    if importance.decomposition is not None:
        by_label = {v: k for k, v in FACTOR_LABELS.items()}
        strongest = next((t for t in importance.decomposition.terms if len(t.factors) == 2), None)
        if strongest is not None:
            wanted = {by_label[f] for f in strongest.factors}
            pair = next(p for p in pairs if set(p) == wanted)
            if pair != pairs[0]:
                pairs.remove(pair)
                pairs.insert(1, pair)
    callers_by_trades = [
        str(c)
        for (c,) in ctx.cursor.execute(
            f"SELECT COALESCE(caller, '(none)') FROM {RESULTS_VIEW} GROUP BY ALL "
            f"ORDER BY count(*) FILTER (WHERE {TRADEABLE}) DESC, 1 LIMIT {MAX_HEATMAP_LEVELS}"
        ).fetchall()
    ]
    traces: list[dict[str, Any]] = []
    buttons: list[tuple[str, str, int, int]] = []
    for index, (rows_factor, columns_factor) in enumerate(pairs):
        if len(factors.levels(rows_factor)) < 2 and len(factors.levels(columns_factor)) < 2:
            continue
        result = ctx.cursor.execute(
            f"SELECT CAST({rows_factor} AS VARCHAR), CAST({columns_factor} AS VARCHAR), "
            f"avg(net_return) FILTER (WHERE {TRADEABLE}), count(*) FILTER (WHERE {TRADEABLE}) "
            f"FROM {RESULTS_VIEW} GROUP BY ALL"
        ).fetchall()
        row_levels = [lv for lv in factors.levels(rows_factor) if rows_factor != "caller" or lv in callers_by_trades]
        column_levels = [
            lv for lv in factors.levels(columns_factor) if columns_factor != "caller" or lv in callers_by_trades
        ]
        z = np.full((len(row_levels), len(column_levels)), np.nan)
        n = np.zeros_like(z)
        for r, c, mean, trades in result:
            if r in row_levels and c in column_levels and mean is not None:
                z[row_levels.index(r), column_levels.index(c)] = mean * 100
                n[row_levels.index(r), column_levels.index(c)] = trades
        if np.isnan(z).all():
            continue
        colorscale, low, high = fitted_diverging(float(np.nanmin(z)), float(np.nanmax(z)))
        text = [["" if math.isnan(v) else f"{v:.2f}%" for v in row] for row in z]
        traces.append(
            {
                "type": "heatmap",
                "visible": not traces,
                "name": f"{FACTOR_LABELS[rows_factor]} × {FACTOR_LABELS[columns_factor]}",
                "x": [Factors.label(columns_factor, lv) for lv in column_levels],
                "y": [Factors.label(rows_factor, lv) for lv in row_levels],
                "z": z,
                "customdata": n,
                "zmin": low,
                "zmax": high,
                "colorscale": colorscale,
                "text": text,
                "texttemplate": "%{text}" if z.size <= 200 else "",
                "xgap": 1,
                "ygap": 1,
                "colorbar": {"title": {"text": "mean net<br>return (%)"}},
                "hovertemplate": f"{FACTOR_LABELS[rows_factor]} %{{y}}, {FACTOR_LABELS[columns_factor]} %{{x}}"
                "<br>mean net return %{z:.3f}%<br>%{customdata} trades<extra></extra>",
            }
        )
        buttons.append((FACTOR_LABELS[rows_factor], FACTOR_LABELS[columns_factor], len(row_levels), index))
    title = "Mean net return by pairs of parameters"
    if not traces:
        return Chart("heatmaps", title, None, "no tradeable results")
    menu = [
        {
            "label": f"{rows} × {columns}",
            "method": "update",
            "args": [
                {"visible": [i == k for i in range(len(traces))]},
                {"yaxis.title.text": rows, "xaxis.title.text": columns},
            ],
        }
        for k, (rows, columns, _, _) in enumerate(buttons)
    ]
    most_rows = max(b[2] for b in buttons)
    figure = {
        "data": traces,
        "layout": _layout(
            xaxis=_axis(buttons[0][1], type="category"),
            yaxis=_axis(buttons[0][0], type="category"),
            margin={"l": 110, "r": 20, "t": 50, "b": 60},
            updatemenus=[
                {
                    "buttons": menu,
                    "direction": "down",
                    "x": 0,
                    "xanchor": "left",
                    "y": 1.02,
                    "yanchor": "bottom",
                    "showactive": True,
                }
            ]
            if len(menu) > 1
            else [],
        ),
    }
    return Chart(
        "heatmaps", title, figure, height=min(900, max(340, 26 * min(most_rows, MAX_HEATMAP_LEVELS) + 140)), wide=True
    )


def _parallel(factors: Factors, cells: Sequence[Cell]) -> Chart:
    title = "Parallel coordinates: parameters → mean net return"
    use = [c for c in cells if c.mean is not None]
    if not use:
        return Chart("parallel", title, None, "no tradeable results")
    if len(use) > MAX_PARCOORDS_LINES:
        use = sorted(use, key=lambda c: -c.trades)[:MAX_PARCOORDS_LINES]

    def categorical(label: str, levels: list[str], values: list[str], shown: list[str]) -> dict[str, Any]:
        index = {lv: i for i, lv in enumerate(levels)}
        return {
            "label": label,
            "values": [index[v] for v in values],
            "tickvals": list(range(len(levels))),
            "ticktext": shown,
            "range": [-0.2, len(levels) - 0.8] if len(levels) > 1 else [-1, 1],
        }

    dimensions = [
        categorical("interval", factors.intervals, [c.interval for c in use], factors.intervals),
        categorical(
            "entry lag",
            [str(lag) for lag in factors.lags],
            [str(c.lag) for c in use],
            [human_ms(lag) for lag in factors.lags],
        ),
    ]
    parameters = sorted({p for params in factors.overlay_params.values() for p in params})
    for parameter in parameters:
        raw = [factors.overlay_params.get(c.overlay, {}).get(parameter, 0.0) for c in use]
        ticks = sorted(set(raw))
        millis = parameter.endswith("(ms)")
        text = ["off" if t == 0 else (human_ms(t) if millis else f"{t:g}") for t in ticks]
        dimensions.append({"label": parameter.replace(" (ms)", ""), "values": raw, "tickvals": ticks, "ticktext": text})
    dimensions.append(categorical("overlay set", factors.overlays, [c.overlay for c in use], factors.overlays))
    if len(factors.callers) > 1:
        dimensions.append(categorical("caller", factors.callers, [c.caller for c in use], factors.callers))
    target = [c.mean * 100 for c in use if c.mean is not None]
    bound = max(abs(min(target)), abs(max(target))) or 1.0
    dimensions.append({"label": "mean net return (%)", "values": target})
    figure = {
        "data": [
            {
                "type": "parcoords",
                "dimensions": dimensions,
                "line": {
                    "color": target,
                    "colorscale": DIVERGING,
                    "cmin": -bound,
                    "cmax": bound,
                    "cmid": 0,
                    "showscale": True,
                    "colorbar": {"title": {"text": "%"}},
                },
                "labelangle": -15,
                "labelside": "top",
            }
        ],
        "layout": _layout(margin={"l": 70, "r": 70, "t": 70, "b": 30}),
    }
    per = "scenario × caller cell" if len(factors.callers) > 1 else "scenario"
    return Chart(
        "parallel",
        title,
        figure,
        note=f"one line per {per} ({len(use)} lines); drag along an axis to filter",
        height=460,
        wide=True,
    )


def _slices(factors: Factors, cells: Sequence[Cell]) -> list[Chart]:
    """One small chart per parameter: each scenario's mean net return at that parameter's value."""
    means = [(cell, mean, n) for cell, mean, n in _scenario_means(cells).values() if mean is not None]
    if not means:
        return [Chart("slice-none", "Slice plots", None, "no tradeable results")]
    charts = []
    y_all = [m * 100 for _, m, _ in means]
    pad = (max(y_all) - min(y_all)) * 0.08 or 1.0
    y_range = [min(y_all) - pad, max(y_all) + pad]

    def chart(key: str, label: str, xs: list[Any], ticks: dict[str, Any]) -> Chart:
        y = [m * 100 for _, m, _ in means]
        group_means: dict[Any, list[float]] = defaultdict(list)
        for x, value in zip(xs, y, strict=True):
            group_means[x].append(value)
        order = ticks.get("categoryarray") or sorted(group_means)
        traces = [
            {
                "type": "scatter",
                "mode": "markers",
                "x": xs,
                "y": y,
                "name": "scenario",
                "text": [cell.scenario for cell, _, _ in means],
                "customdata": [n for _, _, n in means],
                "marker": {"size": 7, "opacity": 0.6, "color": y, "colorscale": DIVERGING, "cmid": 0},
                "hovertemplate": "%{text}<br>"
                + label
                + " %{x}<br>mean %{y:.3f}%<br>%{customdata} trades<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "mean of the scenarios",
                "x": [x for x in order if x in group_means],
                "y": [float(np.mean(group_means[x])) for x in order if x in group_means],
                "line": {"color": "#333", "width": 1.5},
                "marker": {"symbol": "line-ew-open", "size": 14},
                "hovertemplate": label + " %{x}: mean of scenarios %{y:.3f}%<extra></extra>",
            },
        ]
        figure = {
            "data": traces,
            "layout": _layout(
                xaxis=_axis(label, **ticks),
                yaxis=_axis("mean net return (%)", range=y_range),
                showlegend=False,
                margin={"l": 60, "r": 10, "t": 10, "b": 70},
            ),
        }
        return Chart(f"slice-{key}", f"Slice: {label}", figure, height=300)

    charts.append(
        chart(
            "interval",
            "interval",
            [c.interval for c, _, _ in means],
            {"type": "category", "categoryorder": "array", "categoryarray": factors.intervals},
        )
    )
    lag_labels = [human_ms(lag) for lag in factors.lags]
    charts.append(
        chart(
            "lag",
            "entry lag",
            [human_ms(c.lag) for c, _, _ in means],
            {"type": "category", "categoryorder": "array", "categoryarray": lag_labels},
        )
    )
    charts.append(
        chart(
            "overlay",
            "overlay set",
            [c.overlay for c, _, _ in means],
            {"type": "category", "categoryorder": "array", "categoryarray": factors.overlays, "tickangle": -35},
        )
    )
    parameters = sorted({p for params in factors.overlay_params.values() for p in params})
    for i, parameter in enumerate(parameters):
        millis = parameter.endswith("(ms)")
        raw = [factors.overlay_params.get(c.overlay, {}).get(parameter, 0.0) for c, _, _ in means]
        labels = {v: ("off" if v == 0 else human_ms(v) if millis else f"{v:g}") for v in raw}
        order = [labels[v] for v in sorted(labels)]
        charts.append(
            chart(
                f"param-{i}",
                parameter.replace(" (ms)", "") + (" (0 = off)" if not millis else ""),
                [labels[v] for v in raw],
                {"type": "category", "categoryorder": "array", "categoryarray": order},
            )
        )
    return charts


def _overlay_distributions(ctx: RequestContext, factors: Factors) -> Chart:
    title = "Net return per trade by overlay set"
    rows = ctx.cursor.execute(
        f"SELECT overlay_set, quantile_cont(net_return, [0.05, 0.25, 0.5, 0.75, 0.95]), avg(net_return), count(*) "
        f"FROM {RESULTS_VIEW} WHERE {TRADEABLE} GROUP BY ALL"
    ).fetchall()
    if not rows:
        return Chart("overlays", title, None, "no tradeable results")
    by_overlay = {str(o): (q, m, n) for o, q, m, n in rows}
    order = sorted(by_overlay, key=lambda o: -by_overlay[o][1])
    figure = {
        "data": [
            {
                "type": "box",
                "name": "trades",
                "x": order,
                "lowerfence": [by_overlay[o][0][0] * 100 for o in order],
                "q1": [by_overlay[o][0][1] * 100 for o in order],
                "median": [by_overlay[o][0][2] * 100 for o in order],
                "q3": [by_overlay[o][0][3] * 100 for o in order],
                "upperfence": [by_overlay[o][0][4] * 100 for o in order],
                "mean": [by_overlay[o][1] * 100 for o in order],
                "boxmean": True,
                "marker": {"color": "#2166ac"},
            }
        ],
        "layout": _layout(
            xaxis=_axis("overlay set (best mean first)", type="category", tickangle=-35),
            yaxis=_axis("net return per trade (%)"),
            margin={"l": 60, "r": 20, "t": 10, "b": 90},
            showlegend=False,
        ),
    }
    return Chart(
        "overlays",
        title,
        figure,
        note="box = quartiles, whiskers = p5 and p95, dashed line = mean",
        wide=len(order) > 12,
    )


def _distinct(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], order: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """The first TOP_SCENARIOS scenarios whose equity curves can be told apart; the rest -> the one they match."""
    if not curves:
        return [], {}
    start = min(float(ts[0]) for ts, _ in curves.values())
    end = max(float(ts[-1]) for ts, _ in curves.values())
    grid = np.linspace(start, end, 300)
    sampled = {}
    for scenario, (ts, equity) in curves.items():
        index = np.searchsorted(ts, grid, side="right") - 1
        sampled[scenario] = np.where(index >= 0, equity[np.clip(index, 0, None)], 0.0)
    span = max(float(np.ptp(np.concatenate([[0.0], *sampled.values()]))), 1e-12)
    chosen: list[str] = []
    same_as: dict[str, str] = {}
    for scenario in order:
        if scenario not in sampled:
            continue
        twin = next(
            (c for c in chosen if np.max(np.abs(sampled[c] - sampled[scenario])) < INDISTINCT_SHARE * span), None
        )
        if twin is not None:
            same_as[scenario] = twin
        elif len(chosen) < TOP_SCENARIOS:
            chosen.append(scenario)
    return chosen, same_as


def _equity_and_drawdown(ctx: RequestContext, ranked: Sequence[str], has_call_ts: bool) -> tuple[Chart, Chart, str]:
    if not ranked:
        empty = "no tradeable results"
        return Chart("equity", "Equity", None, empty), Chart("drawdown", "Drawdown", None, empty), ""
    candidates = list(ranked[:EQUITY_CANDIDATES])
    order = "call_ts, call_id" if has_call_ts else "call_id"
    placeholders = ", ".join(f"${i + 1}" for i in range(len(candidates)))
    when = "call_ts" if has_call_ts else "row_number() OVER (PARTITION BY scenario_id ORDER BY call_id)"
    table = ctx.cursor.execute(
        f"SELECT scenario_id, {when} AS t, net_return FROM {RESULTS_VIEW} "
        f"WHERE {TRADEABLE} AND scenario_id IN ({placeholders}) ORDER BY scenario_id, {order}",
        candidates,
    ).to_arrow_table()
    ids = np.asarray(table.column("scenario_id").to_pylist(), dtype=object)
    times = np.asarray(table.column("t").to_numpy(zero_copy_only=False), dtype=float)
    returns = np.asarray(table.column("net_return").to_numpy(zero_copy_only=False), dtype=float)
    curves = {}
    for scenario in candidates:
        mask = ids == scenario
        if mask.any():
            curves[scenario] = (times[mask], np.cumsum(returns[mask]) * 100)
    chosen, same_as = _distinct(curves, candidates)
    palette = ["#2166ac", "#b2182b", "#1b9e77", "#7570b3", "#e6ab02"]
    equity_traces, drawdown_traces = [], []
    for i, scenario in enumerate(chosen):
        ts, cumulative = curves[scenario]
        below_peak = cumulative - np.maximum.accumulate(np.maximum(cumulative, 0))
        x: list[Any] = (
            [datetime.datetime.fromtimestamp(t / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S") for t in ts]
            if has_call_ts
            else ts
        )
        twins = [s for s, t in same_as.items() if t == scenario]
        name = scenario + (f" (+{len(twins)} alike)" if twins else "")
        common = {
            "type": "scatter",
            "mode": "lines",
            "name": name,
            "x": x,
            "line": {"color": palette[i % len(palette)], "width": 1.6},
            "legendgroup": scenario,
        }
        equity_traces.append(
            {**common, "y": cumulative, "hovertemplate": "%{x}<br>%{y:.2f}%<extra>" + scenario + "</extra>"}
        )
        drawdown_traces.append(
            {
                **common,
                "y": below_peak,
                "showlegend": True,
                "hovertemplate": "%{x}<br>%{y:.2f} points<extra>" + scenario + "</extra>",
            }
        )
    x_title = "call time (UTC)" if has_call_ts else "trade number"
    x_axis = _axis(x_title, type="date") if has_call_ts else _axis(x_title)
    equity = Chart(
        "equity",
        "Equity of the best scenarios that can be told apart",
        {
            "data": equity_traces,
            "layout": _layout(xaxis=x_axis, yaxis=_axis("cumulative net return (%)")),
        },
        height=400,
        wide=True,
    )
    drawdown = Chart(
        "drawdown",
        "Drawdown of the same scenarios",
        {
            "data": drawdown_traces,
            "layout": _layout(xaxis=x_axis, yaxis=_axis("drawdown (% points)")),
        },
        height=320,
        wide=True,
    )
    note = ""
    if same_as:
        note = (
            f"curves within {INDISTINCT_SHARE:.0%} of the chart's range of a better one are drawn once: "
            + "; ".join(f"{s} ≈ {t}" for s, t in same_as.items())
        )
    return equity, drawdown, note


@dataclass
class Coverage:
    reasons: list[str]
    rows: list[dict[str, Any]]
    overall: dict[str, Any]
    chart: Chart
    has_reasons: bool


def _coverage(ctx: RequestContext, has_skip_reason: bool) -> Coverage:
    reason = "COALESCE(skip_reason, '(not given)')" if has_skip_reason else "'(not recorded)'"
    result = ctx.cursor.execute(
        f"SELECT COALESCE(caller, '(none)'), CASE WHEN {TRADEABLE} THEN NULL ELSE {reason} END, count(*) "
        f"FROM {RESULTS_VIEW} GROUP BY ALL"
    ).fetchall()
    per: dict[str, dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
    for caller, why, n in result:
        per[str(caller)][why] += int(n)
    reasons = sorted(
        {r for counts in per.values() for r in counts if r is not None},
        key=lambda r: -sum(c.get(r, 0) for c in per.values()),
    )

    def row(name: str, counts: dict[str | None, int]) -> dict[str, Any]:
        total = sum(counts.values())
        tradeable = counts.get(None, 0)
        return {
            "caller": name,
            "backtests": total,
            "tradeable": tradeable,
            "coverage": _percent(tradeable / total if total else math.nan),
            "share": tradeable / total if total else 0.0,
            "reasons": [counts.get(r, 0) for r in reasons],
        }

    rows = sorted((row(c, counts) for c, counts in per.items()), key=lambda r: (r["share"], r["caller"]))
    overall_counts: dict[str | None, int] = defaultdict(int)
    for counts in per.values():
        for k, v in counts.items():
            overall_counts[k] += v
    overall = row("all callers", overall_counts)
    shown = rows[:MAX_HEATMAP_LEVELS]
    names = ["all callers", *[r["caller"] for r in shown]]
    palette = ["#b2182b", "#ef8a62", "#fddbc7", "#999999", "#7570b3", "#e6ab02"]
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "name": "tradeable",
            "y": names,
            "marker": {"color": "#2166ac"},
            "x": [overall["tradeable"] / max(overall["backtests"], 1) * 100]
            + [r["tradeable"] / max(r["backtests"], 1) * 100 for r in shown],
            "hovertemplate": "%{y}: %{x:.1f}% tradeable<extra></extra>",
        }
    ]
    for i, why in enumerate(reasons):
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": why,
                "y": names,
                "marker": {"color": palette[i % len(palette)]},
                "x": [overall["reasons"][i] / max(overall["backtests"], 1) * 100]
                + [r["reasons"][i] / max(r["backtests"], 1) * 100 for r in shown],
                "hovertemplate": "%{y}: %{x:.1f}% skipped: " + why + "<extra></extra>",
            }
        )
    figure = {
        "data": traces,
        "layout": _layout(
            barmode="stack",
            xaxis=_axis("share of backtests (%)", range=[0, 100]),
            yaxis=_axis("", type="category", autorange="reversed"),
            margin={"l": 140, "r": 20, "t": 40, "b": 50},
        ),
    }
    chart = Chart(
        "coverage", "Coverage per caller (worst first)", figure, height=max(240, 22 * len(names) + 110), wide=True
    )
    return Coverage(reasons, rows, overall, chart, has_skip_reason)


# ----------------------------------------------------------------------------- tables


_BOARD_COLUMNS = {"lag_ms": "entry lag", "overlay_set": "overlay set", "scenario_id": "scenario"}


def _board_view(board: common_pb2.Leaderboard) -> dict[str, Any]:
    def key(dimension: str, value: str) -> str:
        if dimension == "lag_ms" and value.lstrip("-").isdigit():
            return human_ms(int(value))
        return value

    return {
        "name": board.name,
        "dimensions": [_BOARD_COLUMNS.get(d, d) for d in board.dimensions],
        "rows": [
            {
                "group": [key(d, k) for d, k in zip(board.dimensions, row.keys, strict=False)],
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


def _facts(op: worker_pb2.GenerateReportOp) -> list[tuple[str, str]]:
    """The runner's facts; ``*_ms`` durations and ``*_seconds`` timings in human units."""
    out = []
    for key, value in sorted(op.facts.items()):
        shown = value
        try:
            if key.endswith("_ms") and not key.endswith("_at_ms"):
                shown = human_seconds(float(value) / 1000)
                key = key[:-3]
            elif key.endswith("_at_ms"):
                shown = datetime.datetime.fromtimestamp(int(value) / 1000, datetime.UTC).strftime(
                    "%Y-%m-%d %H:%M:%S UTC"
                )
                key = key[:-6]
        except (ValueError, OverflowError, OSError):
            shown = value
        out.append((key.replace("_", " "), shown))
    return out


def handle(ctx: RequestContext, op: worker_pb2.GenerateReportOp) -> worker_pb2.Result:
    if not op.sweep_id:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, "sweep_id is required")
    if len(op.spec_text) > MAX_SPEC_CHARS:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"spec_text is longer than {MAX_SPEC_CHARS} characters")
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
    ctx.check()
    boards = [leaderboard(cursor, board, TOP_ROWS, "skip_reason" in columns) for board in BOARDS]
    ranked = [
        str(s)
        for (s,) in cursor.execute(
            f"SELECT scenario_id FROM {RESULTS_VIEW} GROUP BY ALL HAVING count(*) FILTER (WHERE {TRADEABLE}) > 0 "
            f"ORDER BY avg(net_return) FILTER (WHERE {TRADEABLE}) DESC, scenario_id LIMIT {EQUITY_CANDIDATES}"
        ).fetchall()
    ]
    ctx.check()
    cells = _cells(ctx)
    runs = list(op.runs)
    factors = Factors(
        intervals=sorted({c.interval for c in cells}, key=lambda i: (interval_ms(i), i)),
        lags=sorted({c.lag for c in cells}),
        overlays=sorted({c.overlay for c in cells}),
        callers=sorted({c.caller for c in cells}),
        overlay_params=_overlay_params(runs),
    )
    importance = _importance(factors, cells)
    ctx.check()
    heatmaps = _pair_heatmaps(ctx, factors, importance)
    ctx.check()
    equity, drawdown, equity_note = _equity_and_drawdown(ctx, ranked, has_call_ts)
    ctx.check()
    coverage = _coverage(ctx, "skip_reason" in columns)
    charts = {
        "importance": importance.chart,
        "heatmaps": heatmaps,
        "parallel": _parallel(factors, cells),
        "histogram": _histogram(ctx),
        "overlays": _overlay_distributions(ctx, factors),
        "equity": equity,
        "drawdown": drawdown,
        "coverage": coverage.chart,
    }
    slices = _slices(factors, cells)
    ctx.check()

    statuses: dict[str, int] = {}
    for run in runs:
        statuses[run.status or "(unknown)"] = statuses.get(run.status or "(unknown)", 0) + 1
    failed = [
        {"run_id": r.run_id, "scenario_id": r.scenario_id, "status": r.status, "error": r.error_message}
        for r in runs
        if _is_failed(r)
    ]
    decomposition = importance.decomposition
    html = _environment.get_template("report.html.j2").render(
        title=op.title or f"Sweep {op.sweep_id}",
        sweep_id=op.sweep_id,
        generated_at=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        about=sorted({**dict(op.about), "report writer": f"quantbot-worker {__version__}"}.items()),
        facts=_facts(op),
        spec_text=op.spec_text,
        totals={"rows": totals[0], "runs": totals[1], "tradeable": totals[2], "skipped": totals[3]},
        period=(
            [
                datetime.datetime.fromtimestamp(t / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
                for t in totals[4:6]
            ]
            if has_call_ts and totals[4]
            else None
        ),
        factors={
            "intervals": factors.intervals,
            "lags": [human_ms(lag) for lag in factors.lags],
            "overlays": factors.overlays,
            "callers": len(factors.callers),
        },
        boards=[_board_view(b) for b in boards],
        importance=importance,
        importance_terms=(
            [
                {
                    "label": t.label,
                    "kind": "main effect" if len(t.factors) == 1 else "interaction",
                    "share": t.share,
                    "percent": f"{t.share * 100:.2f}%",
                }
                for t in decomposition.terms
            ]
            if decomposition
            else []
        ),
        grid_shape=(
            " × ".join(
                f"{len(lv)} {FACTOR_LABELS[f]}"
                for f, lv in zip(importance.grid.factors, importance.grid.levels, strict=True)
            )
            if importance.grid
            else ""
        ),
        charts=charts,
        slices=slices,
        equity_note=equity_note,
        coverage=coverage,
        statuses=sorted(statuses.items()),
        failed=failed,
        run_count=len(runs),
        plotly_js=markupsafe.Markup(plotly_js()),
        plot_config=markupsafe.Markup(json.dumps(PLOT_CONFIG)),
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
