"""A Python client generated from proto/ with no hand-written code, called against a running daemon.

Run by GeneratedPythonClientTest (storage-daemon) with the python-worker venv, which pins grpcio,
grpcio-tools and googleapis-common-protos:

    python generated_client_check.py --proto-root proto/src/main/proto --out DIR --target 127.0.0.1:PORT

It generates *_pb2.py, *_pb2_grpc.py and .pyi stubs for quantbot/storage/v1 with grpc_tools.protoc, imports
them and calls StatePort (Set, Get, compare-and-set conflict, Get of a missing key) and ArtifactPort
(GetServerInfo, CreateRun, a client-streaming AppendRunRows, GetRun). It prints one JSON object; any
failure raises (exit code 1).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

import google.rpc
import grpc
from grpc_tools import protoc


def generate(proto_root: Path, out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    well_known = Path(protoc.__file__).parent / "_proto"  # google/protobuf/*.proto shipped with grpc_tools
    google_rpc = Path(next(iter(google.rpc.__path__))).parent.parent  # googleapis-common-protos: google/rpc/*.proto
    sources = sorted(str(p.relative_to(proto_root)) for p in (proto_root / "quantbot" / "storage" / "v1").glob("*.proto"))
    args = [
        "grpc_tools.protoc",
        f"-I{proto_root}",
        f"-I{google_rpc}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *sources,
    ]
    if protoc.main(args) != 0:
        raise SystemExit(f"protoc failed: {' '.join(args)}")
    return sorted(str(p.relative_to(out)) for p in out.rglob("*.py*") if p.suffix in (".py", ".pyi"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--proto-root", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--target", required=True)
    options = parser.parse_args()

    files = generate(options.proto_root.resolve(), options.out.resolve())
    sys.path.insert(0, str(options.out.resolve()))
    common = importlib.import_module("quantbot.storage.v1.common_pb2")
    state = importlib.import_module("quantbot.storage.v1.state_pb2")
    state_grpc = importlib.import_module("quantbot.storage.v1.state_pb2_grpc")
    artifact = importlib.import_module("quantbot.storage.v1.artifact_pb2")
    artifact_grpc = importlib.import_module("quantbot.storage.v1.artifact_pb2_grpc")

    report: dict[str, object] = {"generated": files}
    with grpc.insecure_channel(options.target) as channel:
        states = state_grpc.StatePortStub(channel)
        artifacts = artifact_grpc.ArtifactPortStub(channel)

        info = artifacts.GetServerInfo(artifact.GetServerInfoRequest(), timeout=10)
        report["server_version"] = info.version

        written = states.Set(
            state.SetRequest(namespace="py-client", key="k1", value=common.Value(json='{"done": true}')), timeout=10
        )
        read = states.Get(state.GetRequest(namespace="py-client", key="k1"), timeout=10)
        report["set_version"] = written.version
        report["get_json"] = read.entry.value.json

        try:
            states.Set(
                state.SetRequest(
                    namespace="py-client", key="k1", value=common.Value(json="1"), expected_version=written.version + 5
                ),
                timeout=10,
            )
            report["conflict"] = "none"
        except grpc.RpcError as e:
            report["conflict"] = e.code().name
        try:
            states.Get(state.GetRequest(namespace="py-client", key="missing"), timeout=10)
            report["missing"] = "found"
        except grpc.RpcError as e:
            report["missing"] = e.code().name

        run = artifacts.CreateRun(artifact.CreateRunRequest(sweep_id="py-sweep", scenario_id="s1"), timeout=10).run
        chunk = common.RowChunk(
            row_count=2,
            # Every run_results column but the optional sweep_id and scenario_id (docs/artifacts.md).
            columns=[
                *[
                    common.Column(name=name, strings=common.StringColumn(values=values))
                    for name, values in {
                        "call_id": ["c1", "c2"],
                        "interval": ["1m", "1m"],
                        "overlay_set": ["default", "default"],
                        "caller": ["alice", "bob"],
                        "token": ["So11111111111111111111111111111111111111112"] * 2,
                        "chain": ["solana", "solana"],
                        "exit_reason": ["time_exit", "time_exit"],
                        "skip_reason": ["", ""],
                    }.items()
                ],
                *[
                    common.Column(name=name, int64s=common.Int64Column(values=[1_767_225_600_000, 1_767_225_660_000]))
                    for name in ("lag_ms", "call_ts", "entry_ts", "exit_ts", "candles_used")
                ],
                *[
                    common.Column(name=name, doubles=common.DoubleColumn(values=[0.1, -0.05]))
                    for name in ("entry_px", "exit_px", "gross_return", "net_return", "fees", "slippage")
                ],
                common.Column(name="tradeable", bools=common.BoolColumn(values=[True, True])),
            ],
        )
        appended = artifacts.AppendRunRows(
            iter([artifact.AppendRunRowsRequest(run_id=run.run_id, chunk_seq=1, rows=chunk)]), timeout=10
        )
        report["rows_committed"] = appended.rows_committed
        report["run_row_count"] = artifacts.GetRun(artifact.GetRunRequest(run_id=run.run_id), timeout=10).row_count
    print(json.dumps(report))


if __name__ == "__main__":
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    main()
