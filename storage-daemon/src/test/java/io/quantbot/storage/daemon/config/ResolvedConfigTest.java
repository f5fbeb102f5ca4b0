package io.quantbot.storage.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResolvedConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreTheEmbeddedSetUp() {
        ResolvedConfig config = ResolvedConfig.defaults(DaemonConfiguration.properties());
        ServerConfig server = ServerConfig.from(config);
        assertThat(server.grpcHost()).isEqualTo("127.0.0.1");
        assertThat(server.grpcPort()).isEqualTo(50051);
        assertThat(server.httpHost()).isEqualTo("127.0.0.1");
        assertThat(server.httpPort()).isEqualTo(9464);
        assertThat(server.shutdownGracePeriod()).isEqualTo(Duration.ofSeconds(30));
        DatabaseConfig database = DatabaseConfig.from(config);
        assertThat(database.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(database.databaseFile()).contains(Path.of("data", "quantbot.duckdb").toAbsolutePath());
        StateConfig state = StateConfig.from(config);
        assertThat(state.maxValueSize()).isEqualTo(1 << 20);
        assertThat(state.maxKeyLength()).isEqualTo(512);
        assertThat(LoggingConfig.from(config).format()).isEqualTo(LoggingConfig.Format.TEXT);
        assertThat(config.values()).allSatisfy(value -> assertThat(value.origin()).isEqualTo("default"));
    }

    @Test
    void everyKeyIsDocumentedAndMapsToAnEnvironmentVariable() {
        for (ConfigProperty<?> property : DaemonConfiguration.properties()) {
            assertThat(property.key()).matches("[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*");
            assertThat(property.description()).isNotBlank();
            assertThat(property.environmentVariable()).matches("QUANTBOT_[A-Z0-9_]+");
            // Every default parses.
            property.parse(property.defaultValue());
        }
        assertThat(ConfigProperty.environmentVariableOf("state.max-value-size")).isEqualTo("QUANTBOT_STATE_MAX_VALUE_SIZE");
    }

    @Test
    void flagBeatsEnvironmentBeatsFileBeatsDefault() throws Exception {
        Path file = Files.writeString(dir.resolve("q.properties"), "grpc.port = 1111\nhttp.port = 2222\nstate.max-key-length = 100\n");
        ResolvedConfig config = ResolvedConfig.resolve(DaemonConfiguration.properties(), Optional.of(file),
                Map.of("QUANTBOT_GRPC_PORT", "3333", "QUANTBOT_HTTP_PORT", "4444", "UNRELATED", "x"),
                Map.of("grpc.port", "5555"));
        assertThat(config.get(ServerConfig.GRPC_PORT)).isEqualTo(5555);
        assertThat(config.value("grpc.port").origin()).isEqualTo("flag");
        assertThat(config.get(ServerConfig.HTTP_PORT)).isEqualTo(4444);
        assertThat(config.value("http.port").origin()).isEqualTo("env:QUANTBOT_HTTP_PORT");
        assertThat(config.get(StateConfig.MAX_KEY_LENGTH)).isEqualTo(100);
        assertThat(config.value("state.max-key-length").origin()).isEqualTo("file:" + file);
        assertThat(config.value("data-dir").origin()).isEqualTo("default");
    }

    @Test
    void everyProblemIsReportedAtOnceWithSuggestions() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.properties"), "grpc.prot = 1\nshutdown.grace-period = soon\n");
        assertThatThrownBy(() -> ResolvedConfig.resolve(DaemonConfiguration.properties(), Optional.of(file),
                        Map.of("QUANTBOT_HTTP_PORT", "99999"), Map.of("state.max-value-size", "12XB", "nonsense", "1")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(5).anySatisfy(p ->
                                assertThat(p).contains("unknown configuration key 'grpc.prot'").contains("did you mean 'grpc.port'"))
                        .anySatisfy(p -> assertThat(p).contains("unknown configuration key 'nonsense' in flag"))
                        .anySatisfy(p -> assertThat(p).contains("shutdown.grace-period").contains("not a duration"))
                        .anySatisfy(p -> assertThat(p).contains("http.port (from env:QUANTBOT_HTTP_PORT)").contains("not a port"))
                        .anySatisfy(p -> assertThat(p).contains("state.max-value-size").contains("not a size")));
    }

    @Test
    void missingFileIsAClearProblem() {
        assertThatThrownBy(() -> ResolvedConfig.resolve(DaemonConfiguration.properties(), Optional.of(dir.resolve("nope.properties")), Map.of(), Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .containsExactly("config file " + dir.resolve("nope.properties") + " does not exist"));
        assertThatThrownBy(() -> ResolvedConfig.resolve(DaemonConfiguration.properties(), Optional.of(dir), Map.of(), Map.of()))
                .hasMessage("config file " + dir + " is a directory, not a file");
    }

    /** Issue 11 item 4: a key set twice in a file is an error, not a silent last-one-wins. */
    @Test
    void duplicateKeysInAFileAreAProblem() throws Exception {
        Path file = Files.writeString(dir.resolve("twice.properties"), "grpc.port = 6000\nhttp.port = 7000\ngrpc.port : 6001\n grpc.port=6002\n");
        assertThatThrownBy(() -> ResolvedConfig.resolve(DaemonConfiguration.properties(), Optional.of(file), Map.of(), Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "config file " + file + " sets 'grpc.port' more than once (value '6002' would win silently): keep one"));
    }

    /** Issue 11 item 4: a QUANTBOT_* variable that names no key is a warning with the closest name, not silence. */
    @Test
    void unknownQuantbotVariablesAreWarnedAboutWithASuggestion() {
        ResolvedConfig config = ResolvedConfig.resolve(DaemonConfiguration.properties(), Optional.empty(), Map.of(
                "QUANTBOT_GRPC_PROT", "6000", "QUANTBOT_TARGET", "localhost:1", "QUANTBOT_HTTP_PORT", "0", "PATH", "/bin",
                "QUANTBOT_ZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "1"), Map.of());
        assertThat(config.warnings()).containsExactly(
                "environment variable QUANTBOT_GRPC_PROT is not a configuration key and is ignored (did you mean QUANTBOT_GRPC_PORT?)",
                "environment variable QUANTBOT_ZZZZZZZZZZZZZZZZZZZZZZZZZZZ is not a configuration key and is ignored"
                        + " (see 'config print --describe' for the variables)");
        assertThat(config.get(ServerConfig.GRPC_PORT)).isEqualTo(50051);
    }

    @Test
    void valueSyntaxes() {
        assertThat(ConfigValueParsers.parseSize("512KB")).isEqualTo(512 * 1024);
        assertThat(ConfigValueParsers.parseSize("64MiB")).isEqualTo(64L << 20);
        assertThat(ConfigValueParsers.parseSize("2g")).isEqualTo(2L << 30);
        assertThat(ConfigValueParsers.parseSize("100")).isEqualTo(100);
        assertThat(ConfigValueParsers.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(ConfigValueParsers.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(ConfigValueParsers.parseDuration("0")).isEqualTo(Duration.ZERO);
        assertThat(ConfigValueParsers.parseList(" a, b ,,c")).containsExactly("a", "b", "c");
        assertThatThrownBy(() -> ConfigValueParsers.parseDuration("5")).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> ConfigValueParsers.parsePort("70000")).hasMessageContaining("not a port");
        assertThatThrownBy(() -> ConfigValueParsers.parseBoolean("maybe")).hasMessageContaining("not a boolean");
    }

    @Test
    void inMemoryDatabaseAndCustomFile() {
        ResolvedConfig memory = ResolvedConfig.of(DaemonConfiguration.properties(), Map.of("duckdb.path", ":memory:"));
        assertThat(DatabaseConfig.from(memory).databaseFile()).isEmpty();
        ResolvedConfig custom = ResolvedConfig.of(DaemonConfiguration.properties(), Map.of("duckdb.path", "/var/q/q.duckdb", "data-dir", "/srv/q"));
        assertThat(DatabaseConfig.from(custom).databaseFile()).contains(Path.of("/var/q/q.duckdb"));
        assertThat(DatabaseConfig.from(custom).lakeDir()).isEqualTo(Path.of("/srv/q/lake"));
    }
}
