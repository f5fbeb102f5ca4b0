package io.quantbot.storage.daemon.testing;

import static java.util.Objects.requireNonNull;

import java.util.function.UnaryOperator;

/**
 * A storage engine the contract suites run against (see docs/architecture.md, "Engines and ports"). A contract
 * class ({@code *Contract}) is abstract and builds every daemon through {@link #configure}; each engine gets one
 * small subclass per contract ({@code *EmbeddedTest}, {@code *ClusterTest}) that names the engine. A new engine adds its
 * constant here (its {@code storage.mode} and the settings that point it at its services) and one subclass per contract.
 */
public record EngineUnderTest(String name, UnaryOperator<TestingStorageDaemon.Builder> settings) {
    /** The default engine: DuckDB and Parquet files in one data dir. */
    public static final EngineUnderTest EMBEDDED = new EngineUnderTest("embedded", builder -> builder.set("storage.mode", "embedded"));

    /**
     * Cluster mode on PostgreSQL: every daemon joins the test JVM's own database (created with a unique name, dropped
     * when the JVM ends) as a node of its own. Skips without a reachable PostgreSQL locally; fails under CI=true
     * ({@link TestPostgres}).
     */
    public static final EngineUnderTest CLUSTER = new EngineUnderTest("cluster", builder -> TestPostgres.shared().configure(builder));

    /**
     * Cluster mode on a database (and warehouse) of its own, shared by every daemon this engine configures: for a suite
     * whose data (candles of well-known tokens, say) must not meet another suite's in the JVM's shared database. The
     * database is created on first use and dropped when the JVM exits.
     */
    public static EngineUnderTest clusterOnItsOwnDatabase() {
        TestPostgres.Database[] database = new TestPostgres.Database[1];
        return new EngineUnderTest("cluster", builder -> {
            synchronized (database) {
                if (database[0] == null) {
                    database[0] = TestPostgres.newDatabase();
                    Runtime.getRuntime().addShutdownHook(new Thread(database[0]::close, "drop-test-database"));
                }
                return database[0].configure(builder);
            }
        });
    }

    public EngineUnderTest {
        requireNonNull(name, "name is null");
        requireNonNull(settings, "settings is null");
    }

    /** The builder, set up for this engine; the test adds its own settings. */
    public TestingStorageDaemon.Builder configure(TestingStorageDaemon.Builder builder) {
        return settings.apply(builder);
    }

    @Override
    public String toString() {
        return name;
    }
}
