"""GenerateReport: a self-contained HTML file with the leaderboards, charts and failed runs."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from quantbot.storage.worker.v1 import worker_pb2

from conftest import Code, Env
from test_analyze import write_results


def report_op(paths: list[str]) -> worker_pb2.GenerateReportOp:
    return worker_pb2.GenerateReportOp(
        sweep_id="s1",
        title="Demo sweep <script>alert(1)</script>",
        parquet_paths=paths,
        about={"git_sha": "abc123", "duckdb": "1.5.6"},
        runs=[
            worker_pb2.RunInfo(run_id="run-1", scenario_id="tp_sl-0-1m", status="succeeded"),
            worker_pb2.RunInfo(
                run_id="run-9", scenario_id="trailing-0-5m", status="failed", error_message="candle cache miss for BONK"
            ),
        ],
    )


def test_report_is_self_contained_html(env: Env) -> None:
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
    assert "http:" not in html and "https:" not in html
    assert not re.search(r'(src|href)="(?!data:)', html) and "url(" not in html and "@import" not in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html  # escaped
    for text in ("by_overlay", "by_lag_interval", "by_caller", "by_scenario", "git_sha", "abc123",
                 "Distribution of net return", "lag × interval", "Equity", "Drawdown", "Failed runs",
                 "run-9", "candle cache miss for BONK", "no_candles", "Parameter importance"):  # fmt: skip
        assert text in html, text
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 4
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)


def test_report_without_tradeable_results(env: Env) -> None:
    from test_analyze import results_table

    table = results_table()
    table = table.set_column(table.schema.get_field_index("tradeable"), "tradeable", pa.array([False] * table.num_rows))
    path = env.lake / "r.parquet"
    pq.write_table(table, path)
    artifact = env.ok("generate_report", report_op([str(path)])).artifact
    html = Path(artifact.staging_path).read_text()
    assert "no tradeable results" in html


def test_report_arguments(env: Env) -> None:
    op = report_op(write_results(env.lake))
    op.sweep_id = ""
    assert env.error("generate_report", op).code == Code.INVALID_ARGUMENT
    assert env.error("generate_report", report_op([])).code == Code.INVALID_ARGUMENT
    assert env.staged_files() == []
