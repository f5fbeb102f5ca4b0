"""GenerateReport: a self-contained interactive HTML file (plotly inlined), checked by parsing it."""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.handlers.report import fitted_diverging, human_ms, human_seconds, plotly_js

from conftest import SOL, Code, Env
from test_analyze import write_results

REASONS = {"alice": "no_candles", "bob": "entry_after_data"}
SPEC = "calls:\n  snapshot: demo\nintervals: [1m, 5m]\nentry_lags: [0s, 5s]\nfees:\n  taker_bps: 30\nslippage_bps: 10\n"


def report_op(paths: list[str]) -> worker_pb2.GenerateReportOp:
    return worker_pb2.GenerateReportOp(
        sweep_id="s1",
        title="Demo sweep <script>alert(1)</script>",
        parquet_paths=paths,
        about={"git_sha": "abc123", "duckdb": "1.5.6"},
        runs=[
            worker_pb2.RunInfo(
                run_id="run-1",
                scenario_id="tp_sl-0-1m",
                status="succeeded",
                params_json=json.dumps(
                    {
                        "overlay_set": {
                            "name": "tp_sl",
                            "overlays": [
                                {"type": "take_profit", "pct": 50},
                                {"type": "time_exit", "after_ms": 3_600_000},
                            ],
                        }
                    }
                ),
            ),
            worker_pb2.RunInfo(
                run_id="run-9", scenario_id="trailing-0-5m", status="failed", error_message="candle cache miss for BONK"
            ),
        ],
        spec_text=SPEC,
        facts={
            "simulate_ms": "83500",
            "started_at_ms": "1700000000000",
            "python_worker_spawns": "0",
            "status": "succeeded",
        },
    )


def figures(html: str) -> dict[str, dict]:
    found = re.findall(r'<script type="application/json" id="fig-([a-z0-9-]+)">(.*?)</script>', html, re.S)
    return {name: json.loads(text) for name, text in found}


def test_human_units() -> None:
    assert [human_ms(v) for v in (0, 500, 30_000, 1_800_000, 90_000, 3_600_000, 86_400_000, 1_500)] == [
        "0s", "500ms", "30s", "30m", "90s", "1h", "1d", "1500ms"]  # fmt: skip
    assert human_seconds(83.5) == "83.5 s" and human_seconds(0.25) == "250 ms" and human_seconds(3725) == "1h 02m"


def test_report_is_self_contained_interactive_html(env: Env) -> None:
    artifact = env.ok("generate_report", report_op(write_results(env.lake))).artifact
    assert artifact.type == "report" and artifact.extension == "html"
    assert artifact.logical_key == "sweep=s1/report" and dict(artifact.tags) == {"sweep_id": "s1"}
    path = Path(artifact.staging_path)
    assert path.suffix == ".html"
    data = path.read_bytes()
    assert artifact.file_hash == artifact.content_hash == hashlib.sha256(data).hexdigest()
    assert artifact.size_bytes == len(data)
    assert artifact.row_count == 96 and artifact.min_ts_ms == 1_700_000_000_000
    html = data.decode()
    # Offline: no element loads anything (plotly.js carries XML namespace URIs as strings, never as sources).
    markup = re.sub(r"<script>.*?</script>", "<script></script>", html, flags=re.S)
    assert (
        not re.search(r"\s(src|href|action|srcset)=\"(?!#)", markup)
        and "@import" not in markup
        and "url(" not in markup
    )
    assert "default-src 'none'" in html  # the page's CSP forbids any fetch
    assert plotly_js() in html and html.count("<script>") == 2 and "Plotly.newPlot" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html  # escaped
    for text in ("by_overlay", "by_lag_interval", "by_caller", "by_scenario", "git_sha", "abc123", "Failed runs",
                 "run-9", "candle cache miss for BONK", "no_candles", "functional ANOVA", "taker_bps: 30",
                 "83.5 s", "2023-11-14 22:13:20 UTC", "python worker spawns", "@media print"):  # fmt: skip
        assert text in html, text
    charts = figures(html)
    for name in ("importance", "heatmaps", "parallel", "histogram", "overlays", "equity", "drawdown", "coverage",
                 "slice-interval", "slice-lag", "slice-overlay"):  # fmt: skip
        assert name in charts and charts[name]["data"], name
    # human units: lags in the spec's units, never milliseconds
    heat = charts["heatmaps"]["data"][0]
    assert heat["y"] == ["0s", "5s"] and heat["x"] == ["1m", "5m"]
    assert "5000 ms" not in html and ">5000<" not in html
    # the heatmap's scale spans exactly the data, white at 0 when the data cross it
    values = [v for row in heat["z"] for v in row if v is not None]
    assert heat["zmin"] == pytest.approx(min(values)) and heat["zmax"] == pytest.approx(max(values))
    assert "zmid" not in heat
    if min(values) < 0 < max(values):
        white = next(position for position, colour in heat["colorscale"] if colour == "#f7f7f7")
        assert white == pytest.approx(-min(values) / (max(values) - min(values)))
    # overlay parameters from params_json become parallel-coordinate axes, the time exit in human units
    labels = [d["label"] for d in charts["parallel"]["data"][0]["dimensions"]]
    assert labels[:2] == ["interval", "entry lag"] and "take_profit pct" in labels and "time_exit after" in labels
    time_exit = next(d for d in charts["parallel"]["data"][0]["dimensions"] if d["label"] == "time_exit after")
    assert "1h" in time_exit["ticktext"]


def test_a_colour_scale_fitted_to_close_values_of_one_sign() -> None:
    """The issue's complaint: 15-28 % all looked the same green on a fixed +-25 % scale."""
    scale, low, high = fitted_diverging(15.0, 28.0)
    assert (low, high) == (15.0, 28.0)
    assert scale[0][1] != scale[-1][1] and "#f7f7f7" not in [c for _, c in scale]
    scale, low, high = fitted_diverging(-2.0, 6.0)
    assert [p for p, c in scale if c == "#f7f7f7"] == [pytest.approx(0.25)]
    assert fitted_diverging(-5.0, -1.0)[0][-1][1] == "#fddbc7"


def importance_rows(distinct_twin: bool = True) -> pa.Table:
    """Cells whose means follow known effects: overlay ±1 %, interval × caller ±2 %, lag ±0.5 %."""
    sign = {"tp_sl": 1, "trailing": -1, "1m": 1, "5m": -1, "alice": 1, "bob": -1, 0: 1, 5_000: -1}
    rows = []
    for overlay in ("tp_sl", "trailing"):
        for lag in (0, 5_000):
            for interval in ("1m", "5m"):
                scenario = f"{overlay}-{lag}-{interval}"
                for caller in ("alice", "bob"):
                    mean = 0.01 * sign[overlay] + 0.02 * sign[interval] * sign[caller] + 0.005 * sign[lag]
                    for k, spread in enumerate((-0.03, 0.03, 0.0)):
                        tradeable = k < 2
                        rows.append({
                            "run_id": f"run-{scenario}", "scenario_id": scenario, "interval": interval, "lag_ms": lag,
                            "overlay_set": overlay, "call_id": f"{caller}-{k}", "caller": caller,
                            "call_ts": 1_700_000_000_000 + k * 60_000 + (caller == "bob") * 3_600_000,
                            "net_return": mean + spread if tradeable else None, "tradeable": tradeable,
                            "skip_reason": None if tradeable else REASONS[caller],
                            "token": SOL,
                        })  # fmt: skip
    return pa.Table.from_pylist(rows)


def test_importance_in_the_report_matches_the_known_effects(env: Env) -> None:
    path = env.lake / "known.parquet"
    pq.write_table(importance_rows(), path)
    html = Path(env.ok("generate_report", report_op([str(path)])).artifact.staging_path).read_text()
    shares = {
        html_lib.unescape(term): float(share)
        for term, share in re.findall(r'<tr data-term="([^"]+)" data-share="([0-9.eE+-]+)">', html)
    }
    total = 1e-4 + 4e-4 + 0.25e-4
    assert shares["overlay set"] == pytest.approx(1e-4 / total)
    assert shares["interval × caller"] == pytest.approx(4e-4 / total)
    assert shares["entry lag"] == pytest.approx(0.25e-4 / total)
    assert shares["interval"] == pytest.approx(0, abs=1e-9) and shares["caller"] == pytest.approx(0, abs=1e-9)
    assert shares["higher-order"] == pytest.approx(0, abs=1e-9)
    assert "scenario × caller cell" in html and "2 interval × 2 entry lag × 2 overlay set × 2 caller" in html
    bars = figures(html)["importance"]["data"]
    main = next(b for b in bars if b["name"] == "main effect")
    assert dict(zip(main["y"], main["x"], strict=True))["overlay set"] == pytest.approx(100 * 1e-4 / total)
    # coverage per caller with the skip reasons of each
    coverage = html[html.index('id="coverage-table"') :]
    coverage = coverage[: coverage.index("</table>")]
    assert re.search(r"<td>alice</td><td class=\"num\">24</td><td class=\"num\">16</td>\s*<td class=\"num\">66.67%</td>"
                     r"<td class=\"num\">(8|0)</td><td class=\"num\">(0|8)</td>", coverage)  # fmt: skip
    assert "entry_after_data" in coverage and "no_candles" in coverage


def test_indistinguishable_equity_curves_are_drawn_once(env: Env) -> None:
    """Scenarios that differ only in lag here trade identically: the equity chart names them once."""
    table = importance_rows()
    lag = table.column("lag_ms").to_pylist()
    net = table.column("net_return").to_pylist()
    table = table.set_column(
        table.schema.get_field_index("net_return"), "net_return",
        pa.array([None if n is None else n + (0.005 if g == 5_000 else -0.005) for n, g in zip(net, lag, strict=True)]),
    )  # fmt: skip
    path = env.lake / "twins.parquet"
    pq.write_table(table, path)
    html = Path(env.ok("generate_report", report_op([str(path)])).artifact.staging_path).read_text()
    equity = figures(html)["equity"]["data"]
    names = [t["name"] for t in equity]
    assert len(names) == 4 and all("(+1 alike)" in n for n in names), names
    assert "≈" in html


def test_report_without_tradeable_results(env: Env) -> None:
    from test_analyze import results_table

    table = results_table()
    table = table.set_column(table.schema.get_field_index("tradeable"), "tradeable", pa.array([False] * table.num_rows))
    path = env.lake / "r.parquet"
    pq.write_table(table, path)
    artifact = env.ok("generate_report", report_op([str(path)])).artifact
    html = Path(artifact.staging_path).read_text()
    assert "no tradeable results" in html and "no complete grid" in html
    assert "coverage" in figures(html)


def test_report_without_skip_reasons_or_spec(env: Env) -> None:
    table = importance_rows().drop_columns(["skip_reason"])
    path = env.lake / "old.parquet"
    pq.write_table(table, path)
    op = report_op([str(path)])
    op.ClearField("spec_text")
    op.ClearField("facts")
    html = Path(env.ok("generate_report", op).artifact.staging_path).read_text()
    assert "(not recorded)" in html and "These results do not record why" in html
    assert "the runner sent no spec" in html and "the runner sent no timings" in html


def test_report_arguments(env: Env) -> None:
    op = report_op(write_results(env.lake))
    op.sweep_id = ""
    assert env.error("generate_report", op).code == Code.INVALID_ARGUMENT
    assert env.error("generate_report", report_op([])).code == Code.INVALID_ARGUMENT
    long_spec = report_op(write_results(env.lake))
    long_spec.spec_text = "x" * (256 * 1024 + 1)
    assert env.error("generate_report", long_spec).code == Code.INVALID_ARGUMENT
    assert env.staged_files() == []
