package io.quantbot.storage.enforcement;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.fields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMembers;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaAnnotation;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaConstructor;
import com.tngtech.archunit.core.domain.JavaConstructorCall;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.lang.conditions.ArchConditions;
import com.tngtech.archunit.library.GeneralCodingRules;
import io.grpc.BindableService;
import java.util.Set;
import org.slf4j.Logger;

/**
 * The build-time fence of the decision record ("PythonEngine may be imported only in the storage
 * layer; sweeps must never spawn Python per run") and of docs/architecture.md's invariants 3, 4 and 5, plus
 * the hygiene habits of STYLE.md.
 *
 * <p>{@link ArchitectureTest} checks every rule here against the production classes of storage-daemon,
 * client-sdk and sweep-runner; {@link RulesBiteTest} evaluates the very same rule objects against the
 * fixtures under {@code io.quantbot.storage.enforcement.fixtures} and asserts exactly which fixture
 * classes each rule reports. A rule added here without fixtures fails {@link RulesBiteTest}.
 *
 * <p>Package patterns: the daemon's packages are named relative ({@code ..daemon.storage..}), as in
 * ArchUnit's "only DAOs may use the EntityManager", so they match both
 * {@code io.quantbot.storage.daemon.storage} and its fixture mirror {@code fixtures.daemon.storage}.
 * The client-sdk and sweep-runner roots have no distinctive relative name, so they are spelled out with
 * ArchUnit's alternation: the real root or its fixture mirror. Production classes never live under the
 * fixtures package; {@link ArchitectureTest} asserts that too.
 */
final class ArchitectureRules {
    /** Where the fixtures live (test sources only); each root below also matches its mirror here. */
    static final String FIXTURES = "io.quantbot.storage.enforcement.fixtures";

    private static final String CLIENT_SDK = "[io.quantbot.storage|" + FIXTURES + "].client..";
    private static final String SWEEP_RUNNER = "[io.quantbot|" + FIXTURES + "].sweep..";

    private static final String STORAGE_LAYER = "..daemon.storage..";
    private static final String WORKER_POOL = "..daemon.storage.pyworker..";
    private static final String EMBEDDED_ENGINE = "..daemon.storage.duckdb..";
    private static final String CLUSTER_ENGINE = "..daemon.storage.postgres..";
    private static final java.util.regex.Pattern ADAPTER_PACKAGE = java.util.regex.Pattern.compile(".*\\.daemon\\.storage\\.([a-z0-9_]+)(\\..*)?");
    private static final String GRPC_ADAPTERS = "..daemon.grpc..";

    private static final String API_STUBS = "io.quantbot.storage.v1..";
    private static final String WORKER_PROTOCOL = "io.quantbot.storage.worker.v1..";

    /** The one class that may start processes: the pool's launcher (its nested classes included). */
    private static final String PROCESS_LAUNCHER_NAME = ".*\\.daemon\\.storage\\.pyworker\\.WorkerProcessLauncher(\\$.*)?";

    private ArchitectureRules() {}

    // ---- The worker-pool fence (decision record; invariants 3 and 5) -------------------------------

    static final ArchRule only_storage_layer_uses_the_worker_pool = noClasses()
            .that().resideOutsideOfPackage(STORAGE_LAYER)
            .should().dependOnClassesThat().resideInAPackage(WORKER_POOL)
            .because("the Python worker pool is the decision record's PythonEngine: it \"may be imported only in"
                    + " the storage layer\"; everything else goes through the ports (docs/architecture.md invariant 5:"
                    + " the worker pool is fenced)");

    static final ArchRule only_the_process_launcher_spawns_processes = noClasses()
            .that().haveNameNotMatching(PROCESS_LAUNCHER_NAME)
            .should(ArchConditions.accessTargetWhere(processSpawning())
                    .as("call ProcessBuilder (constructor or method) or Runtime.exec"))
            .because("\"sweeps must never spawn Python per run\" (decision record; docs/architecture.md invariant 3):"
                    + " workers are started by the pool's WorkerProcessLauncher, which counts every spawn,"
                    + " and by nothing else");

    static final ArchRule worker_protocol_stays_in_the_pool = noClasses()
            .that().resideOutsideOfPackage(WORKER_POOL)
            .should().dependOnClassesThat().resideInAPackage(WORKER_PROTOCOL)
            .because("the worker protocol is the pool's private wire format (docs/architecture.md, The worker"
                    + " protocol); whoever can build a worker frame can drive a Python worker around the fence"
                    + " (invariant 5)");

    static final ArchRule pool_calls_never_touch_spawning = noClasses()
            .that().haveNameMatching(".*\\.daemon\\.storage\\.pyworker\\.CallDispatcher(\\$.*)?")
            .should().dependOnClassesThat().haveNameMatching(
                    ".*\\.daemon\\.storage\\.pyworker\\.(WorkerProcessLauncher|SpawnControl|WorkerHealth)(\\$.*)?")
            .because("the pool is split by what it is about (docs/architecture.md, issue 18): the CallDispatcher moves"
                    + " calls and asks the WorkerSupervisor for a worker; spawning, its backoff and storm guard and the"
                    + " health pings are the supervisor's alone, so a call path can never start a process");

    // ---- Clients see only the ports (invariants 1 and 4) ------------------------------------------

    static final ArchRule clients_never_depend_on_the_daemon = noClasses()
            .that().resideInAnyPackage(CLIENT_SDK, SWEEP_RUNNER)
            .should().dependOnClassesThat().resideInAnyPackage(
                    "io.quantbot.storage.daemon..", "org.duckdb..", "io.quantbot.storage.worker..")
            .because("clients see only the ports (docs/architecture.md invariant 4): which engine serves an RPC is the"
                    + " daemon's private decision, only the daemon opens the DuckDB file (invariant 1), and a sweep"
                    + " that reached the pool could spawn Python per run (invariant 3)");

    static final ArchRule client_sdk_depends_only_on_the_api_stubs = classes()
            .that().resideInAPackage(CLIENT_SDK)
            .should().onlyDependOnClassesThat().resideInAnyPackage(
                    CLIENT_SDK,
                    API_STUBS,
                    "io.grpc..",
                    "com.google.protobuf..",
                    "com.google.rpc..",
                    "org.slf4j..",
                    "java..")
            .because("client-sdk is the thin typed layer over the generated StatePort/ArtifactPort stubs"
                    + " (docs/architecture.md invariant 4): generated API types, gRPC, protobuf (with the google.rpc"
                    + " error details), SLF4J and the JDK, nothing else");

    static final ArchRule sweep_runner_depends_only_on_the_client_and_its_libraries = classes()
            .that().resideInAPackage(SWEEP_RUNNER)
            .should().onlyDependOnClassesThat().resideInAnyPackage(
                    SWEEP_RUNNER,
                    CLIENT_SDK,
                    API_STUBS,
                    "picocli..",
                    "com.fasterxml.jackson..",
                    "org.slf4j..",
                    "java..")
            .because("the sweep is a client like any other (docs/architecture.md invariant 4): it talks to the daemon"
                    + " through client-sdk and the generated API types only, so it cannot open DuckDB, reach the"
                    + " pool or spawn workers behind the daemon's back (invariants 1, 3, 5)");

    // ---- The hexagon: domain in the middle, adapters at the edge ----------------------------------

    static final ArchRule domain_never_imports_generated_proto_or_grpc = noClasses()
            .that().resideInAnyPackage("..daemon.state..", "..daemon.artifact..", "..daemon.run..", "..daemon.candles..", "..daemon.batch..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    API_STUBS,
                    WORKER_PROTOCOL,
                    "io.grpc..",
                    "com.google.protobuf..",
                    "org.duckdb..",
                    STORAGE_LAYER,
                    GRPC_ADAPTERS,
                    "..daemon.server..")
            .because("the domain is plain Java behind its ports (STYLE.md, hexagonal layout: \"generated proto types"
                    + " stay in grpc/ and client-sdk; the domain never imports them\"); which engine serves a call"
                    + " is the storage layer's business (docs/architecture.md invariants 4 and 5)");

    static final ArchRule domain_never_uses_jdbc = noClasses()
            .that().resideInAnyPackage("..daemon.state..", "..daemon.artifact..", "..daemon.run..", "..daemon.candles..", "..daemon.batch..",
                    "..daemon.info..")
            .should().dependOnClassesThat().resideInAnyPackage("java.sql..", "javax.sql..")
            .because("the domain states its rules over repository ports; SQL is one engine's way to keep them"
                    + " (docs/architecture.md, \"Engines and ports\"), so a second engine implements storage, not rules");

    static final ArchRule only_the_embedded_engine_uses_duckdb = noClasses()
            .that().resideOutsideOfPackage(EMBEDDED_ENGINE)
            .should().dependOnClassesThat().resideInAnyPackage("org.duckdb..")
            .because("DuckDB is the embedded engine's business: everything else reaches it through the storage ports"
                    + " (docs/architecture.md, \"Engines and ports\"; invariant 4)");

    static final ArchRule only_the_cluster_engine_uses_pgjdbc = noClasses()
            .that().resideOutsideOfPackage(CLUSTER_ENGINE)
            .should().dependOnClassesThat().resideInAnyPackage("org.postgresql..")
            .because("PostgreSQL is the cluster engine's business (storage.postgres, like storage.duckdb for DuckDB):"
                    + " everything else reaches it through the storage ports (docs/architecture.md, \"Engines and ports\")");

    static final ArchRule only_the_iceberg_lake_uses_iceberg = noClasses()
            .that().resideOutsideOfPackage("..daemon.storage.iceberg..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.iceberg..")
            .because("the Iceberg lake is the storage.iceberg adapter's business (cluster mode, issue 13): the catalog feeds it"
                    + " through the engine-neutral LakeOutbox port and only ClusterStorageModule wires the two");

    static final ArchRule engine_adapters_do_not_depend_on_each_other = classes()
            .that().resideInAPackage("..daemon.storage.*..")
            .should(new ArchCondition<JavaClass>("not depend on another adapter package under storage") {
                @Override
                public void check(JavaClass item, ConditionEvents events) {
                    String own = adapterOf(item.getPackageName());
                    for (Dependency dependency : item.getDirectDependenciesFromSelf()) {
                        String other = adapterOf(dependency.getTargetClass().getPackageName());
                        if (other != null && !other.equals(own)) {
                            events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription()));
                        }
                    }
                }
            })
            .because("each engine (storage.duckdb, storage.postgres) and the worker pool (storage.pyworker) is a separate adapter behind"
                    + " the ports; only the neutral storage package wires them together (docs/architecture.md)");

    /** The adapter package under daemon.storage a package belongs to ({@code duckdb}, {@code pyworker}), or null. */
    private static String adapterOf(String packageName) {
        java.util.regex.Matcher matcher = ADAPTER_PACKAGE.matcher(packageName);
        return matcher.matches() ? matcher.group(1) : null;
    }

    static final ArchRule edges_reach_storage_through_ports = noClasses()
            .that().resideInAnyPackage("..daemon.server..", GRPC_ADAPTERS, "..daemon.cli..", "..daemon.info..")
            .should().dependOnClassesThat().resideInAnyPackage(EMBEDDED_ENGINE, CLUSTER_ENGINE, WORKER_POOL)
            .because("the servers, the gRPC adapters, the commands and server info use the engine-neutral ports"
                    + " (StorageLayer, StorageMaintenance, OfflineMaintenance, the domain's repositories), so switching"
                    + " storage.mode changes modules, not callers (docs/architecture.md)");

    static final ArchRule only_grpc_adapters_extend_service_bases = noClasses()
            .that().resideOutsideOfPackage(GRPC_ADAPTERS)
            .should().beAssignableTo(BindableService.class)
            .because("the generated *ImplBase classes are served only through the thin adapters in the daemon's"
                    + " grpc package (STYLE.md: Arrow Flight style adapters over a domain interface), so every RPC"
                    + " passes the one status mapper and reaches storage only through the ports (docs/architecture.md"
                    + " invariants 4 and 6)");

    static final ArchRule grpc_service_adapters_are_package_private = classes()
            .that().resideInAPackage(GRPC_ADAPTERS)
            .and().areAssignableTo(BindableService.class)
            .should().bePackagePrivate()
            .because("a gRPC adapter is a package-private detail bound by its module (STYLE.md); nothing else"
                    + " may call it directly and bypass the server's interceptors");

    static final ArchRule main_lists_modules_only = classes()
            .that().haveSimpleName("Main").and().resideInAPackage("..daemon")
            .should().onlyDependOnClassesThat(
                    resideInAnyPackage("java..", "..daemon.config..", "..daemon.cli..")
                            .or(assignableTo(com.google.inject.Module.class)))
            .because("Main only lists the Guice modules (STYLE.md, Airlift/Trino); wiring lives in the modules,"
                    + " so the pool's module is installed by the storage layer's module and stays fenced");

    // ---- Hygiene (STYLE.md) ----------------------------------------------------------------------

    static final ArchRule constructor_injection_only = noMembers()
            .that(areFieldsOrMethods())
            .should().beAnnotatedWith(injectionAnnotation())
            .because("STYLE.md: @Inject constructors with requireNonNull; field or method injection hides"
                    + " dependencies and leaves half-built objects (ArchUnit's NO_CLASSES_SHOULD_USE_FIELD_INJECTION"
                    + " covers fields only and recommends setter injection, which we do not want)");

    static final ArchRule loggers_are_private_static_final = fields()
            .that().haveRawType(Logger.class)
            .should().bePrivate()
            .andShould().beStatic()
            .andShould().beFinal()
            .because("STYLE.md: SLF4J, private static final Logger log; one logger per class, never shared or"
                    + " swapped");

    static final ArchRule no_generic_exceptions_thrown = noClasses()
            .should(GeneralCodingRules.THROW_GENERIC_EXCEPTIONS)
            .orShould(throwJavaLangError())
            .because("errors are loud and precise (docs/architecture.md invariant 6): every failure maps to a gRPC"
                    + " status with a machine-readable reason, which a bare Exception/RuntimeException/Throwable/"
                    + "Error cannot carry");

    static final ArchRule no_java_util_logging = noClasses()
            .that().resideOutsideOfPackage("..daemon.logging..")
            .should().dependOnClassesThat().resideInAPackage("java.util.logging..")
            .because("STYLE.md: SLF4J everywhere; java.util.logging is only bridged into SLF4J (jul-to-slf4j) by the"
                    + " daemon's logging package (ArchUnit's NO_CLASSES_SHOULD_USE_JAVA_UTIL_LOGGING only catches"
                    + " JUL-typed fields being set, not a Logger.getLogger(..).info(..) call)");

    static final ArchRule only_cli_uses_standard_streams = noClasses()
            .that().resideOutsideOfPackage("..cli..")
            .should(GeneralCodingRules.ACCESS_STANDARD_STREAMS)
            .because("logs go through SLF4J to stderr and stdout carries data only (LoggingConfigurator); only the"
                    + " picocli commands in the cli packages print to stdout/stderr, by design, and nothing may"
                    + " print to the stdout of a process whose stdout is a data stream");

    // ---- Predicates -------------------------------------------------------------------------------

    private static DescribedPredicate<JavaAccess<?>> processSpawning() {
        return describe("a ProcessBuilder constructor or method, or Runtime.exec", access -> {
            JavaClass owner = access.getTargetOwner();
            return owner.isAssignableTo(ProcessBuilder.class)
                    || (owner.isEquivalentTo(Runtime.class) && access.getName().equals("exec"));
        });
    }

    private static ArchCondition<JavaClass> throwJavaLangError() {
        DescribedPredicate<JavaConstructorCall> newError =
                describe("target is java.lang.Error", call -> call.getTargetOwner().isEquivalentTo(Error.class));
        return ArchConditions.callConstructorWhere(newError).as("throw java.lang.Error");
    }

    private static DescribedPredicate<JavaAnnotation<?>> injectionAnnotation() {
        Set<String> injects = Set.of("jakarta.inject.Inject", "com.google.inject.Inject", "javax.inject.Inject");
        return describe("@Inject (jakarta.inject, com.google.inject or javax.inject)",
                annotation -> injects.contains(annotation.getRawType().getName()));
    }

    private static DescribedPredicate<JavaMember> areFieldsOrMethods() {
        return describe("are fields or methods", member -> !(member instanceof JavaConstructor));
    }
}
