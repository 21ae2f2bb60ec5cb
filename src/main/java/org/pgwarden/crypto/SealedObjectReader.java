package org.pgwarden.crypto;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.util.Objects;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;

/**
 * Opens sealed objects of one repository. The header is read and checked in {@link #open}, in
 * this order, each failure with its own code and the object key: truncated header
 * ({@code INTEGRITY_TRUNCATED}), damaged or unknown header ({@code INTEGRITY_HEADER}), another
 * repository ({@code INTEGRITY_WRONG_STANZA}), data key not in the keyring
 * ({@code INTEGRITY_UNKNOWN_KEY}), key that does not match ({@code INTEGRITY_WRONG_KEY}). Body
 * failures surface while reading the returned stream.
 */
public final class SealedObjectReader {
    private final String repositoryId;
    private final DataKeySource keys;

    public SealedObjectReader(String repositoryId, DataKeySource keys) {
        ObjectHeader.requireId("repository id", repositoryId);
        this.repositoryId = repositoryId;
        this.keys = Objects.requireNonNull(keys, "keys");
    }

    /** Reads the header of {@code sealed} (stored under {@code objectKey}) and returns the plaintext stream. */
    public UnsealingInputStream open(InputStream sealed, ObjectKey objectKey) {
        ObjectHeader.Parsed parsed = ObjectHeader.read(sealed, objectKey);
        ObjectHeader header = parsed.header();
        if (!header.repositoryId().equals(repositoryId)) {
            throw new PgwardenException(ErrorCode.INTEGRITY_WRONG_STANZA, "object '" + objectKey
                    + "' belongs to repository '" + header.repositoryId() + "', not to '" + repositoryId + "'",
                    "check that repository path and stanza in the configuration point at the same repository", null);
        }
        SealingKey key = resolve(header.keyId(), objectKey);
        if (!header.keyCheckMatches(ObjectFormat.keyCheck(key))) {
            throw new PgwardenException(ErrorCode.INTEGRITY_WRONG_KEY, "object '" + objectKey + "' was sealed with a"
                    + " different key than the keyring holds under id '" + header.keyId() + "'");
        }
        BodyStream body = new BodyStream(sealed);
        AesGcmHkdfStreaming aead = ObjectFormat.streamingAead(key);
        InputStream decrypting;
        try {
            decrypting = aead.newDecryptingStream(body, ObjectFormat.associatedData(parsed.raw(), objectKey));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("unable to start decrypting '" + objectKey + "'", e);
        }
        AuthenticatedStream authenticated = new AuthenticatedStream(decrypting, body, objectKey);
        InputStream plaintext = Codec.forId(header.codecId()).decompress(authenticated);
        return new UnsealingInputStream(objectKey, header, body, authenticated, plaintext);
    }

    /** Key failures keep their code (and so their retry decision) and gain the object key. */
    private SealingKey resolve(String keyId, ObjectKey objectKey) {
        try {
            return keys.resolve(keyId);
        } catch (PgwardenException e) {
            throw new PgwardenException(e.errorCode(), "unable to open object '" + objectKey + "': " + e.getMessage(),
                    e.hint().orElse(null), e);
        }
    }
}
