package io.quantbot.storage.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PythonWorkerConfigTest {
    private static final Path VENV_PYTHON = Path.of("..", "python-worker", ".venv", "bin", "python").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void defaults() throws Exception {
        Path python = fakePython();
        PythonWorkerConfig config = PythonWorkerConfig.from(resolve(Map.of("data-dir", "/srv/q", "python-worker.python", python.toString())));
        assertThat(config.poolSize()).isEqualTo(2);
        assertThat(config.enabled()).isTrue();
        assertThat(config.python()).isEqualTo(python);
        assertThat(config.importRoots()).containsExactly(Path.of("/srv/q/imports"));
        assertThat(config.queueCapacity()).isEqualTo(64);
        assertThat(config.defaultTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.cancelGrace()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.pingInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.maxRequests()).isEqualTo(1000);
        assertThat(config.maxRss()).isEqualTo(2L << 30);
        assertThat(config.startTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.memoryLimit()).isEqualTo("1GB");
        assertThat(config.threads()).isEqualTo(1);
        assertThat(config.spawnStormLimit()).isEqualTo(10);
        assertThat(config.acceptTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.completionThreads()).isEqualTo(4);
        assertThat(config.completionQueue()).isEqualTo(1024);
        assertThat(PythonWorkerConfig.PYTHON.defaultValue()).isEqualTo("python-worker/.venv/bin/python");
    }

    @Test
    void everyKeyIsDocumentedDashCaseAndItsDefaultParses() {
        assertThat(PythonWorkerConfig.PROPERTIES).hasSize(18);
        for (ConfigProperty<?> property : PythonWorkerConfig.PROPERTIES) {
            assertThat(property.key()).startsWith("python-worker.").matches("[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*");
            assertThat(property.description()).isNotBlank();
            assertThat(property.environmentVariable()).startsWith("QUANTBOT_PYTHON_WORKER_");
            property.parse(property.defaultValue());
        }
        assertThat(PythonWorkerConfig.POOL_SIZE.environmentVariable()).isEqualTo("QUANTBOT_PYTHON_WORKER_POOL_SIZE");
    }

    @Test
    void mappings() throws Exception {
        Path python = fakePython();
        PythonWorkerConfig config = PythonWorkerConfig.from(resolve(Map.ofEntries(
                Map.entry("python-worker.python", python.toString()),
                Map.entry("python-worker.pool-size", "4"),
                Map.entry("python-worker.import-roots", "/a/imports, relative/in"),
                Map.entry("python-worker.queue-capacity", "8"),
                Map.entry("python-worker.default-timeout", "90s"),
                Map.entry("python-worker.cancel-grace", "250ms"),
                Map.entry("python-worker.ping-interval", "1m"),
                Map.entry("python-worker.max-requests", "0"),
                Map.entry("python-worker.max-rss", "512MiB"),
                Map.entry("python-worker.start-timeout", "2m"),
                Map.entry("python-worker.memory-limit", "512MB"),
                Map.entry("python-worker.threads", "2"),
                Map.entry("python-worker.spawn-storm-limit", "20"))));
        assertThat(config.poolSize()).isEqualTo(4);
        assertThat(config.importRoots()).containsExactly(Path.of("/a/imports"), Path.of("relative/in").toAbsolutePath());
        assertThat(config.queueCapacity()).isEqualTo(8);
        assertThat(config.defaultTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.cancelGrace()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.pingInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.maxRequests()).isZero();
        assertThat(config.maxRss()).isEqualTo(512L << 20);
        assertThat(config.startTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.memoryLimit()).isEqualTo("512MB");
        assertThat(config.threads()).isEqualTo(2);
        assertThat(config.spawnStormLimit()).isEqualTo(20);
    }

    @Test
    void relativePythonIsResolvedAgainstTheWorkingDirectory() throws Exception {
        // Tests run in storage-daemon/, beside python-worker/ (the venv is built before these tests).
        PythonWorkerConfig config = PythonWorkerConfig.from(resolve(Map.of("python-worker.python", "../python-worker/.venv/bin/python")));
        assertThat(config.python()).isEqualTo(VENV_PYTHON);
    }

    /** Issue 11 item 3: the default interpreter belongs to the installation, not to the working directory. */
    @Test
    void theDefaultInterpreterIsResolvedAgainstTheInstallationWhateverTheWorkingDirectory() throws Exception {
        Path home = dir.resolve("opt-quantbot");
        Path python = home.resolve("python-worker/.venv/bin/python");
        Files.createDirectories(python.getParent());
        Files.writeString(python, "#!/bin/sh\n");
        python.toFile().setExecutable(true);
        Installation elsewhere = new Installation(home, dir.resolve("srv-research"));
        ResolvedConfig config = ResolvedConfig.resolve(DaemonConfiguration.properties(), java.util.Optional.empty(), Map.of(), Map.of(), elsewhere);
        assertThat(PythonWorkerConfig.from(config).python()).isEqualTo(python);
        assertThat(config.value("python-worker.python").resolution()).isEqualTo(python + ", relative to the installation " + home);
        assertThat(config.value("data-dir").resolution())
                .isEqualTo(dir.resolve("srv-research/data") + ", relative to the working directory " + dir.resolve("srv-research"));
        // A relative value someone set is theirs: it is resolved against the working directory.
        ResolvedConfig set = ResolvedConfig.resolve(DaemonConfiguration.properties(), java.util.Optional.empty(), Map.of(),
                Map.of("python-worker.python", "venv/bin/python", "python-worker.pool-size", "0"), elsewhere);
        assertThat(PythonWorkerConfig.from(set).python()).isEqualTo(dir.resolve("srv-research/venv/bin/python"));
    }

    @Test
    void installationHomeIsTheJarFolderOrTheSourceCheckout() throws Exception {
        Path checkout = dir.resolve("checkout");
        Files.createDirectories(checkout.resolve("storage-daemon/src"));
        Files.createDirectories(checkout.resolve("storage-daemon/target/classes"));
        Path jar = Files.writeString(checkout.resolve("storage-daemon/target/storage-daemon.jar"), "");
        assertThat(Installation.homeOf(jar)).isEqualTo(checkout);
        assertThat(Installation.homeOf(checkout.resolve("storage-daemon/target/classes"))).isEqualTo(checkout);
        Files.createDirectories(dir.resolve("opt/quantbot"));
        assertThat(Installation.homeOf(Files.writeString(dir.resolve("opt/quantbot/storage-daemon.jar"), ""))).isEqualTo(dir.resolve("opt/quantbot"));
        // A folder called target that is not a module's build folder is just the jar's folder.
        Files.createDirectories(dir.resolve("deploy/target"));
        assertThat(Installation.homeOf(Files.writeString(dir.resolve("deploy/target/storage-daemon.jar"), ""))).isEqualTo(dir.resolve("deploy/target"));
    }

    @Test
    void aMissingInterpreterIsAClearStartupErrorNamingTheKey() {
        Path home = dir.resolve("empty-installation");
        Installation installation = new Installation(home, dir);
        assertThatThrownBy(() -> PythonWorkerConfig.from(
                        ResolvedConfig.resolve(DaemonConfiguration.properties(), java.util.Optional.empty(), Map.of(), Map.of(), installation)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString()
                        .startsWith("python-worker.python: " + home.resolve("python-worker/.venv/bin/python") + " does not exist")
                        .contains("mvn -pl python-worker install")
                        .contains("python-worker.pool-size=0"));
    }

    @Test
    void aDisabledPoolNeedsNoInterpreter() {
        PythonWorkerConfig config = PythonWorkerConfig.from(resolve(Map.of("python-worker.pool-size", "0", "python-worker.python", "/nowhere/python")));
        assertThat(config.enabled()).isFalse();
    }

    @Test
    void badValuesAreReportedTogether() throws Exception {
        Path python = fakePython();
        assertThatThrownBy(() -> PythonWorkerConfig.from(resolve(Map.of(
                        "python-worker.python", python.toString(),
                        "python-worker.pool-size", "-1",
                        "python-worker.queue-capacity", "0",
                        "python-worker.cancel-grace", "0",
                        "python-worker.memory-limit", "lots",
                        "python-worker.threads", "-2"))))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "python-worker.pool-size must be between 0 and 64, got -1",
                        "python-worker.queue-capacity must be at least 1, got 0",
                        "python-worker.cancel-grace must be longer than 0",
                        "python-worker.memory-limit must be a DuckDB size such as 512MB or 2GB, got 'lots'",
                        "python-worker.threads must be 0 (DuckDB's default) or more, got -2"));
        assertThatThrownBy(() -> PythonWorkerConfig.from(resolve(Map.of(
                        "python-worker.python", python.toString(), "python-worker.pool-size", "8", "python-worker.spawn-storm-limit", "4"))))
                .hasMessageContaining("python-worker.spawn-storm-limit must be at least the pool size (8)");
        assertThatThrownBy(() -> resolve(Map.of("python-worker.pool-size", "two")))
                .hasMessageContaining("python-worker.pool-size").hasMessageContaining("not an integer");
    }

    private Path fakePython() throws Exception {
        Path python = dir.resolve("python");
        Files.writeString(python, "#!/bin/sh\n");
        python.toFile().setExecutable(true);
        return python;
    }

    private static ResolvedConfig resolve(Map<String, String> flags) {
        List<ConfigProperty<?>> properties = new ArrayList<>(DatabaseConfig.PROPERTIES);
        properties.addAll(PythonWorkerConfig.PROPERTIES);
        return ResolvedConfig.of(properties, flags);
    }
}
