// A TypeScript client generated from proto/ with no hand-written code (protoc-gen-es message and service
// descriptors, Connect's gRPC transport), called against a running daemon. Compiled with tsc (strict) and
// run by GeneratedTypeScriptClientTest: node out/client_check.js 127.0.0.1:PORT. Prints one JSON object.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ArtifactPort } from "./gen/quantbot/storage/v1/artifact_pb.js";
import { StatePort } from "./gen/quantbot/storage/v1/state_pb.js";

// The gRPC code's canonical name (NOT_FOUND), as the other languages' checks report it.
async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "OK";
  } catch (error) {
    return Code[ConnectError.from(error).code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  }
}

async function main(): Promise<void> {
  const transport = createGrpcTransport({ baseUrl: `http://${process.argv[2]}` });
  const states = createClient(StatePort, transport);
  const artifacts = createClient(ArtifactPort, transport);

  const info = await artifacts.getServerInfo({});
  const written = await states.set({ namespace: "ts-client", key: "k1", value: { kind: { case: "json", value: '{"done": true}' } } });
  const read = await states.get({ namespace: "ts-client", key: "k1" });
  const conflict = await codeOf(() =>
    states.set({ namespace: "ts-client", key: "k1", value: { kind: { case: "json", value: "1" } }, expectedVersion: written.version + 5n }));
  const missing = await codeOf(() => states.get({ namespace: "ts-client", key: "missing" }));

  const run = (await artifacts.createRun({ sweepId: "ts-sweep", scenarioId: "s1" })).run!;
  async function* chunks() {
    yield {
      runId: run.runId,
      chunkSeq: 1n,
      rows: {
        rowCount: 2n,
        // Every run_results column but the optional sweep_id and scenario_id (docs/artifacts.md).
        columns: [
          ...Object.entries({
            call_id: ["c1", "c2"], interval: ["1m", "1m"], overlay_set: ["default", "default"], caller: ["alice", "bob"],
            token: ["So11111111111111111111111111111111111111112", "So11111111111111111111111111111111111111112"],
            chain: ["solana", "solana"], exit_reason: ["time_exit", "time_exit"], skip_reason: ["", ""],
          }).map(([name, values]) => ({ name, values: { case: "strings" as const, value: { values } } })),
          ...["lag_ms", "call_ts", "entry_ts", "exit_ts", "candles_used"].map((name) =>
            ({ name, values: { case: "int64s" as const, value: { values: [1767225600000n, 1767225660000n] } } })),
          ...["entry_px", "exit_px", "gross_return", "net_return", "fees", "slippage"].map((name) =>
            ({ name, values: { case: "doubles" as const, value: { values: [0.1, -0.05] } } })),
          { name: "tradeable", values: { case: "bools" as const, value: { values: [true, true] } } },
        ],
      },
    };
  }
  const appended = await artifacts.appendRunRows(chunks());
  const stored = await artifacts.getRun({ runId: run.runId });

  const value = read.entry?.value?.kind;
  console.log(JSON.stringify({
    server_version: info.version,
    set_version: Number(written.version),
    get_json: value?.case === "json" ? value.value : null,
    conflict,
    missing,
    rows_committed: Number(appended.rowsCommitted),
    run_row_count: Number(stored.rowCount),
  }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
