package org.pgwarden.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.pg.PgDataEntry.Type;

class PgDataWalkerTest {
    @TempDir
    Path tmp;

    /** Every path of {@link #givenDataDirectory} that a backup must copy, in no particular order. */
    private static final Set<String> KEPT = Set.of(
            "PG_VERSION", "backup_label.old", "postgresql.auto.conf", "postgresql.conf",
            "base", "base/1", "base/1/1259", "base/1/1259.1", "base/1/1259_fsm", "base/1/1259_vm", "base/1/PG_VERSION",
            "base/1/pg_filenode.map", "base/10", "base/10/2600", "base/5", "base/5/16384_init", "base/5/16390",
            "global", "global/1262", "global/1262_fsm", "global/pg_control", "global/pg_filenode.map",
            "log", "log-1", "log.old", "log/postgresql.log",
            "pg_dynshmem", "pg_notify", "pg_replslot", "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans",
            "pg_stat", "pg_stat/pgstat.stat", "pg_xact", "pg_xact/0000",
            "pg_wal", "pg_wal/archive_status",
            "pg_tblspc", "pg_tblspc/16385", "pg_tblspc/16385/PG_15_202209061", "pg_tblspc/16385/PG_15_202209061/5",
            "pg_tblspc/16385/PG_15_202209061/5/16386", "pg_tblspc/16385/PG_15_202209061/5/16387_init",
            "pg_tblspc/16390");

    private static final Set<String> RELATIONS = Set.of(
            "base/1/1259", "base/1/1259.1", "base/1/1259_fsm", "base/1/1259_vm", "base/10/2600", "base/5/16384_init",
            "base/5/16390", "global/1262", "global/1262_fsm", "pg_tblspc/16385/PG_15_202209061/5/16386",
            "pg_tblspc/16385/PG_15_202209061/5/16387_init");

    /** A data directory with one example of every rule, and a tablespace outside it. */
    private Path givenDataDirectory() throws IOException {
        Path data = tmp.resolve("data");
        createFile(data, "PG_VERSION", "15\n");
        for (String kept : List.of("postgresql.conf", "postgresql.auto.conf", "backup_label.old",
                "global/pg_control", "global/1262", "global/1262_fsm", "global/pg_filenode.map",
                "base/1/1259", "base/1/1259.1", "base/1/1259_fsm", "base/1/1259_vm", "base/1/PG_VERSION",
                "base/1/pg_filenode.map", "base/10/2600", "base/5/16384_init", "base/5/16390",
                "log/postgresql.log", "log.old", "log-1", "pg_stat/pgstat.stat", "pg_xact/0000")) {
            createFile(data, kept, "x");
        }
        for (String dropped : List.of(
                // files of the running server or of another backup
                "postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map", "backup_manifest",
                "postgresql.auto.conf.tmp", "current_logfiles", "current_logfiles.tmp",
                // relation cache init files, anywhere
                "global/pg_internal.init", "base/1/pg_internal.init", "base/1/pg_internal.init.1234",
                // unlogged relation 16384: only its init fork is copied
                "base/5/16384", "base/5/16384_fsm", "base/5/16384.1",
                // temporary relations and temporary files
                "base/5/t3_16400", "base/5/t3_16400_fsm", "base/5/t12_16401.1", "base/pgsql_tmp/pgsql_tmp12.3",
                "base/5/pgsql_tmp7.0",
                // WAL: only the archive_status directory is kept
                "pg_wal/000000010000000000000001", "pg_wal/000000010000000000000001.partial",
                "pg_wal/00000002.history", "pg_wal/archive_status/000000010000000000000001.ready",
                // directories kept empty
                "pg_dynshmem/mmap.1", "pg_notify/0000", "pg_replslot/slot1/state", "pg_serial/0000",
                "pg_snapshots/00000003-00000002-1", "pg_stat_tmp/global.stat", "pg_subtrans/0000")) {
            createFile(data, dropped, "y");
        }
        Path tablespace = tmp.resolve("ts");
        for (String kept : List.of("PG_15_202209061/5/16386", "PG_15_202209061/5/16387_init")) {
            createFile(tablespace, kept, "z");
        }
        // another major version sharing the location, an unlogged main fork and a temporary file
        for (String dropped : List.of("PG_14_202107181/5/999", "PG_15_202209061/5/16387",
                "PG_15_202209061/pgsql_tmp/pgsql_tmp1.0")) {
            createFile(tablespace, dropped, "z");
        }
        Files.createDirectories(data.resolve("pg_tblspc"));
        Files.createSymbolicLink(data.resolve("pg_tblspc/16385"), tablespace);
        // a dangling link: reported, nothing below it
        Files.createSymbolicLink(data.resolve("pg_tblspc/16390"), tmp.resolve("gone"));
        return data;
    }

    private static void createFile(Path root, String relative, String content) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content, StandardCharsets.UTF_8);
    }

    private static List<PgDataEntry> walk(Path data) {
        try (Stream<PgDataEntry> s = new PgDataWalker(data).entries()) {
            return s.toList();
        }
    }

    @Test
    void keepsExactlyWhatTheBackupRulesKeep() throws IOException {
        List<PgDataEntry> entries = walk(givenDataDirectory());
        assertThat(entries).extracting(PgDataEntry::path).containsExactlyInAnyOrderElementsOf(KEPT);
        assertThat(entries).filteredOn(PgDataEntry::relation).extracting(PgDataEntry::path)
                .containsExactlyInAnyOrderElementsOf(RELATIONS);
    }

    @Test
    void sortsByWholePathBytes() throws IOException {
        List<String> paths = walk(givenDataDirectory()).stream().map(PgDataEntry::path).toList();
        // plain String order equals byte order for these ASCII names
        assertThat(paths).isEqualTo(new TreeSet<>(KEPT).stream().toList());
        assertThat(paths).isSortedAccordingTo(PgDataEntry.PATH_ORDER);
        // '-' and '.' sort below '/', so a directory's contents do not follow it directly
        assertThat(paths).containsSubsequence("log", "log-1", "log.old", "log/postgresql.log");
        // '/' sorts below '0': base/1's contents come before base/10
        assertThat(paths).containsSubsequence("base/1", "base/1/pg_filenode.map", "base/10", "base/10/2600",
                "base/5");
        assertThat(paths.indexOf("base/1/pg_filenode.map") + 1).isEqualTo(paths.indexOf("base/10"));
        assertThat(paths).containsSubsequence("base/1/1259", "base/1/1259.1", "base/1/1259_fsm", "base/1/1259_vm",
                "base/1/PG_VERSION", "base/1/pg_filenode.map");
    }

    @Test
    void recognisesRelationFiles() {
        for (String yes : List.of("base/1/1259", "base/16384/16385_fsm.3", "base/1/2619_vm", "base/5/16384_init",
                "global/1262", "global/1262.1", "pg_tblspc/16385/PG_15_202209061/5/16386.12")) {
            assertThat(PgDataLayout.isRelationFile(yes)).as(yes).isTrue();
        }
        for (String no : List.of("base/1/PG_VERSION", "base/1/pg_filenode.map", "global/pg_control", "base/1/t3_1234",
                "base/1/1259_xyz", "base/1/1259.", "pg_xact/0000", "1259", "base/x/1259", "base/1/sub/1259",
                "pg_tblspc/16385/1259", "pg_tblspc/16385/PG_15_202209061/1259")) {
            assertThat(PgDataLayout.isRelationFile(no)).as(no).isFalse();
        }
        assertThat(PgDataLayout.parseRelationFileName("16385_vm.2"))
                .isEqualTo(new PgDataLayout.RelationFile("16385", "vm", 2));
        assertThat(PgDataLayout.parseRelationFileName("16385"))
                .isEqualTo(new PgDataLayout.RelationFile("16385", "main", 0));
    }

    @Test
    void pathOrderComparesUnsignedBytes() {
        List<String> list = new ArrayList<>(List.of("a/b", "a", "a.b", "a-b", "ab", "a\u00e9", "a~", "a\uD83D\uDE00",
                "a\uFF5E"));
        list.sort(PgDataEntry.PATH_ORDER);
        assertThat(list).containsExactly("a", "a-b", "a.b", "a/b", "ab", "a~", "a\u00e9", "a\uFF5E", "a\uD83D\uDE00");
        Comparator<String> utf8 = (x, y) -> java.util.Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8),
                y.getBytes(StandardCharsets.UTF_8));
        assertThat(list).isSortedAccordingTo(utf8);
    }

    @Test
    void describesTypesLinksAndAttributes() throws IOException {
        Path data = givenDataDirectory();
        Files.setPosixFilePermissions(data.resolve("base/1/1259"), PosixFilePermissions.fromString("rw-r-----"));
        Files.setPosixFilePermissions(data.resolve("base/1"), PosixFilePermissions.fromString("rwxr-x---"));
        Map<String, PgDataEntry> byPath = walk(data).stream()
                .collect(Collectors.toMap(PgDataEntry::path, Function.identity()));

        PgDataEntry file = byPath.get("base/1/1259");
        assertThat(file.type()).isEqualTo(Type.FILE);
        assertThat(file.size()).isEqualTo(1);
        assertThat(file.mode()).isEqualTo(0640);
        assertThat(file.absolute()).isEqualTo(data.resolve("base/1/1259"));
        assertThat(file.mtimeMillis()).isEqualTo(Files.getLastModifiedTime(data.resolve("base/1/1259")).toMillis());
        assertThat(byPath.get("base/1").type()).isEqualTo(Type.DIRECTORY);
        assertThat(byPath.get("base/1").mode()).isEqualTo(0750);
        assertThat(byPath.get("base/1").size()).isZero();

        PgDataEntry link = byPath.get("pg_tblspc/16385");
        assertThat(link.type()).isEqualTo(Type.SYMLINK);
        assertThat(link.linkTarget()).contains(tmp.resolve("ts"));
        assertThat(byPath.get("pg_tblspc/16390").linkTarget()).contains(tmp.resolve("gone"));
        PgDataEntry inTablespace = byPath.get("pg_tblspc/16385/PG_15_202209061/5/16386");
        assertThat(inTablespace.type()).isEqualTo(Type.FILE);
        assertThat(inTablespace.relation()).isTrue();
        assertThat(Files.readString(inTablespace.absolute())).isEqualTo("z");
        assertThat(byPath.values()).filteredOn(e -> e.type() != Type.SYMLINK)
                .allSatisfy(e -> assertThat(e.linkTarget()).isEmpty());
    }

    @Test
    void linkedWalDirectoryIsReportedAsADirectory() throws IOException {
        Path data = tmp.resolve("data");
        createFile(data, "PG_VERSION", "15\n");
        Path wal = tmp.resolve("wal");
        createFile(wal, "000000010000000000000001", "w");
        Files.createDirectories(wal.resolve("archive_status"));
        Files.createSymbolicLink(data.resolve("pg_wal"), wal);
        List<PgDataEntry> entries = walk(data);
        assertThat(entries).extracting(PgDataEntry::path).containsExactly("PG_VERSION", "pg_wal", "pg_wal/archive_status");
        assertThat(entries.get(1).type()).isEqualTo(Type.DIRECTORY);
    }

    @Test
    void directoryVanishingDuringTheWalkIsSkipped() throws IOException {
        Path data = tmp.resolve("data");
        createFile(data, "base/1/100", "a");
        createFile(data, "base/2/200", "b");
        createFile(data, "base/2/201", "b");
        List<String> seen = new ArrayList<>();
        try (Stream<PgDataEntry> s = new PgDataWalker(data).entries()) {
            Iterator<PgDataEntry> it = s.iterator();
            while (it.hasNext()) {
                String path = it.next().path();
                seen.add(path);
                if (path.equals("base/1/100")) {
                    // as DROP DATABASE would, while the walk is inside base/1
                    Files.delete(data.resolve("base/2/200"));
                    Files.delete(data.resolve("base/2/201"));
                    Files.delete(data.resolve("base/2"));
                }
            }
        }
        // base/2 was listed with base, before it vanished; nothing below it is reported
        assertThat(seen).containsExactly("base", "base/1", "base/1/100", "base/2");
    }

    @Test
    void missingDataDirectoryIsAnError() {
        assertThatThrownBy(() -> new PgDataWalker(tmp.resolve("nope")).entries())
                .isInstanceOf(PgwardenException.class)
                .satisfies(e -> assertThat(((PgwardenException) e).errorCode()).isEqualTo(ErrorCode.PG_DATA_UNREADABLE))
                .hasMessageContaining("'" + tmp.resolve("nope") + "'");
    }

    /**
     * 100,000 files in 100 databases: the walk streams them in order, and lists each directory
     * only when it gets there (a file created late in a directory not yet reached is reported).
     */
    @Test
    void streamsAHundredThousandFilesInOrder() throws IOException {
        Path data = tmp.resolve("data");
        int dirs = 100;
        int perDir = 1000;
        // creating the files costs far more than walking them; spread it over the cores
        IntStream.rangeClosed(1, dirs).parallel().forEach(d -> {
            try {
                Path dir = Files.createDirectories(data.resolve("base/" + d));
                for (int f = 1; f <= perDir; f++) {
                    Files.createFile(dir.resolve(Integer.toString(f)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        long count = 0;
        String previous = null;
        boolean lateFileSeen = false;
        try (Stream<PgDataEntry> s = new PgDataWalker(data).entries()) {
            Iterator<PgDataEntry> it = s.iterator();
            while (it.hasNext()) {
                PgDataEntry e = it.next();
                if (previous != null) {
                    assertThat(PgDataEntry.comparePaths(previous, e.path())).as(previous + " < " + e.path()).isNegative();
                }
                if (count == 2) {
                    assertThat(e.path()).isEqualTo("base/1/1");
                    // base/99 sorts last among the databases and has not been listed yet
                    Files.createFile(data.resolve("base/99/late"));
                }
                lateFileSeen |= e.path().equals("base/99/late");
                previous = e.path();
                count++;
            }
        }
        assertThat(count).isEqualTo(1 + dirs + (long) dirs * perDir + 1);
        assertThat(lateFileSeen).isTrue();
    }
}
