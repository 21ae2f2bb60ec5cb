package org.pgwarden.adapter.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.RepositoryConfig;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectStore;
import org.pgwarden.storage.ObjectStoreContract;

class FilesystemObjectStoreIT extends ObjectStoreContract {
    @TempDir
    static Path dir;
    static Path root;
    static FilesystemObjectStore store;

    @BeforeAll
    static void openStore() {
        root = dir.resolve("repo");
        store = new FilesystemObjectStore(new RepositoryConfig.Filesystem(root));
    }

    @AfterAll
    static void closeStore() {
        store.close();
    }

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected void assertNoUnfinishedWrites() {
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(FsPaths.TEMP_PREFIX));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The filesystem store does not hash what it stores (sealed objects authenticate themselves). */
    @Override
    protected Optional<String> putChecksum(byte[] data) {
        return Optional.empty();
    }

    @Test
    void objectsAreFilesUnderTheRootAndCreateIsAtomic() throws IOException {
        ObjectInfo info = store.put(key("a/b/c.bin"), new ByteArrayInputStream(new byte[]{1, 2, 3}));

        assertThat(Files.readAllBytes(root.resolve(base).resolve("a/b/c.bin"))).containsExactly(1, 2, 3);
        assertThat(info.size()).isEqualTo(3);
        assertThat(store.capabilities().conditionalCreate()).isTrue();
        assertThat(store.capabilities().objectLock()).isFalse();
        assertThat(store.describe()).isEqualTo(root.toAbsolutePath().normalize().toString());
    }

    @Test
    void keysCannotUseTheTemporaryNamesOrEscapeTheRoot() throws IOException {
        Path outside = dir.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("secret"), "x");

        assertThatThrownBy(() -> store.put(key(FsPaths.TEMP_PREFIX + "x"), new ByteArrayInputStream(new byte[1])))
                .isInstanceOfSatisfying(PgwardenException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_REQUEST_INVALID));
        assertThat(listNames("../outside")).isEmpty();
        assertThat(listNames("..")).isEmpty();
    }

    @Test
    void deleteRemovesDirectoriesItLeftEmpty() {
        store.put(key("x/y/z"), new ByteArrayInputStream(new byte[1]));
        store.delete(List.of(key("x/y/z")));

        assertThat(root.resolve(base).resolve("x")).doesNotExist();
    }

    @Test
    void leftoverTemporaryFilesAreNeverListed() throws IOException {
        store.put(key("real"), new ByteArrayInputStream(new byte[1]));
        Files.write(root.resolve(base).resolve(FsPaths.TEMP_PREFIX + "crashed"), new byte[5]);

        assertThat(listNames(base + "/")).containsExactly("real");
        Files.delete(root.resolve(base).resolve(FsPaths.TEMP_PREFIX + "crashed"));
    }
}
