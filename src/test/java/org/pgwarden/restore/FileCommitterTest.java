package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCommitterTest {
    @TempDir
    Path root;

    @Test
    void everyFileIsInPlaceUnderItsNameOnceFinished() throws Exception {
        int files = 300;   // more than may be pending at once, so writers are held back and go on
        try (FileCommitter committer = new FileCommitter(root, 3)) {
            for (int i = 0; i < files; i++) {
                Path target = Files.createDirectories(root.resolve("base").resolve(String.valueOf(i % 7)))
                        .resolve(String.valueOf(i));
                Path temp = target.resolveSibling(".pgwarden-restore-" + i);
                Files.writeString(temp, "file " + i);
                committer.commit(temp, target);
            }
            committer.finish();
        }
        for (int i = 0; i < files; i++) {
            assertThat(root.resolve("base").resolve(String.valueOf(i % 7)).resolve(String.valueOf(i)))
                    .hasContent("file " + i);
        }
        try (Stream<Path> all = Files.walk(root)) {
            assertThat(all.filter(p -> p.getFileName().toString().startsWith(".pgwarden-restore-")))
                    .as("no temporary file left").isEmpty();
        }
    }

    @Test
    void aFailedFileFailsTheRestoreNamingIt() throws Exception {
        Path target = root.resolve("global").resolve("pg_control");
        try (FileCommitter committer = new FileCommitter(root, 2)) {
            committer.commit(root.resolve("global").resolve(".pgwarden-restore-pg_control"), target);   // never written
            assertThatThrownBy(committer::finish).isInstanceOf(PgwardenException.class)
                    .hasMessageContaining("'" + target + "'")
                    .satisfies(e -> assertThat(((PgwardenException) e).errorCode()).isEqualTo(ErrorCode.REPO_IO));
            Path other = Files.writeString(root.resolve(".pgwarden-restore-other"), "x");
            assertThatThrownBy(() -> committer.commit(other, root.resolve("other")))
                    .as("no further file is accepted after a failure").isInstanceOf(PgwardenException.class);
        }
        assertThat(target).doesNotExist();
    }
}
