package dev.weft.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What differs between the databases weft-jdbc runs on: the schema scripts, how to add a
 * duration to the current time, and how a transaction's commit may skip waiting for the disk. Everything else is standard SQL that both accept
 * ({@code LIMIT}, {@code FOR UPDATE SKIP LOCKED}, {@code GENERATED ALWAYS AS IDENTITY}).
 */
enum Dialect {
    POSTGRESQL("PostgreSQL", "postgresql", "CURRENT_TIMESTAMP + CAST(? AS BIGINT) * INTERVAL '1 millisecond'",
            "SET LOCAL synchronous_commit TO OFF"),
    H2("H2", "h2", "DATEADD(MILLISECOND, CAST(? AS BIGINT), CURRENT_TIMESTAMP)", null);

    final String product;
    final String scriptSuffix;
    /** An expression for "now plus ? milliseconds" (one parameter). */
    final String nowPlusMillis;
    /**
     * A statement that makes this transaction's commit not wait for the disk, or null: for the
     * relay's settle only, whose loss in a database crash means a duplicate, never a lost event (ADR 0044).
     */
    final String asyncCommit;

    Dialect(String product, String scriptSuffix, String nowPlusMillis, String asyncCommit) {
        this.product = product;
        this.scriptSuffix = scriptSuffix;
        this.nowPlusMillis = nowPlusMillis;
        this.asyncCommit = asyncCommit;
    }

    /**
     * The dialect of the database behind {@code c}.
     *
     * @throws UnsupportedOperationException for a database weft-jdbc does not support yet
     */
    static Dialect of(Connection c) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName();
        for (Dialect d : values()) {
            if (d.product.equalsIgnoreCase(product)) return d;
        }
        throw new UnsupportedOperationException("weft-jdbc supports PostgreSQL and H2; this database is '" + product
                + "', which it does not support yet (its SQL for the schema, row locks and time arithmetic has not been written or tested):"
                + " see docs/adr/0040-jdbc-outbox.md, 'What we left out'");
    }

    /** The schema script {@code name} ("outbox" or "dead-letters") for this database, with its tables renamed. */
    String script(String name, String defaultTable, String table) {
        String resource = name + "-" + scriptSuffix + ".sql";
        try (InputStream in = Dialect.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("weft-jdbc is missing its resource " + resource);
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.replace(defaultTable, table);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    /** The statements of a script: split at semicolons that end a line, comment lines dropped. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : script.split("\n")) {
            String code = line.contains("--") ? line.substring(0, line.indexOf("--")) : line;
            if (code.isBlank()) continue;
            cur.append(code).append('\n');
            if (code.strip().endsWith(";")) {
                String s = cur.toString().strip();
                out.add(s.substring(0, s.length() - 1));
                cur.setLength(0);
            }
        }
        if (!cur.toString().isBlank()) out.add(cur.toString().strip());
        return out;
    }
}
