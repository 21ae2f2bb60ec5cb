package org.pgwarden.app;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Version and runtime facts, for {@code version} and {@code pgwarden_build_info}. */
public record BuildInfo(String version, String javaVersion) {

    public static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/org/pgwarden/build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Only the version string is lost; report it as unknown.
        }
        String v = p.getProperty("version", "unknown");
        return new BuildInfo(v.startsWith("${") ? "unknown" : v, System.getProperty("java.version"));
    }
}
