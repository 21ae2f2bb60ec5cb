package org.pgwarden;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md §3 as executable rules: arrows point inward, vendors stay at the edges, features do
 * not know each other. Each rule's message says how to fix a violation.
 */
class ArchitectureTest {
    private static final String[] CORE = {"org.pgwarden.common..", "org.pgwarden.config..", "org.pgwarden.storage..",
        "org.pgwarden.crypto..", "org.pgwarden.codec..", "org.pgwarden.pg..", "org.pgwarden.repo..",
        "org.pgwarden.job..", "org.pgwarden.metrics.."};
    private static final String[] FEATURES = {"org.pgwarden.backup..", "org.pgwarden.wal..", "org.pgwarden.restore..",
        "org.pgwarden.drill..", "org.pgwarden.retention..", "org.pgwarden.maintenance..", "org.pgwarden.audit.."};
    private static final String[] VENDOR_SDKS = {"software.amazon..", "org.quartz..", "io.micrometer..",
        "org.postgresql..", "com.zaxxer..", "org.newsclub..", "com.sun.net.httpserver.."};

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.pgwarden");
    }

    @Test
    void vendorSdksAreUsedOnlyByAdapters() {
        noClasses().that().resideOutsideOfPackages("org.pgwarden.adapter..")
                .should().dependOnClassesThat().resideInAnyPackage(VENDOR_SDKS)
                .because("only org.pgwarden.adapter.* may talk to the AWS SDK, Quartz, Micrometer, PgJDBC, HikariCP,"
                        + " junixsocket or the JDK HTTP server; fix: define or use a port (storage.ObjectStore,"
                        + " crypto.KeyWrapper, pg.PgCluster, metrics.Metrics, job.JobScheduler) and implement it"
                        + " in an adapter package")
                .check(classes);
    }

    @Test
    void loggingBackendIsConfiguredOnlyByTheCompositionRoot() {
        noClasses().that().resideOutsideOfPackages("org.pgwarden.app..")
                .should().dependOnClassesThat().resideInAnyPackage("ch.qos.logback..")
                .because("code logs through the SLF4J API; only org.pgwarden.app configures Logback. Fix: use"
                        + " org.slf4j.Logger instead of Logback classes")
                .check(classes);
    }

    @Test
    void coreKnowsNothingOfAdaptersOrTheApp() {
        noClasses().that().resideInAnyPackage(CORE)
                .should().dependOnClassesThat().resideInAnyPackage("org.pgwarden.adapter..", "org.pgwarden.app..")
                .because("arrows point inward: core packages define ports and value types; fix: move the"
                        + " vendor-facing code into an adapter and pass it in through the port")
                .check(classes);
    }

    /**
     * DESIGN.md §3's "may use" column. One amendment: {@code crypto} also uses {@code codec} (the
     * sealed-object writer compresses before it encrypts, in one pass) and {@code storage}
     * ({@code ObjectKey} is bound into every object as associated data).
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "config  | common",
        "storage | common",
        "codec   | common",
        "crypto  | common,codec,storage",
        "pg      | common",
        "repo    | common,storage,crypto,codec,pg",
        "metrics | common",
        "job     | common,metrics",
        "retention | common,storage,crypto,codec,pg,repo,job,metrics",
        "drill     | common,config,storage,crypto,codec,pg,repo,job,metrics",
        "maintenance | common,config,storage,pg,repo,job,metrics",
        "audit     | common,config,storage,crypto,codec,pg,repo,job,metrics"})
    void corePackagesUseOnlyWhatTheDesignAllows(String pkg, String allowed) {
        java.util.List<String> ours = new java.util.ArrayList<>();
        ours.add("org.pgwarden." + pkg.trim() + "..");
        for (String a : allowed.split(",")) {
            ours.add("org.pgwarden." + a.trim() + "..");
        }
        noClasses().that().resideInAPackage("org.pgwarden." + pkg.trim() + "..")
                .should().dependOnClassesThat(com.tngtech.archunit.base.DescribedPredicate.describe(
                        "pgwarden classes outside " + ours, (com.tngtech.archunit.core.domain.JavaClass c) ->
                                c.getPackageName().startsWith("org.pgwarden")
                                        && ours.stream().noneMatch(o -> c.getPackageName().equals(o.replace("..", ""))
                                        || c.getPackageName().startsWith(o.replace("..", ".")))))
                .because("DESIGN.md §3 lets '" + pkg.trim() + "' use only " + allowed.trim() + "; fix: move the code"
                        + " to the package that owns the concern, or pass what it needs through a port")
                .check(classes);
    }

    @Test
    void commonDependsOnNothingElseOfOurs() {
        classes().that().resideInAPackage("org.pgwarden.common..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("org.pgwarden.common..", "java..")
                .because("common is the bottom layer (errors, sizes, retry) and uses only the JDK; fix: move the"
                        + " class that needs more into the package that owns that concern")
                .check(classes);
    }

    @Test
    void featuresDoNotDependOnEachOtherNorOnTheEdges() {
        slices().matching("org.pgwarden.(backup|wal|restore|drill|retention|maintenance|audit)..")
                .should().notDependOnEachOther()
                .allowEmptyShould(true)
                .because("feature packages are wired together only by org.pgwarden.app; fix: move the shared part"
                        + " into a core package (repo, pg, storage, ...) or pass a callback from app")
                .check(classes);
        noClasses().that().resideInAnyPackage(FEATURES)
                .should().dependOnClassesThat().resideInAnyPackage("org.pgwarden.adapter..", "org.pgwarden.app..")
                .allowEmptyShould(true)
                .because("features talk to ports, never to adapters; fix: depend on the port interface and let"
                        + " org.pgwarden.app inject the adapter")
                .check(classes);
    }

    @Test
    void adaptersDoNotDependOnEachOtherNorOnTheApp() {
        slices().matching("org.pgwarden.adapter.(*)..")
                .should().notDependOnEachOther()
                .because("each adapter implements its own port with its own vendor library; fix: let"
                        + " org.pgwarden.app combine adapters")
                .check(classes);
        noClasses().that().resideInAPackage("org.pgwarden.adapter..")
                .should().dependOnClassesThat().resideInAnyPackage("org.pgwarden.app..")
                .allowEmptyShould(true)
                .because("adapters sit at the edge below the composition root; fix: pass what the adapter needs"
                        + " through its constructor")
                .check(classes);
    }

    @Test
    void mainOnlyHandsOverToTheApp() {
        classes().that().haveFullyQualifiedName("org.pgwarden.Main")
                .should().onlyDependOnClassesThat().resideInAnyPackage("org.pgwarden.app..", "java..",
                        "org.pgwarden")
                .because("Main parses nothing itself: it builds the CLI context and maps the result to an exit"
                        + " code; fix: move logic into org.pgwarden.app")
                .check(classes);
    }

    @Test
    void theHandOverClientUsesOnlyTheJdk() {
        classes().that().resideInAPackage("org.pgwarden.handover..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("org.pgwarden.handover..",
                        "org.pgwarden.walclient..", "java..")
                .because("backup and restore start in org.pgwarden.handover so that the daemon gets the run before"
                        + " the option parser, Jackson or Logback load; the full command line is reached by name,"
                        + " through reflection; fix: keep the code JDK-only, or put it in org.pgwarden.app")
                .check(classes);
    }

    @Test
    void theArchiveCommandClientUsesOnlyTheJdk() {
        classes().that().resideInAPackage("org.pgwarden.walclient..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("org.pgwarden.walclient..", "java..")
                .because("archive_command starts org.pgwarden.walclient once per WAL segment; every class it loads"
                        + " costs start-up time, so it may use only the JDK (the full command is reached by name,"
                        + " through reflection, only when no daemon answers); fix: keep the code in walclient"
                        + " JDK-only, or put it behind the full command line in org.pgwarden.app")
                .check(classes);
    }
}
