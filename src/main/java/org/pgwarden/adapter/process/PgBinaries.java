package org.pgwarden.adapter.process;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * Where PostgreSQL's own programs are. Each program is looked for in the configured bin
 * directory first, then in the newest Debian-style {@code /usr/lib/postgresql/<major>/bin}, then
 * on {@code PATH}; the first executable found wins.
 */
public final class PgBinaries {
    /** Debian and Ubuntu install every major version side by side under this directory. */
    public static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");

    /** The programs pgwarden runs. */
    public enum Program {
        INITDB("initdb"), PG_CTL("pg_ctl"), POSTGRES("postgres"), PGBENCH("pgbench"), PSQL("psql");

        private final String fileName;

        Program(String fileName) {
            this.fileName = fileName;
        }

        public String fileName() {
            return fileName;
        }
    }

    private final List<Path> searched;
    private final Map<Program, Path> found;

    private PgBinaries(List<Path> searched, Map<Program, Path> found) {
        this.searched = List.copyOf(searched);
        this.found = found;
    }

    /** Searches the configured directory, the newest Debian install and the process's PATH. */
    public static PgBinaries locate(Optional<Path> binDirectory) {
        return locate(binDirectory, DEBIAN_ROOT, Optional.ofNullable(System.getenv("PATH")).orElse(""));
    }

    /** As {@link #locate(Optional)} with the Debian root and PATH given, for tests. */
    public static PgBinaries locate(Optional<Path> binDirectory, Path debianRoot, String pathVariable) {
        List<Path> dirs = new ArrayList<>();
        binDirectory.ifPresent(dirs::add);
        newestDebianBin(debianRoot).ifPresent(dirs::add);
        for (String entry : pathVariable.split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                dirs.add(Path.of(entry));
            }
        }
        Map<Program, Path> found = new EnumMap<>(Program.class);
        for (Program program : Program.values()) {
            for (Path dir : dirs) {
                Path candidate = dir.resolve(program.fileName());
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    found.put(program, candidate);
                    break;
                }
            }
        }
        return new PgBinaries(dirs, found);
    }

    /** The {@code bin} directory of the highest numbered major under {@code root}, if any. */
    static Optional<Path> newestDebianBin(Path root) {
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> majors = Files.list(root)) {
            return majors
                    .filter(p -> p.getFileName().toString().matches("\\d+(\\.\\d+)?"))
                    .filter(p -> Files.isDirectory(p.resolve("bin")))
                    .max(Comparator.comparingDouble(p -> Double.parseDouble(p.getFileName().toString())))
                    .map(p -> p.resolve("bin"));
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.PG_BINARIES_MISSING,
                    "unable to list PostgreSQL installations in '" + root + "': " + e.getMessage(), e);
        }
    }

    /**
     * The path of {@code program}.
     *
     * @throws PgwardenException {@code PG_BINARIES_MISSING} naming where it was looked for
     */
    public Path path(Program program) {
        Path p = found.get(program);
        if (p == null) {
            throw missing(List.of(program));
        }
        return p;
    }

    public boolean has(Program program) {
        return found.containsKey(program);
    }

    /** Fails at once, listing every missing program, instead of halfway through a job. */
    public PgBinaries require(Program... programs) {
        List<Program> missing = Stream.of(programs).filter(p -> !found.containsKey(p)).toList();
        if (!missing.isEmpty()) {
            throw missing(missing);
        }
        return this;
    }

    private PgwardenException missing(List<Program> programs) {
        String names = programs.stream().map(p -> "'" + p.fileName() + "'").collect(Collectors.joining(", "));
        String where = searched.isEmpty() ? "nowhere (no bin directory, no Debian install, empty PATH)"
                : searched.stream().map(d -> "'" + d + "'").collect(Collectors.joining(", "));
        return new PgwardenException(ErrorCode.PG_BINARIES_MISSING,
                "unable to find PostgreSQL program " + names + " in " + where,
                "install the PostgreSQL server package, e.g. 'apt-get install postgresql-15',"
                        + " or set 'postgres.bin-directory'", null);
    }

    @Override
    public String toString() {
        return "PgBinaries" + found;
    }
}
