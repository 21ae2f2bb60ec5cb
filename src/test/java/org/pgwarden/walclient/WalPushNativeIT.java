package org.pgwarden.walclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgwarden.testing.Distribution;

/**
 * The native wal-push client ({@code src/main/c/wal-push.c}) compiled here the way the build
 * compiles it (plus {@code -Werror}), run against a daemon stand-in speaking {@link WalProtocol}
 * on a Unix socket, and the launcher's choice between it and the JVM client. A missing C compiler
 * fails this test: the native client is part of the distribution wherever one exists.
 */
class WalPushNativeIT {
    private static final String SEGMENT = "000000010000000000000001";

    @TempDir
    static Path dir;
    static Path root;
    static Path client;
    static Path fakeLauncher;
    /** The socket the client uses when the configuration names none (compiled in for this test). */
    static Path defaultSocket;

    @BeforeAll
    static void compileTheClient() throws Exception {
        root = Distribution.launcher().getParent().getParent();
        String cc = System.getenv().getOrDefault("CC", "cc");
        if (which(cc) == null) {
            fail("the native wal-push client needs a C compiler, and '" + cc + "' is not on PATH;"
                    + " install one (Debian: apt-get install gcc libc6-dev) or set CC");
        }
        defaultSocket = dir.resolve("default.sock");
        client = dir.resolve("pgwarden-wal-push");
        Result build = run(List.of("sh", root.resolve("src/main/c/build.sh").toString(), client.toString()),
                Map.of("CFLAGS", "-Werror -Wpedantic -Wshadow -Wformat=2 -Wconversion -Wno-sign-conversion"
                        + " -DPGWARDEN_DEFAULT_SOCKET=\"" + defaultSocket + "\""), dir);
        assertThat(build.exitCode()).as("build.sh output:\n%s", build.err()).isZero();
        fakeLauncher = dir.resolve("fake-launcher");
        Files.writeString(fakeLauncher, """
                #!/bin/sh
                # Stands in for bin/pgwarden: records how it was started.
                { echo "pid=$$"; echo "client=$PGWARDEN_WAL_CLIENT"; for a in "$@"; do echo "arg=$a"; done; } >"$FAKE_OUT"
                exit 42
                """);
        Files.setPosixFilePermissions(fakeLauncher, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    // ---- the exchange with the daemon

    @Test
    void anOkAnswerExitsZeroAfterSendingTheAbsoluteNormalisedPath() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data/pg_wal"));
        try (FakeDaemon daemon = FakeDaemon.answering(dir.resolve("ok.sock"), "OK archived\n")) {
            Path config = givenConfig("ok", daemon.socket, "5s");
            for (String arg : List.of("pg_wal/" + SEGMENT, "./pg_wal/../pg_wal//" + SEGMENT + "/",
                    data.getParent() + "/./x/../pg_wal/" + SEGMENT, "/../" + data + "/" + SEGMENT)) {
                Result r = runClient(data.getParent(), Map.of(), "--config", config.toString(), "wal-push", arg);
                assertThat(r.exitCode()).as(r.describe()).isZero();
                assertThat(r.err()).isEmpty();
                // What the JVM client sends: Path.toAbsolutePath().normalize() in the same directory.
                Path base = data.getParent().toRealPath();
                String expected = (arg.startsWith("/") ? Path.of(arg) : base.resolve(arg)).normalize().toString();
                assertThat(daemon.lastRequest()).isEqualTo("PUSH " + expected);
            }
        }
    }

    @Test
    void anErrAnswerExitsWithItsCodeAndPrintsItsMessage() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.answering(dir.resolve("err.sock"),
                "ERR 4 [PGW080] '" + SEGMENT + "' is already archived with different content\n")) {
            Result r = runClient(dir, Map.of(), "--config=" + givenConfig("err", daemon.socket, "5s"), "wal-push",
                    "/data/pg_wal/" + SEGMENT);
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(4);
            assertThat(r.err()).isEqualTo("pgwarden: error: [PGW080] '" + SEGMENT
                    + "' is already archived with different content\n");
        }
    }

    @Test
    void aConnectionClosedWithoutAnAnswerOrWithHalfOneFails() throws Exception {
        for (String half : List.of("", "OK archiv")) {
            try (FakeDaemon daemon = FakeDaemon.answering(dir.resolve("close.sock"), half)) {
                Result r = runClient(dir, Map.of(), "--config", givenConfig("close", daemon.socket, "5s").toString(),
                        "wal-push", "/data/pg_wal/" + SEGMENT);
                assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
                assertThat(r.err()).contains("pgwarden: error: the daemon closed the connection without answering");
            }
        }
    }

    @Test
    void aGarbledAnswerFails() throws Exception {
        for (String answer : List.of("HELLO\n", "ERR 4\n", "ERR 300 too big\n", "ERR x msg\n", "OK\r\n")) {
            try (FakeDaemon daemon = FakeDaemon.answering(dir.resolve("garbled.sock"), answer)) {
                Result r = runClient(dir, Map.of(), "--config", givenConfig("g", daemon.socket, "5s").toString(),
                        "wal-push", "/data/pg_wal/" + SEGMENT);
                assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
                assertThat(r.err()).startsWith("pgwarden: error: unexpected answer from the daemon: '"
                        + answer.strip().replace('\r', ' '));
            }
        }
    }

    @Test
    void aDaemonThatDoesNotAnswerWithinTheClientTimeoutFails() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.silent(dir.resolve("silent.sock"))) {
            long start = System.nanoTime();
            Result r = runClient(dir, Map.of(), "--config", givenConfig("silent", daemon.socket, "300ms").toString(),
                    "wal-push", "/data/pg_wal/" + SEGMENT);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(3);
            assertThat(r.err()).contains("no answer from the daemon at '" + daemon.socket + "' within 300ms");
        }
    }

    @Test
    void anAnswerLongerThanTheProtocolAllowsFails() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.answering(dir.resolve("long.sock"), "OK " + "x".repeat(9000) + "\n")) {
            Result r = runClient(dir, Map.of(), "--config", givenConfig("long", daemon.socket, "5s").toString(),
                    "wal-push", "/data/pg_wal/" + SEGMENT);
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(3);
            assertThat(r.err()).contains("answer longer than " + WalProtocol.MAX_LINE + " bytes");
        }
        // The longest answer the protocol allows is still read.
        String longest = "OK " + "x".repeat(WalProtocol.MAX_LINE - 3) + "\n";
        try (FakeDaemon daemon = FakeDaemon.answering(dir.resolve("long.sock"), longest)) {
            Result r = runClient(dir, Map.of(), "--config", givenConfig("long", daemon.socket, "5s").toString(),
                    "wal-push", "/data/pg_wal/" + SEGMENT);
            assertThat(r.exitCode()).as(r.describe()).isZero();
        }
    }

    // ---- handing over to the JVM client

    @Test
    void withNoSocketFileItExecsTheLauncherForTheJvmClientWithTheSameArguments() throws Exception {
        Path config = givenConfig("none", dir.resolve("nobody-here.sock"), "5s");
        assertHandsOver(runClient(dir, Map.of(), "--config", config.toString(), "wal-push", "pg_wal/" + SEGMENT),
                "--config", config.toString(), "wal-push", "pg_wal/" + SEGMENT);
    }

    @Test
    void withAStaleSocketFileItHandsOverToo() throws Exception {
        Path stale = dir.resolve("stale.sock");
        ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        gone.bind(UnixDomainSocketAddress.of(stale));
        gone.close(); // the file stays; nobody listens: ECONNREFUSED
        assertThat(stale).exists();
        Path config = givenConfig("stale", stale, "5s");
        assertHandsOver(runClient(dir, Map.of(), "--config", config.toString(), "wal-push", "/d/" + SEGMENT),
                "--config", config.toString(), "wal-push", "/d/" + SEGMENT);
    }

    /** Each configuration ClientSettings is unsure of goes to the JVM client, and no daemon is asked. */
    @ParameterizedTest
    @MethodSource("org.pgwarden.walclient.ClientSettingsTest#unsureYaml")
    void aConfigurationTheSmallReaderIsUnsureOfGoesToTheJvmClient(String yaml) throws Exception {
        // Every socket the YAML names, and the default one, is live: a misreading would be answered.
        Path live = Files.createDirectories(dir.resolve("u"));
        List<FakeDaemon> daemons = new ArrayList<>();
        try {
            for (String name : List.of("x.sock", "a.sock", "b.sock", "y.sock")) {
                daemons.add(FakeDaemon.answering(live.resolve(name), "OK archived\n"));
            }
            daemons.add(FakeDaemon.answering(defaultSocket, "OK archived\n"));
            Path config = dir.resolve("unsure.yaml");
            Files.writeString(config, yaml.replace("/", live + "/"), StandardCharsets.UTF_8);
            assertThat(ClientSettings.read(config)).as("the JVM client's reader").isEmpty();
            assertHandsOver(runClient(dir, Map.of(), "--config", config.toString(), "wal-push", "/d/" + SEGMENT),
                    "--config", config.toString(), "wal-push", "/d/" + SEGMENT);
            assertThat(daemons).allSatisfy(d -> assertThat(d.requests).isEmpty());
        } finally {
            daemons.forEach(FakeDaemon::close);
        }
    }

    /** What ClientSettings reads, the native client reads the same way. */
    @ParameterizedTest
    @MethodSource("org.pgwarden.walclient.ClientSettingsTest#sureYaml")
    void aConfigurationBothReadersReadNamesTheSameSocket(String yaml, String socket, Duration timeout)
            throws Exception {
        Path sockets = Files.createDirectories(dir.resolve("s"));
        Path config = dir.resolve("sure.yaml");
        Files.writeString(config, yaml.formatted(sockets), StandardCharsets.UTF_8);
        assertThat(ClientSettings.read(config)).contains(new ClientSettings(sockets.resolve(socket), timeout));
        try (FakeDaemon daemon = FakeDaemon.answering(sockets.resolve(socket), "OK pushed-ahead\n")) {
            Result r = runClient(dir, Map.of(), "--config", config.toString(), "wal-push", "/d/" + SEGMENT);
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(daemon.requests).containsExactly("PUSH /d/" + SEGMENT);
        }
    }

    @Test
    void crLfAndCrLineEndsAndTheDefaultSocketAreReadToo() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.answering(dir.resolve("crlf.sock"), "OK archived\n")) {
            for (String eol : List.of("\r\n", "\r")) {
                Path config = dir.resolve("crlf.yaml");
                Files.writeString(config, String.join(eol, "stanza: x", "wal:", "  socket: " + daemon.socket, ""));
                assertThat(ClientSettings.read(config)).map(ClientSettings::socket).contains(daemon.socket);
                Result r = runClient(dir, Map.of(), "--config", config.toString(), "wal-push", "/d/" + SEGMENT);
                assertThat(r.exitCode()).as(r.describe()).isZero();
            }
        }
        try (FakeDaemon daemon = FakeDaemon.answering(defaultSocket, "OK archived\n")) {
            Path config = dir.resolve("nowal.yaml");
            Files.writeString(config, "stanza: x\nrepository:\n  type: filesystem\n");
            Result r = runClient(dir, Map.of("PGWARDEN_CONFIG", config.toString()), "wal-push", "/d/" + SEGMENT);
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(daemon.requests).containsExactly("PUSH /d/" + SEGMENT);
        }
    }

    @Test
    void anUnreadableOrNonUtf8ConfigurationGoesToTheJvmClient() throws Exception {
        Path latin1 = dir.resolve("latin1.yaml");
        Files.write(latin1, "# donn\u00e9es\nwal:\n  socket: /x.sock\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(ClientSettings.read(latin1)).isEmpty();
        for (Path config : List.of(latin1, dir.resolve("missing.yaml"), dir)) {
            assertHandsOver(runClient(dir, Map.of(), "--config", config.toString(), "wal-push", "/d/" + SEGMENT),
                    "--config", config.toString(), "wal-push", "/d/" + SEGMENT);
        }
    }

    @Test
    void anyOtherInvocationGoesToTheJvmClientUnchanged() throws Exception {
        Path config = givenConfig("shape", dir.resolve("unused.sock"), "5s");
        List<List<String>> shapes = List.of(List.of("wal-push"), List.of("wal-push", "a", "b"),
                List.of("wal-push", "--direct", "/d/" + SEGMENT), List.of("wal-push", "--help"),
                List.of("--config", config.toString(), "wal-fetch", SEGMENT, "/d/x"), List.of("--config"),
                List.of("--config=", "wal-push", "/d/" + SEGMENT), List.of("wal-push", "/d/" + SEGMENT),
                List.of("--config", config.toString(), "wal-push", "/d/line\nbreak"), List.of());
        for (List<String> args : shapes) {
            assertHandsOver(runClient(dir, Map.of(), args.toArray(String[]::new)), args.toArray(String[]::new));
        }
    }

    @Test
    void itRefusesToRunWhereItWouldLoopOrHasNoLauncher() throws Exception {
        Path config = givenConfig("loop", dir.resolve("nobody.sock"), "5s");
        Result loop = runClient(dir, Map.of("PGWARDEN_WAL_CLIENT", "jvm"), "--config", config.toString(), "wal-push",
                "/d/" + SEGMENT);
        assertThat(loop.exitCode()).as(loop.describe()).isEqualTo(2);
        assertThat(loop.err()).contains("PGWARDEN_WAL_CLIENT=jvm");
        Result orphan = run(List.of(client.toString(), "--config", config.toString(), "wal-push", "/d/" + SEGMENT),
                Map.of(), dir);
        assertThat(orphan.exitCode()).as(orphan.describe()).isEqualTo(2);
        assertThat(orphan.err()).contains("must be started by bin/pgwarden");
    }

    // ---- the launcher's choice

    /**
     * A checkout whose target/ is writable and holds no native client: the launcher builds it on first
     * use and runs it; the daemon is answered by that process, not by a JVM.
     */
    @Test
    void theLauncherBuildsTheNativeClientOnFirstUseAndRunsIt() throws Exception {
        Path checkout = givenCheckout("first-use");
        Path built = checkout.resolve("target/pgwarden-wal-push");
        try (FakeDaemon daemon = FakeDaemon.answering(dir.resolve("first.sock"), "OK archived\n")) {
            Path config = givenConfig("first", daemon.socket, "30s");
            Launched first = launch(checkout, daemon, Map.of(), "--config", config.toString(), "wal-push", "/d/" + SEGMENT);
            assertThat(first.result.exitCode()).as(first.result.describe()).isZero();
            assertThat(first.executables).containsExactly("pgwarden-wal-push");
            assertThat(built).isExecutable();
            FileTime builtAt = Files.getLastModifiedTime(built);
            Launched second = launch(checkout, daemon, Map.of(), "--config", config.toString(), "wal-push",
                    "/d/" + SEGMENT);
            assertThat(second.executables).containsExactly("pgwarden-wal-push");
            assertThat(Files.getLastModifiedTime(built)).as("not rebuilt").isEqualTo(builtAt);
            // A distribution without the source runs the binary it ships.
            deleteTree(checkout.resolve("src"));
            Launched shipped = launch(checkout, daemon, Map.of(), "--config", config.toString(), "wal-push",
                    "/d/" + SEGMENT);
            assertThat(shipped.executables).containsExactly("pgwarden-wal-push");
            assertThat(shipped.result.exitCode()).isZero();
            // One that cannot run here (say, built for another architecture) leaves the call to the JVM client.
            byte[] foreign = new byte[4096];
            System.arraycopy(new byte[]{0x7f, 'E', 'L', 'F', 2, 1, 1}, 0, foreign, 0, 7);
            Files.write(built, foreign);
            Launched unusable = launch(checkout, daemon, Map.of(), "--config", config.toString(), "wal-push",
                    "/d/" + SEGMENT);
            assertThat(unusable.result.exitCode()).as(unusable.result.describe()).isZero();
            assertThat(unusable.executables).contains("java");
            assertThat(unusable.result.err()).contains("could not be run; using the JVM client");
        }
    }

    /**
     * Without a compiler the launcher says so once, on stderr, and the JVM client serves; later
     * calls are quiet until the source changes. PGWARDEN_WAL_CLIENT=native makes it an error.
     */
    @Test
    void withoutACompilerTheLauncherSaysSoOnceAndTheJvmClientServes() throws Exception {
        Path checkout = givenCheckout("no-cc");
        Map<String, String> noCc = Map.of("CC", dir.resolve("no-such-cc").toString());
        try (FakeDaemon daemon = FakeDaemon.answering(dir.resolve("nocc.sock"), "OK archived\n")) {
            Path config = givenConfig("nocc", daemon.socket, "60s");
            String[] args = {"--config", config.toString(), "wal-push", "/d/" + SEGMENT};
            Launched first = launch(checkout, daemon, noCc, args);
            assertThat(first.result.exitCode()).as(first.result.describe()).isZero();
            assertThat(first.executables).contains("java").doesNotContain("pgwarden-wal-push");
            assertThat(first.result.err().lines().toList()).singleElement().asString()
                    .contains("the native wal-push client was not built (no C compiler")
                    .contains("uses the JVM client");
            Launched second = launch(checkout, daemon, noCc, args);
            assertThat(second.result.exitCode()).as(second.result.describe()).isZero();
            assertThat(second.executables).contains("java");
            assertThat(second.result.err()).isEmpty();
            Result forced = launchWithout(checkout, merge(noCc, Map.of("PGWARDEN_WAL_CLIENT", "native")), args);
            assertThat(forced.exitCode()).as(forced.describe()).isEqualTo(2);
            assertThat(forced.err()).contains("PGWARDEN_WAL_CLIENT=native, but no C compiler");
            // A changed source is tried again (and said again) once.
            Path source = checkout.resolve("src/main/c/wal-push.c");
            Files.setLastModifiedTime(source, FileTime.fromMillis(System.currentTimeMillis() + 2000));
            Launched changed = launch(checkout, daemon, noCc, args);
            assertThat(changed.result.err()).contains("was not built");
            // With a compiler it is built, and runs.
            Launched withCc = launch(checkout, daemon, Map.of(), args);
            assertThat(withCc.result.exitCode()).as(withCc.result.describe()).isZero();
            assertThat(withCc.executables).containsExactly("pgwarden-wal-push");
        }
    }

    @Test
    void pgwardenWalClientJvmSkipsTheNativeClientAndOtherValuesAreRefused() throws Exception {
        Path checkout = givenCheckout("forced-jvm");
        try (FakeDaemon daemon = FakeDaemon.answering(dir.resolve("jvm.sock"), "OK archived\n")) {
            Path config = givenConfig("jvm", daemon.socket, "60s");
            String[] args = {"--config", config.toString(), "wal-push", "/d/" + SEGMENT};
            Launched jvm = launch(checkout, daemon, Map.of("PGWARDEN_WAL_CLIENT", "jvm"), args);
            assertThat(jvm.result.exitCode()).as(jvm.result.describe()).isZero();
            assertThat(jvm.executables).contains("java").doesNotContain("pgwarden-wal-push");
            Result bad = launchWithout(checkout, Map.of("PGWARDEN_WAL_CLIENT", "fast"), args);
            assertThat(bad.exitCode()).isEqualTo(2);
            assertThat(bad.err()).contains("PGWARDEN_WAL_CLIENT must be 'native', 'jvm' or unset, not 'fast'");
        }
    }

    /** No daemon: the native client hands over through the real launcher to the JVM client, which pushes directly. */
    @Test
    void withNoDaemonTheRealLauncherRunsTheJvmClientsDirectPush() throws Exception {
        Path config = givenConfig("direct", dir.resolve("no-daemon.sock"), "5s");
        Result r = run(List.of(root.resolve("bin/pgwarden").toString(), "--config", config.toString(), "wal-push",
                "/d/" + SEGMENT), Map.of("PGWARDEN_WAL_CLIENT", "native"), dir);
        // The direct push then fails on this configuration, which names no repository.
        assertThat(r.err()).as(r.describe()).contains("pgwarden: no daemon socket at '" + dir.resolve("no-daemon.sock")
                + "'; pushing '/d/" + SEGMENT + "' directly");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
    }

    // ---- helpers

    private static void assertHandsOver(Result r, String... args) throws IOException {
        assertThat(r.exitCode()).as("the fake launcher's exit code; %s", r.describe()).isEqualTo(42);
        List<String> record = Files.readAllLines(dir.resolve("launcher.out"));
        List<String> expected = new ArrayList<>(List.of("pid=" + r.pid(), "client=jvm"));
        for (String a : args) {
            expected.add("arg=" + a);
        }
        // The same process (exec, not a child), marked so the launcher takes the JVM path.
        assertThat(String.join("\n", record)).isEqualTo(String.join("\n", expected));
        Files.delete(dir.resolve("launcher.out"));
    }

    private static Path givenConfig(String name, Path socket, String timeout) throws IOException {
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, """
                stanza: test
                wal:
                  socket: %s
                  client-timeout: %s
                """.formatted(socket, timeout));
        return config;
    }

    /** A copy of the checkout's layout: bin/pgwarden, the jar and its lib (linked), the C source. */
    private static Path givenCheckout(String name) throws IOException {
        Path checkout = Files.createDirectories(dir.resolve(name));
        Files.createDirectories(checkout.resolve("bin"));
        Files.copy(root.resolve("bin/pgwarden"), checkout.resolve("bin/pgwarden"));
        Files.createDirectories(checkout.resolve("target"));
        Files.createSymbolicLink(checkout.resolve("target/pgwarden.jar"), root.resolve("target/pgwarden.jar"));
        Files.createSymbolicLink(checkout.resolve("target/lib"), root.resolve("target/lib"));
        Files.createDirectories(checkout.resolve("src/main/c"));
        for (String f : List.of("wal-push.c", "build.sh")) {
            Files.copy(root.resolve("src/main/c").resolve(f), checkout.resolve("src/main/c").resolve(f));
        }
        return checkout;
    }

    private record Launched(Result result, List<String> executables) {
    }

    /** Runs the checkout's launcher; {@code executables} are those of the process tree the daemon was asked by. */
    private static Launched launch(Path checkout, FakeDaemon daemon, Map<String, String> env, String... args)
            throws Exception {
        daemon.expectClient();
        Result r = run(command(checkout, args), env, dir, daemon.clientPid);
        return new Launched(r, daemon.clientExecutables.get(10, TimeUnit.SECONDS));
    }

    private static Result launchWithout(Path checkout, Map<String, String> env, String... args) throws Exception {
        return run(command(checkout, args), env, dir);
    }

    private static List<String> command(Path checkout, String... args) {
        List<String> command = new ArrayList<>(List.of(checkout.resolve("bin/pgwarden").toString()));
        command.addAll(List.of(args));
        return command;
    }

    private static Result runClient(Path cwd, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(client.toString()));
        command.addAll(List.of(args));
        return run(command, merge(Map.of("PGWARDEN_LAUNCHER", fakeLauncher.toString(),
                "FAKE_OUT", dir.resolve("launcher.out").toString()), env), cwd);
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new HashMap<>(a);
        m.putAll(b);
        return m;
    }

    record Result(List<String> command, long pid, int exitCode, String out, String err) {
        String describe() {
            return String.join(" ", command) + " exited " + exitCode + "; stdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private static Result run(List<String> command, Map<String, String> env, Path cwd) throws Exception {
        return run(command, env, cwd, new CompletableFuture<>());
    }

    private static Result run(List<String> command, Map<String, String> env, Path cwd, CompletableFuture<Long> pid)
            throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        for (String v : List.of("PGWARDEN_CONFIG", "PGWARDEN_WAL_CLIENT", "PGWARDEN_LAUNCHER", "PGWARDEN_CDS_DIR")) {
            pb.environment().remove(v);
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        pid.complete(p.pid());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within 120s; stderr:\n" + Files.readString(err));
        }
        return new Result(command, p.pid(), p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static Path which(String tool) {
        if (tool.contains("/")) {
            return Files.isExecutable(Path.of(tool)) ? Path.of(tool) : null;
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool);
            }
        }
        return null;
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    /**
     * The daemon's side of {@link WalProtocol} on a Unix socket, one connection at a time: it records
     * each request line, then sends a fixed answer (possibly none, or half of one) and closes, or
     * stays silent until closed. Asked to, it records which executables the client's process tree
     * runs while the client waits for the answer.
     */
    static final class FakeDaemon implements AutoCloseable {
        final Path socket;
        final List<String> requests = new CopyOnWriteArrayList<>();
        private final ServerSocketChannel server;
        private final byte[] answer;
        private final Thread acceptor;
        private volatile CompletableFuture<Long> clientPid = new CompletableFuture<>();
        private volatile CompletableFuture<List<String>> clientExecutables;

        private FakeDaemon(Path socket, byte[] answer) throws IOException {
            this.socket = socket;
            this.answer = answer;
            Files.deleteIfExists(socket);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            acceptor = new Thread(this::serve, "fake-daemon");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        static FakeDaemon answering(Path socket, String answer) throws IOException {
            return new FakeDaemon(socket, answer.getBytes(StandardCharsets.UTF_8));
        }

        static FakeDaemon silent(Path socket) throws IOException {
            return new FakeDaemon(socket, null);
        }

        /** The next connection's client process tree is recorded; its pid comes from {@code clientPid}. */
        void expectClient() {
            clientPid = new CompletableFuture<>();
            clientExecutables = new CompletableFuture<>();
        }

        String lastRequest() {
            return requests.isEmpty() ? null : requests.get(requests.size() - 1);
        }

        private void serve() {
            while (server.isOpen()) {
                try (SocketChannel c = server.accept()) {
                    requests.add(readLine(Channels.newInputStream(c)));
                    CompletableFuture<List<String>> watching = clientExecutables;
                    if (watching != null && !watching.isDone()) {
                        watching.complete(executables(clientPid.get(10, TimeUnit.SECONDS)));
                    }
                    if (answer == null) {
                        while (c.read(ByteBuffer.allocate(64)) >= 0) {
                            // silent until the client gives up and closes
                        }
                        continue;
                    }
                    ByteBuffer out = ByteBuffer.wrap(answer);
                    while (out.hasRemaining()) {
                        c.write(out);
                    }
                } catch (IOException e) {
                    if (!server.isOpen()) {
                        return;
                    }
                } catch (Exception e) {
                    clientExecutables.completeExceptionally(e);
                }
            }
        }

        private static List<String> executables(long pid) {
            ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("client " + pid + " is gone"));
            return Stream.concat(Stream.of(process), process.descendants()).map(h -> {
                try {
                    return Files.readSymbolicLink(Path.of("/proc", Long.toString(h.pid()), "exe")).getFileName()
                            .toString();
                } catch (IOException e) {
                    return "?";
                }
            }).toList();
        }

        private static String readLine(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.append((char) b);
            }
            return line.toString();
        }

        @Override
        public void close() {
            try {
                server.close();
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }
}
