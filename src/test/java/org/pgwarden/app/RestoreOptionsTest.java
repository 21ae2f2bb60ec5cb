package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.WalFetchConfig.WalSource;
import org.pgwarden.restore.RecoveryTarget;
import org.junit.jupiter.api.Test;

/**
 * A restore's options read the same from the command line and from the daemon's job parameters,
 * and an error names the option the way its caller wrote it.
 */
class RestoreOptionsTest {
    private static final UnaryOperator<String> CLI = n -> "--" + n;
    private static final UnaryOperator<String> API = n -> "parameter '" + n + "' of job kind 'restore'";

    @Test
    void theCommandLinesOptionsTravelAsParametersAndReadBackTheSame() {
        RestoreOptions cli = new RestoreOptions("20261124-101500F", "2026-11-24T10:30:00Z", null, null, null, null,
                "promote", "latest", List.of("/old/a=/new/a", "/old/b=/new/b"), "prestage");
        Map<String, String> parameters = cli.parameters();
        assertThat(parameters).containsEntry("set", "20261124-101500F").containsEntry("target-action", "promote")
                .containsEntry("tablespace-map", "/old/a=/new/a,/old/b=/new/b").doesNotContainKey("target-lsn");

        RestoreOptions.Parsed p = RestoreOptions.of(parameters).parse(WalSource.FETCH, API);
        assertThat(p.label()).hasValueSatisfying(l -> assertThat(l.toString()).isEqualTo("20261124-101500F"));
        assertThat(p.target()).isEqualTo(new RecoveryTarget.Time(Instant.parse("2026-11-24T10:30:00Z")));
        assertThat(p.action()).isEqualTo(RecoveryTarget.Action.PROMOTE);
        assertThat(p.tablespaces()).containsExactly(Map.entry(Path.of("/old/a"), Path.of("/new/a")),
                Map.entry(Path.of("/old/b"), Path.of("/new/b")));
        assertThat(p.walSource()).isEqualTo(WalSource.PRESTAGE);
        assertThat(RestoreOptions.of(parameters).timeline()).hasValue("latest");
    }

    @Test
    void defaultsAreTheLatestBackupAllArchivedWalPauseAndTheConfiguredWalSource() {
        RestoreOptions.Parsed p = RestoreOptions.of(Map.of()).parse(WalSource.PRESTAGE, API);
        assertThat(p.label()).isEmpty();
        assertThat(p.target()).isInstanceOf(RecoveryTarget.Latest.class);
        assertThat(p.action()).isEqualTo(RecoveryTarget.Action.PAUSE);
        assertThat(p.walSource()).isEqualTo(WalSource.PRESTAGE);
    }

    @Test
    void errorsNameTheOptionAsTheCallerWroteIt() {
        assertThat(usage(() -> options(Map.of("target-lsn", "soon")).parse(WalSource.FETCH, CLI)))
                .isEqualTo("--target-lsn 'soon' is not a WAL position such as 0/5000028");
        assertThat(usage(() -> options(Map.of("target-lsn", "soon")).parse(WalSource.FETCH, API)))
                .isEqualTo("parameter 'target-lsn' of job kind 'restore' 'soon' is not a WAL position such as 0/5000028");
        assertThat(usage(() -> options(Map.of("target-xid", "x1")).parse(WalSource.FETCH, CLI)))
                .isEqualTo("--target-xid 'x1' is not a transaction id");
        assertThat(usage(() -> options(Map.of("target-time", "yesterday")).parse(WalSource.FETCH, CLI)))
                .contains("--target-time 'yesterday' is not an ISO-8601 time");
        assertThat(usage(() -> options(Map.of("target", "now", "target-name", "before-upgrade"))
                .parse(WalSource.FETCH, CLI))).startsWith("give at most one of --target-time, --target-lsn");
        assertThat(usage(() -> options(Map.of("target-action", "stop")).parse(WalSource.FETCH, CLI)))
                .isEqualTo("--target-action 'stop' is not promote, pause or shutdown");
        assertThat(usage(() -> options(Map.of("tablespace-map", "relative=/new")).parse(WalSource.FETCH, API)))
                .isEqualTo("parameter 'tablespace-map' of job kind 'restore' 'relative=/new' is not /old/path=/new/path");
        assertThat(usage(() -> options(Map.of("set", "yesterday")).parse(WalSource.FETCH, CLI)))
                .isEqualTo("--set 'yesterday' is not a backup label or 'latest'");
        assertThat(usage(() -> options(Map.of("wal-source", "s3")).parse(WalSource.FETCH, CLI)))
                .startsWith("--wal-source ");
    }

    private static RestoreOptions options(Map<String, String> p) {
        return RestoreOptions.of(p);
    }

    private static String usage(Runnable r) {
        try {
            r.run();
        } catch (PgwardenException e) {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.USAGE);
            return e.getMessage();
        }
        throw new AssertionError("no error");
    }

}
