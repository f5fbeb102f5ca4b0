package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.DaemonProcess;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.ListRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StateEntry;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.TransactionOp;
import io.quantbot.storage.v1.TransactionRequest;
import io.quantbot.storage.v1.Value;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon as a real OS process: SIGKILL durability, SIGTERM exits 0, a second daemon on the same data dir exits 3. */
class DaemonProcessTest {
    private static final Duration START = Duration.ofSeconds(60);
    private static final int MIN_ACKNOWLEDGED = 100;

    @TempDir
    Path dataDir;

    @Test
    void everyAcknowledgedWriteSurvivesSigkillAndNoTransactionIsPartial() throws Exception {
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        Set<Integer> acknowledgedTransactions = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean killed = new AtomicBoolean();
        try (DaemonProcess daemon = DaemonProcess.start(dataDir).awaitReady(START)) {
            ManagedChannel channel = daemon.channel();
            ExecutorService writers = Executors.newFixedThreadPool(8);
            for (int w = 0; w < 8; w++) {
                int writer = w;
                writers.submit(() -> {
                    var stub = StatePortGrpc.newBlockingStub(channel);
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            if (i % 3 == 0) {
                                int id = writer * 1_000_000 + i;
                                TransactionRequest.Builder tx = TransactionRequest.newBuilder();
                                for (String part : List.of("a", "b", "c")) {
                                    tx.addOps(TransactionOp.newBuilder().setSet(set("tx", id + ":" + part, Integer.toString(id))));
                                }
                                stub.withDeadlineAfter(10, TimeUnit.SECONDS).transaction(tx.build());
                                acknowledgedTransactions.add(id);
                            } else {
                                String key = "w" + writer + ":" + i;
                                String value = "{\"writer\": " + writer + ", \"i\": " + i + "}";
                                stub.withDeadlineAfter(10, TimeUnit.SECONDS).set(set("acks", key, value).build());
                                acknowledged.put(key, value);
                            }
                        } catch (StatusRuntimeException e) {
                            if (killed.get()) {
                                return null; // the daemon died under us: that write was never acknowledged
                            }
                            // Before the kill an error (a deadline on a loaded machine) only means this write was
                            // not acknowledged; keep writing so the count below keeps growing.
                        }
                    }
                    return null;
                });
            }
            // Kill once enough writes were acknowledged, however long that takes on a loaded machine (a fixed
            // 1.5 s got 81 writes under load and failed); the cap only bounds a daemon that stopped answering.
            Await.until("more than " + MIN_ACKNOWLEDGED + " acknowledged writes and an acknowledged transaction", Duration.ofMinutes(3),
                    () -> acknowledged.size() > MIN_ACKNOWLEDGED && !acknowledgedTransactions.isEmpty());
            killed.set(true);
            daemon.kill();
            stop.set(true);
            writers.shutdown();
            assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(acknowledged).hasSizeGreaterThan(MIN_ACKNOWLEDGED);
        assertThat(acknowledgedTransactions).isNotEmpty();

        try (DaemonProcess restarted = DaemonProcess.start(dataDir).awaitReady(START)) {
            var stub = StatePortGrpc.newBlockingStub(restarted.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
            Map<String, String> found = new java.util.HashMap<>();
            for (StateEntry entry : listAll(stub, "acks")) {
                found.put(entry.getKey(), entry.getValue().getJson());
            }
            assertThat(found).containsAllEntriesOf(acknowledged);

            Map<Integer, Set<String>> parts = new java.util.HashMap<>();
            for (StateEntry entry : listAll(stub, "tx")) {
                String[] key = entry.getKey().split(":");
                parts.computeIfAbsent(Integer.parseInt(key[0]), ignored -> new HashSet<>()).add(key[1]);
            }
            assertThat(parts.keySet()).containsAll(acknowledgedTransactions);
            assertThat(parts.values()).as("no partial transaction").allSatisfy(set -> assertThat(set).containsExactlyInAnyOrder("a", "b", "c"));
            assertThat(restarted.terminate(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void sigtermDrainsAndExitsZeroAndReadinessDropsFirst() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.start(dataDir).awaitReady(START)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            var stub = StatePortGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
            stub.set(set("shutdown", "before", "1").build());
            assertThat(daemon.terminate(Duration.ofSeconds(60))).isZero();
            List<String> log = daemon.log();
            int notReady = indexOf(log, "Daemon is not ready: shutdown");
            int grpcStopped = indexOf(log, "gRPC server stopped");
            int closed = indexOf(log, "Closed DuckDB");
            assertThat(notReady).as(String.join("\n", log)).isNotNegative().isLessThan(grpcStopped);
            assertThat(grpcStopped).isLessThan(closed);
        }
        try (DaemonProcess again = DaemonProcess.start(dataDir).awaitReady(START)) {
            var stub = StatePortGrpc.newBlockingStub(again.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
            assertThat(stub.get(GetRequest.newBuilder().setNamespace("shutdown").setKey("before").build()).getEntry().getValue().getJson()).isEqualTo("1");
        }
    }

    @Test
    void aSecondDaemonOnTheSameDataDirExitsWithCode3AndSaysWhoHoldsTheLock() throws Exception {
        try (DaemonProcess first = DaemonProcess.start(dataDir).awaitReady(START);
                DaemonProcess second = DaemonProcess.start(dataDir)) {
            assertThat(second.awaitExit(START)).isEqualTo(3);
            assertThat(String.join("\n", second.log())).contains("is locked by process " + first.pid()).contains("Only one daemon may own a data dir");
        }
    }

    @Test
    void badConfigurationExitsWithCode2() throws Exception {
        Path config = Files.writeString(dataDir.resolve("bad.properties"), "grpc.prot = 1\nstate.max-value-size = lots\n");
        try (DaemonProcess daemon = DaemonProcess.start(dataDir, "--config", config.toString())) {
            assertThat(daemon.awaitExit(START)).isEqualTo(2);
            String log = String.join("\n", daemon.log());
            assertThat(log).contains("unknown configuration key 'grpc.prot'").contains("did you mean 'grpc.port'")
                    .contains("state.max-value-size").contains("not a size");
        }
    }

    private static List<StateEntry> listAll(StatePortGrpc.StatePortBlockingStub stub, String namespace) {
        List<StateEntry> all = new ArrayList<>();
        String token = "";
        do {
            var page = stub.list(ListRequest.newBuilder().setNamespace(namespace).setPageSize(1000).setPageToken(token).build());
            all.addAll(page.getEntriesList());
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        return all;
    }

    private static int indexOf(List<String> log, String text) {
        for (int i = 0; i < log.size(); i++) {
            if (log.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }

    private static SetRequest.Builder set(String namespace, String key, String json) {
        return SetRequest.newBuilder().setNamespace(namespace).setKey(key).setValue(Value.newBuilder().setJson(json));
    }
}
