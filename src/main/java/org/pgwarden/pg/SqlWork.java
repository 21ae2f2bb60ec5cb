package org.pgwarden.pg;

import java.sql.Connection;
import java.sql.SQLException;

/** Work done on a borrowed connection; it must not close or keep the connection. */
@FunctionalInterface
public interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
}
