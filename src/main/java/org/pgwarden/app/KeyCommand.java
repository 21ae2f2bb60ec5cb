package org.pgwarden.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pgwarden.common.ExitCode;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Master key files for {@code encryption.provider: local}. */
@Command(name = "key", mixinStandardHelpOptions = true, description = "Manage local master key files.")
final class KeyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: generate");
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {"Write a new master key file: 32 random bytes, mode 0600.",
                "Refuses to overwrite an existing file. Keep a copy outside this host: without it the",
                "repository cannot be read."})
    static final class Generate implements Callable<Integer> {
        private final PgwardenCli root;

        @Option(names = "--file", required = true, paramLabel = "PATH", description = "Where to write the key.")
        Path file;

        Generate(PgwardenCli root) {
            this.root = root;
        }

        @Override
        public Integer call() {
            LocalKeyFileWrapper.generateKeyFile(file.toAbsolutePath());
            try (KeyWrapper key = LocalKeyFileWrapper.open(file.toAbsolutePath())) {
                root.context().out().println("✔ wrote master key '" + key.masterKeyId() + "' to " + file.toAbsolutePath()
                        + " (mode 0600); keep a copy somewhere safe, off this host");
            }
            return ExitCode.OK;
        }
    }
}
