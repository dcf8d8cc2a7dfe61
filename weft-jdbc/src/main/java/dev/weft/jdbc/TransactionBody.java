package dev.weft.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The code of one database transaction, given its connection: see {@link JdbcOutbox#transaction}.
 * It must not commit, roll back or close the connection: the outbox does, after it returned.
 *
 * @param <T> what it returns
 */
@FunctionalInterface
public interface TransactionBody<T> {
    /** Does the transaction's work on {@code connection}; events it emits are stored with it. */
    T run(Connection connection) throws SQLException;
}
