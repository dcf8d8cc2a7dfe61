package dev.weft.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A minimal connection pool for tests and benchmarks (applications use their own, e.g. HikariCP):
 * {@code close()} on a connection it handed out gives it back, rolled back and in auto-commit.
 * Opening a PostgreSQL connection forks a server process (milliseconds), which would otherwise
 * dominate every transaction.
 */
public final class SimplePool implements DataSource, AutoCloseable {
    private final String url, user, password;
    private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();

    public SimplePool(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection real = idle.poll();
        while (real != null && real.isClosed()) real = idle.poll();
        if (real == null) real = user == null ? DriverManager.getConnection(url) : DriverManager.getConnection(url, user, password);
        Connection c = real;
        boolean[] returned = {false};
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, m, args) -> {
            switch (m.getName()) {
                case "close" -> {
                    if (returned[0]) return null;
                    returned[0] = true;
                    try {
                        if (!c.isClosed()) {
                            if (!c.getAutoCommit()) {
                                c.rollback();
                                c.setAutoCommit(true);
                            }
                            idle.offer(c);
                        }
                    } catch (SQLException broken) {
                        c.close();
                    }
                    return null;
                }
                case "isClosed" -> {
                    return returned[0] || c.isClosed();
                }
                case "unwrap" -> {
                    return c.unwrap((Class<?>) args[0]);
                }
                default -> {
                    if (returned[0]) throw new SQLException("connection already returned to the pool");
                    try {
                        return m.invoke(c, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }
            }
        });
    }

    @Override
    public Connection getConnection(String u, String p) {
        throw new UnsupportedOperationException("SimplePool has one user");
    }

    /** Closes every idle connection. */
    @Override
    public void close() {
        Connection c;
        while ((c = idle.poll()) != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }

    @Override public PrintWriter getLogWriter() { return null; }
    @Override public void setLogWriter(PrintWriter out) {}
    @Override public void setLoginTimeout(int seconds) {}
    @Override public int getLoginTimeout() { return 0; }
    @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }
    @Override public <T> T unwrap(Class<T> iface) throws SQLException { throw new SQLException("not a wrapper"); }
    @Override public boolean isWrapperFor(Class<?> iface) { return false; }
}
