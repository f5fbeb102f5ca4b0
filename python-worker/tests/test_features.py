"""GenerateFeatures: the DuckDB window SQL against a plain Python computation."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from quantbot.storage.worker.v1 import worker_pb2

from conftest import BONK, CANDLE_HEADER, SOL, Code, Env, candle_rows, write_parquet
from reference_hash import reference_hash

CANDLE_COLUMNS = CANDLE_HEADER.split(",")


def inputs(env: Env) -> list[worker_pb2.InputArtifact]:
    sol = write_parquet(env.lake / "sol.parquet", CANDLE_COLUMNS, list(reversed(candle_rows(SOL, "solana", "1m", 30))))
    bonk = write_parquet(env.lake / "bonk.parquet", CANDLE_COLUMNS, candle_rows(BONK, "solana", "1m", 25, price=0.5))
    return [worker_pb2.InputArtifact(artifact_id="a-sol", parquet_path=str(sol)),
            worker_pb2.InputArtifact(artifact_id="a-bonk", parquet_path=str(bonk))]  # fmt: skip


def expected_features(rows: list[tuple], window: int) -> list[dict[str, float | None]]:
    rows = sorted(rows, key=lambda r: r[3])
    out = []
    rets: list[float | None] = []
    trs: list[float] = []
    running_high = -math.inf
    for i, (_, _, _, _, _open, high, low, close, volume) in enumerate(rows):
        prev = rows[i - 1][7] if i else None
        ret = close / prev - 1 if prev is not None else None
        rets.append(ret)
        trs.append(high - low if prev is None else max(high - low, abs(high - prev), abs(low - prev)))
        running_high = max(running_high, high)
        feature: dict[str, float | None] = {"ret_1": ret, "drawdown": close / running_high - 1}
        feature[f"ret_{window}"] = close / rows[i - window][7] - 1 if i >= window else None
        last_rets = [r for r in rets[max(0, i - window + 1) : i + 1] if r is not None]
        feature[f"vol_{window}"] = statistics.stdev(last_rets) if len(last_rets) == window else None
        feature[f"atr_{window}"] = statistics.fmean(trs[i - window + 1 : i + 1]) if i + 1 >= window else None
        if i + 1 >= window:
            volumes = [r[8] for r in rows[i - window + 1 : i + 1]]
            sd = statistics.stdev(volumes)
            feature[f"volume_z_{window}"] = (volume - statistics.fmean(volumes)) / sd if sd else None
        else:
            feature[f"volume_z_{window}"] = None
        out.append(feature)
    return out


def test_features_match_a_plain_computation(env: Env) -> None:
    op = worker_pb2.GenerateFeaturesOp(inputs=inputs(env), windows=[20, 5], logical_key="features/solana/1m")
    artifact = env.ok("generate_features", op).artifact
    assert artifact.type == "features" and artifact.schema_version == 1
    names = ["token", "chain", "interval", "ts", "ret_1"]
    names += ["ret_5", "vol_5", "atr_5", "volume_z_5", "ret_20", "vol_20", "atr_20", "volume_z_20", "drawdown"]
    assert [c.name for c in artifact.columns] == names
    assert json.loads(artifact.params_json) == {"windows": [5, 20], "input_artifact_ids": ["a-sol", "a-bonk"]}
    assert artifact.tags["windows"] == "5,20" and "token" not in artifact.tags
    table = pq.read_table(artifact.staging_path)
    assert table.column_names == names and table.num_rows == 55
    got = table.to_pylist()
    assert [r["token"] for r in got] == sorted(r["token"] for r in got)
    for token, count, price in ((SOL, 30, 1.0), (BONK, 25, 0.5)):
        rows = candle_rows(token, "solana", "1m", count, price=price)
        mine = [r for r in got if r["token"] == token]
        for window in (5, 20):
            for have, want in zip(mine, expected_features(rows, window), strict=True):
                for key, value in want.items():
                    if value is None:
                        assert have[key] is None, (token, key, have["ts"])
                    else:
                        assert have[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (token, key, have["ts"])
    # The content hash follows qbch1 over the canonical columns.
    kinds = [(n, "str" if n in ("token", "chain", "interval") else "i64" if n == "ts" else "f64") for n in names]
    rows = [tuple(r[n] for n in names) for r in got]
    assert artifact.content_hash == reference_hash("features", 1, kinds, ["token", "chain", "interval", "ts"], rows)


def test_single_series_gets_series_tags_and_default_windows(env: Env) -> None:
    only = inputs(env)[:1]
    artifact = env.ok("generate_features", worker_pb2.GenerateFeaturesOp(inputs=only, logical_key="f")).artifact
    assert dict(artifact.tags) == {"windows": "5,20", "token": SOL, "chain": "solana", "interval": "1m"}


def test_published_features_round_trip(env: Env) -> None:
    artifact = env.ok("generate_features", worker_pb2.GenerateFeaturesOp(inputs=inputs(env), logical_key="f")).artifact
    copy = Path(env.imports / "features.parquet")
    copy.write_bytes(Path(artifact.staging_path).read_bytes())
    op = worker_pb2.PublishArtifactOp(type="features", logical_key="f", source_path=str(copy))
    assert env.ok("publish_artifact", op).artifact.content_hash == artifact.content_hash


@pytest.mark.parametrize("windows", [[1], [0], [5, 5], list(range(2, 20))])
def test_window_validation(env: Env, windows: list[int]) -> None:
    op = worker_pb2.GenerateFeaturesOp(inputs=inputs(env), windows=windows, logical_key="f")
    assert env.error("generate_features", op).code == Code.INVALID_ARGUMENT


def test_bad_inputs(env: Env) -> None:
    assert env.error("generate_features", worker_pb2.GenerateFeaturesOp(logical_key="f")).code == Code.INVALID_ARGUMENT
    assert (
        env.error("generate_features", worker_pb2.GenerateFeaturesOp(inputs=inputs(env))).code == Code.INVALID_ARGUMENT
    )
    twice = inputs(env)[:1] * 2
    error = env.error("generate_features", worker_pb2.GenerateFeaturesOp(inputs=twice, logical_key="f"))
    assert error.code == Code.INVALID_INPUT_DATA and "appears 2 times" in error.message
    other = write_parquet(env.lake / "other.parquet", ["a"], [(1,)])
    op = worker_pb2.GenerateFeaturesOp(inputs=[worker_pb2.InputArtifact(parquet_path=str(other))], logical_key="f")
    assert env.error("generate_features", op).code == Code.INVALID_INPUT_DATA
    assert env.staged_files() == []
