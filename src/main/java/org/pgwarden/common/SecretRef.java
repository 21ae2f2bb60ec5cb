package org.pgwarden.common;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where a secret lives, never the secret itself: {@code env:NAME} or {@code file:/absolute/path}.
 * The reference may be printed (it helps an operator find the secret); the resolved value is a
 * {@link Secret}, whose {@code toString} is masked.
 */
public record SecretRef(Kind kind, String location) {
    public enum Kind { ENV, FILE }

    public SecretRef {
        Objects.requireNonNull(kind);
        Objects.requireNonNull(location);
    }

    /** @throws IllegalArgumentException naming the accepted forms */
    public static SecretRef parse(String text) {
        if (text != null && text.startsWith("env:") && text.length() > 4
                && text.substring(4).matches("[A-Za-z_][A-Za-z0-9_]*")) {
            return new SecretRef(Kind.ENV, text.substring(4));
        }
        if (text != null && text.startsWith("file:/") && text.length() > 6) {
            return new SecretRef(Kind.FILE, text.substring(5));
        }
        throw new IllegalArgumentException(
                "expected a secret reference 'env:NAME' or 'file:/absolute/path' (secrets are never written in the config itself)");
    }

    /** Reads the secret now. Trailing newlines of a file are dropped. */
    public Secret resolve(Map<String, String> environment) {
        switch (kind) {
            case ENV -> {
                String v = environment.get(location);
                if (v == null || v.isEmpty()) {
                    throw new PgwardenException(ErrorCode.SECRET_UNRESOLVED,
                            "environment variable '" + location + "' named by secret reference '" + this
                                    + "' is not set");
                }
                return new Secret(v);
            }
            case FILE -> {
                try {
                    String v = Files.readString(Path.of(location), StandardCharsets.UTF_8);
                    return new Secret(v.replaceAll("[\\r\\n]+$", ""));
                } catch (NoSuchFileException e) {
                    throw new PgwardenException(ErrorCode.SECRET_UNRESOLVED,
                            "secret file '" + location + "' does not exist");
                } catch (IOException e) {
                    throw new PgwardenException(ErrorCode.SECRET_UNRESOLVED,
                            "unable to read secret file '" + location + "': " + e.getClass().getSimpleName());
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    @Override
    public String toString() {
        return (kind == Kind.ENV ? "env:" : "file:") + location;
    }
}
