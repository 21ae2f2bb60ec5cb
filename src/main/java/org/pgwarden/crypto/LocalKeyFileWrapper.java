package org.pgwarden.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * A master key held in a local file of exactly 32 random bytes, for hosts without a key service.
 * Data keys are wrapped with AES-256-GCM under it: a random 96-bit nonce per wrap and the master
 * key id as associated data, so a wrapped key only opens under the key it names.
 *
 * <p>Wrapped form: {@code 0x01 | nonce (12) | ciphertext (32) | tag (16)}, 61 bytes.
 */
public final class LocalKeyFileWrapper implements KeyWrapper {
    public static final int KEY_BYTES = 32;
    private static final int WRAP_VERSION = 1;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int WRAPPED_BYTES = 1 + NONCE_BYTES + KEY_BYTES + TAG_BITS / 8;
    private static final byte[] FINGERPRINT_LABEL = "pgwarden/v1/local-key-id\0".getBytes(StandardCharsets.US_ASCII);
    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private final SecureRandom random = new SecureRandom();
    private final String masterKeyId;
    private final Path file;
    private byte[] key;

    private LocalKeyFileWrapper(Path file, byte[] key) {
        this.file = file;
        this.key = key;
        this.masterKeyId = fingerprint(key);
    }

    /**
     * Loads the key file, refusing one that is not exactly 32 bytes, is a symbolic link's target
     * we cannot check, or that group or others may access in any way.
     */
    public static LocalKeyFileWrapper open(Path file) {
        try {
            if (!Files.exists(file)) {
                throw invalid(file, "does not exist", "create one with 'pgwarden key generate --file " + file + "'");
            }
            if (!Files.isRegularFile(file)) {
                throw invalid(file, "is not a regular file", "point encryption.local.key-file at the key file");
            }
            Set<PosixFilePermission> perms;
            try {
                perms = Files.getPosixFilePermissions(file);
            } catch (UnsupportedOperationException e) {
                throw invalid(file, "is on a file system without POSIX permissions, so its protection cannot be checked",
                        "keep the key file on a POSIX file system with mode 0600");
            }
            Set<PosixFilePermission> extra = EnumSet.noneOf(PosixFilePermission.class);
            extra.addAll(perms);
            extra.removeAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE));
            if (!extra.isEmpty()) {
                throw invalid(file, "is accessible by group or others (mode " + PosixFilePermissions.toString(perms)
                        + "); expected mode 0600 or 0400", "run 'chmod 600 " + file + "'");
            }
            long size = Files.size(file);
            if (size != KEY_BYTES) {
                throw invalid(file, "holds " + size + " bytes; expected exactly " + KEY_BYTES + " random bytes",
                        "create one with 'pgwarden key generate --file <path>' (never reuse a password or text)");
            }
            byte[] key = Files.readAllBytes(file);
            if (key.length != KEY_BYTES) {
                Arrays.fill(key, (byte) 0);
                throw invalid(file, "changed while it was read; expected exactly " + KEY_BYTES + " bytes", null);
            }
            return new LocalKeyFileWrapper(file, key);
        } catch (NoSuchFileException e) {
            throw invalid(file, "does not exist", "create one with 'pgwarden key generate --file " + file + "'");
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.KEY_FILE_INVALID, "unable to read key file '" + file + "': "
                    + e.getMessage(), e);
        }
    }

    /**
     * Creates a new key file of 32 random bytes with mode 0600 (set at creation, so the key is never
     * readable by others even for a moment). Refuses to overwrite an existing file.
     */
    public static void generateKeyFile(Path file) {
        byte[] k = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(k);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            // createFile's attribute is filtered by the umask; make the mode exact.
            Files.setPosixFilePermissions(file, OWNER_ONLY);
            Files.write(file, k);
        } catch (FileAlreadyExistsException e) {
            throw invalid(file, "already exists; refusing to overwrite a key", "choose another path");
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.KEY_FILE_INVALID, "unable to create key file '" + file + "': "
                    + e.getMessage(), e);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    /**
     * {@code local:} and the first 16 hex digits of SHA-256 over a domain label and the key: stable,
     * distinct per key, and useless for recovering the key.
     */
    static String fingerprint(byte[] key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(FINGERPRINT_LABEL);
            sha.update(key);
            return "local:" + HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    @Override
    public String masterKeyId() {
        return masterKeyId;
    }

    @Override
    public DataKey generateDataKey() {
        byte[] clear = new byte[KEY_BYTES];
        random.nextBytes(clear);
        return new DataKey(clear, wrap(clear), masterKeyId);
    }

    @Override
    public byte[] wrap(byte[] plaintext) {
        if (plaintext.length != KEY_BYTES) {
            throw new IllegalArgumentException("data keys are " + KEY_BYTES + " bytes");
        }
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, nonce);
            ByteBuffer out = ByteBuffer.allocate(WRAPPED_BYTES);
            out.put((byte) WRAP_VERSION).put(nonce).put(c.doFinal(plaintext));
            return out.array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("unable to wrap a data key under '" + masterKeyId + "'", e);
        }
    }

    @Override
    public byte[] unwrap(byte[] wrapped) {
        if (wrapped.length != WRAPPED_BYTES || wrapped[0] != WRAP_VERSION) {
            throw wrongKey("it is not a data key wrapped by a local key file");
        }
        try {
            Cipher c = cipher(Cipher.DECRYPT_MODE, Arrays.copyOfRange(wrapped, 1, 1 + NONCE_BYTES));
            return c.doFinal(wrapped, 1 + NONCE_BYTES, wrapped.length - 1 - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw wrongKey("it was wrapped by another master key or damaged");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("unable to unwrap a data key under '" + masterKeyId + "'", e);
        }
    }

    private Cipher cipher(int mode, byte[] nonce) throws GeneralSecurityException {
        if (key == null) {
            throw new IllegalStateException("key file wrapper '" + masterKeyId + "' is closed");
        }
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        c.updateAAD(masterKeyId.getBytes(StandardCharsets.US_ASCII));
        return c;
    }

    private PgwardenException wrongKey(String why) {
        return new PgwardenException(ErrorCode.INTEGRITY_WRONG_KEY, "unable to unwrap a data key with master key '"
                + masterKeyId + "' (key file '" + file + "'): " + why,
                "configure the key file the repository's data keys were wrapped with", null);
    }

    private static PgwardenException invalid(Path file, String what, String hint) {
        return new PgwardenException(ErrorCode.KEY_FILE_INVALID, "key file '" + file + "' " + what, hint, null);
    }

    /** Wipes the master key from memory. */
    @Override
    public void close() {
        if (key != null) {
            Arrays.fill(key, (byte) 0);
            key = null;
        }
    }

    @Override
    public String toString() {
        return "LocalKeyFileWrapper[" + masterKeyId + ", file=" + file + "]";
    }
}
