package io.quantbot.storage.enforcement;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/** The two class sets the rules are evaluated on, each imported once per test JVM. */
final class ImportedClasses {
    /**
     * The root packages of the production modules: storage-daemon, client-sdk, sweep-runner, sweep-spark. Generated code
     * (io.quantbot.storage.v1, ..worker.v1) and libraries are not imported, only resolved as dependency
     * targets; the fixtures live under {@link ArchitectureRules#FIXTURES}, outside these roots.
     */
    static final String[] PRODUCTION_PACKAGES = {
        "io.quantbot.storage.daemon", "io.quantbot.storage.client", "io.quantbot.sweep", "io.quantbot.spark",
    };

    private static JavaClasses production;
    private static JavaClasses fixtures;

    private ImportedClasses() {}

    /**
     * Production classes only: the modules' main jars (or target/classes), never their test classes, whether
     * in test-classes directories or in a test-jar such as storage-daemon's.
     */
    static synchronized JavaClasses production() {
        if (production == null) {
            production = new ClassFileImporter()
                    .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                    .withImportOption(location -> !location.contains("-tests.jar"))
                    .importPackages(PRODUCTION_PACKAGES);
        }
        return production;
    }

    /** The fixtures that break (or pointedly keep) each rule; compiled with this module's tests only. */
    static synchronized JavaClasses fixtures() {
        if (fixtures == null) {
            fixtures = new ClassFileImporter().importPackages(ArchitectureRules.FIXTURES);
        }
        return fixtures;
    }
}
