package org.pgwarden.app;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.EncryptionConfig;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.Keyring;
import org.pgwarden.storage.ObjectStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "rekey", mixinStandardHelpOptions = true,
        description = {"Re-wrap every data key in the repository's keyring under a new master key.",
            "Data objects are not rewritten. Afterwards the old master key is no longer needed:",
            "point encryption.* in the configuration at the new key. Safe to run again after an interruption."})
final class RekeyCommand implements Callable<Integer> {
    private final PgwardenCli root;

    @Option(names = "--to", required = true, paramLabel = "PROVIDER:KEY",
            description = "The new master key: 'local:/path/to/key-file' or 'kms:<key id, ARN or alias>'.")
    String to;

    @Option(names = "--kms-region", paramLabel = "REGION",
            description = "Region of the new KMS key (default: the configured KMS region, else us-east-1).")
    String kmsRegion;

    @Option(names = "--kms-endpoint", paramLabel = "URL", description = "Endpoint of the new KMS key, if not AWS's.")
    URI kmsEndpoint;

    RekeyCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        PgwardenConfig config = root.loadConfig().config();
        LoggingSetup.apply(config.logging());
        EncryptionConfig target = parseTarget(config.encryption());
        var env = root.context().environment();
        try (ObjectStore store = Components.openRepository(config.repository(), env, Metrics.noop());
                KeyWrapper from = Components.openKey(config.encryption(), env, Metrics.noop());
                KeyWrapper toKey = Components.openKey(target, env, Metrics.noop())) {
            if (from.masterKeyId().equals(toKey.masterKeyId())) {
                throw new PgwardenException(ErrorCode.USAGE, "--to names the configured master key '"
                        + from.masterKeyId() + "'; nothing to do");
            }
            Keyring.RekeyResult r = Keyring.rekey(store, config.stanza(), from, toKey);
            var out = root.context().out();
            out.println("✔ re-wrapped " + r.rewrapped() + " data key(s) from master key '" + r.fromMasterKeyId()
                    + "' to '" + r.toMasterKeyId() + "'" + (r.alreadyDone() == 0 ? ""
                    : " (" + r.alreadyDone() + " already under it)"));
            out.println("next: set the configuration to the new key, then run 'pgwarden check':");
            out.println(describe(target));
            out.println("the old master key '" + r.fromMasterKeyId() + "' is no longer needed by this repository");
            return ExitCode.OK;
        }
    }

    private EncryptionConfig parseTarget(EncryptionConfig current) {
        int colon = to.indexOf(':');
        String provider = colon < 0 ? "" : to.substring(0, colon);
        String key = colon < 0 ? "" : to.substring(colon + 1);
        if (provider.equals("local") && key.startsWith("/")) {
            return new EncryptionConfig.Local(Path.of(key), current.keyCacheTtl());
        }
        if (provider.equals("kms") && !key.isBlank()) {
            Optional<EncryptionConfig.Kms> kms = current instanceof EncryptionConfig.Kms k ? Optional.of(k) : Optional.empty();
            String region = kmsRegion != null ? kmsRegion : kms.map(EncryptionConfig.Kms::region).orElse("us-east-1");
            Optional<URI> endpoint = kmsEndpoint != null ? Optional.of(kmsEndpoint)
                    : kms.flatMap(EncryptionConfig.Kms::endpoint);
            return new EncryptionConfig.Kms(key, region, endpoint,
                    kms.map(EncryptionConfig.Kms::retry).orElse(new org.pgwarden.common.RetryPolicy(5,
                            java.time.Duration.ofMillis(500), java.time.Duration.ofSeconds(30), 2.0)),
                    current.keyCacheTtl());
        }
        throw new PgwardenException(ErrorCode.USAGE, "--to '" + to + "' is not a master key",
                "use 'local:/absolute/path/to/key-file' or 'kms:<key id, ARN or alias>'", null);
    }

    private static String describe(EncryptionConfig c) {
        if (c instanceof EncryptionConfig.Local l) {
            return "  encryption:\n    provider: local\n    local:\n      key-file: " + l.keyFile();
        }
        EncryptionConfig.Kms k = (EncryptionConfig.Kms) c;
        return "  encryption:\n    provider: kms\n    kms:\n      key-id: " + k.keyId() + "\n      region: " + k.region()
                + k.endpoint().map(e -> "\n      endpoint: " + e).orElse("");
    }
}
