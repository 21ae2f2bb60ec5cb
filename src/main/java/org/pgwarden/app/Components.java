package org.pgwarden.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pgwarden.adapter.fs.FilesystemObjectStore;
import org.pgwarden.adapter.jdbc.JdbcPgCluster;
import org.pgwarden.adapter.kms.KmsKeyWrapper;
import org.pgwarden.adapter.s3.S3ObjectStore;
import org.pgwarden.config.EncryptionConfig;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.config.RepositoryConfig;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.PgCluster;
import org.pgwarden.storage.ObjectStore;

/**
 * The dependencies every command and the daemon share, opened from configuration. Opening does
 * not contact PostgreSQL, S3 or KMS (so a daemon starts while they are down and reports not
 * ready); it does read the local key file, whose problems are configuration errors.
 */
public record Components(PgCluster postgres, ObjectStore repository, KeyWrapper key) implements AutoCloseable {

    public static Components open(PgwardenConfig config, Map<String, String> environment, Metrics metrics) {
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            KeyWrapper key = openKey(config.encryption(), environment, metrics);
            opened.add(key);
            ObjectStore repository = openRepository(config.repository(), environment, metrics);
            opened.add(repository);
            PgCluster postgres = new JdbcPgCluster(config.postgres(), environment, metrics);
            return new Components(postgres, repository, key);
        } catch (RuntimeException e) {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    static ObjectStore openRepository(RepositoryConfig config, Map<String, String> environment, Metrics metrics) {
        if (config instanceof RepositoryConfig.Filesystem fs) {
            return new FilesystemObjectStore(fs.path());
        }
        return S3ObjectStore.open((RepositoryConfig.S3) config, environment, metrics);
    }

    static KeyWrapper openKey(EncryptionConfig config, Map<String, String> environment, Metrics metrics) {
        if (config instanceof EncryptionConfig.Local local) {
            return LocalKeyFileWrapper.open(local.keyFile());
        }
        return KmsKeyWrapper.open((EncryptionConfig.Kms) config, metrics);
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable c : new AutoCloseable[]{postgres, repository, key}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException r ? r : new RuntimeException(e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
