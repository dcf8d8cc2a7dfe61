package dev.weft.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A database for one test class: H2 in memory (a fresh database) or the JVM's shared PostgreSQL
 * (isolated by table names: {@link #table(String)} gives each test its own).
 */
public final class TestDb implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();

    public final String kind;
    public final String url;
    public final String user;
    public final SimplePool pool;

    private TestDb(String kind, String url, String user) {
        this.kind = kind;
        this.url = url;
        this.user = user;
        this.pool = new SimplePool(url, user, user == null ? null : "");
    }

    /** A fresh in-memory H2 database that lives until the JVM ends. */
    public static TestDb h2() {
        return new TestDb("H2", "jdbc:h2:mem:weft-" + SEQ.incrementAndGet() + ";DB_CLOSE_DELAY=-1", null);
    }

    /** A fresh in-memory H2 database served over TCP by the H2 server on {@code port}, so other JVMs can use it. */
    public static TestDb h2Tcp(int port) {
        return new TestDb("H2", "jdbc:h2:tcp://127.0.0.1:" + port + "/mem:weft-" + SEQ.incrementAndGet() + ";DB_CLOSE_DELAY=-1", null);
    }

    /** The shared PostgreSQL (skips the test, or fails it with CI=true, when it is not installed). */
    public static TestDb postgres() {
        PostgresServer pg = PostgresServer.shared();
        return new TestDb("PostgreSQL", pg.jdbcUrl(), "weft");
    }

    /** A table name no other test uses. */
    public String table(String base) {
        return base + "_" + SEQ.incrementAndGet();
    }

    public DataSource dataSource() {
        return pool;
    }

    /** Runs statements with auto-commit. */
    public void exec(String... sql) throws SQLException {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            for (String s : sql) st.execute(s);
        }
    }

    /** The single number a query returns. */
    public long number(String sql) throws SQLException {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return kind;
    }
}
