package org.pgwarden.adapter.jdbc;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.newsclub.net.unix.AFUNIXSocketFactory;
import org.pgwarden.common.Secret;
import org.pgwarden.config.PostgresConfig;
import org.postgresql.PGProperty;

/**
 * The driver URL and properties for one configured server, built once and shared by the pool and
 * by dedicated connections so both reach the server the same way. The password lives only in the
 * {@link Properties} handed to the driver; the URL never carries it.
 */
final class PgConnectionSettings {
    private final String url;
    private final Properties properties;
    private final String endpoint;

    private PgConnectionSettings(String url, Properties properties, String endpoint) {
        this.url = url;
        this.properties = properties;
        this.endpoint = endpoint;
    }

    static PgConnectionSettings of(PostgresConfig.Connection c, Optional<Secret> password) {
        Properties p = new Properties();
        PGProperty.USER.set(p, c.user());
        password.ifPresent(s -> PGProperty.PASSWORD.set(p, s.reveal()));
        PGProperty.APPLICATION_NAME.set(p, c.applicationName());
        PGProperty.CONNECT_TIMEOUT.set(p, (int) Math.max(1, ceilSeconds(c.connectTimeout())));
        PGProperty.LOGIN_TIMEOUT.set(p, (int) Math.max(1, ceilSeconds(c.connectTimeout())));
        PGProperty.TCP_KEEP_ALIVE.set(p, true);
        // set per session at connect time, so no caller can forget it
        PGProperty.OPTIONS.set(p, "-c statement_timeout=" + c.statementTimeout().toMillis());

        String endpoint;
        String host;
        if (c.socket().isPresent()) {
            Path socketFile = socketFile(c.socket().get(), c.port());
            // PgJDBC has no native Unix socket support; junixsocket's factory connects to the
            // socket file given as its argument and ignores the host and port in the URL
            PGProperty.SOCKET_FACTORY.set(p, AFUNIXSocketFactory.FactoryArg.class.getName());
            PGProperty.SOCKET_FACTORY_ARG.set(p, socketFile.toString());
            // the server refuses SSL on a Unix socket anyway; asking only costs a round trip
            PGProperty.SSL_MODE.set(p, "disable");
            host = "localhost";
            endpoint = "socket '" + socketFile + "'";
        } else {
            host = c.host().contains(":") && !c.host().startsWith("[") ? "[" + c.host() + "]" : c.host();
            endpoint = "'" + c.host() + ":" + c.port() + "'";
        }
        String url = "jdbc:postgresql://" + host + ":" + c.port() + "/" + urlEncode(c.database());
        return new PgConnectionSettings(url, p, endpoint);
    }

    /** PostgreSQL's socket file name inside its socket directory. */
    static Path socketFile(Path socketDirectory, int port) {
        return socketDirectory.resolve(".s.PGSQL." + port);
    }

    private static long ceilSeconds(Duration d) {
        return (d.toMillis() + 999) / 1000;
    }

    private static String urlEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    String url() {
        return url;
    }

    /** The same server, user and session settings, connecting to {@code database}. */
    PgConnectionSettings forDatabase(String database) {
        String base = url.substring(0, url.lastIndexOf('/') + 1);
        return new PgConnectionSettings(base + urlEncode(database), properties(), endpoint);
    }

    /** A copy, so no caller can change what the pool uses. */
    Properties properties() {
        Properties copy = new Properties();
        copy.putAll(properties);
        return copy;
    }

    /** {@code 'host:port'} or {@code socket '/dir/.s.PGSQL.port'}, quoted, for messages. */
    String endpoint() {
        return endpoint;
    }
}
