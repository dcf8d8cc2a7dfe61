package dev.weft.jdbc;

import dev.weft.events.transport.EncodedDeadLetter;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.TransportMessage;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Dead letters in a table of the application's database, so they survive a restart (ADR 0042):
 * give it to a bus ({@code EventBus.builder()...deadLetters(store)}), to a {@code Worker}
 * ({@code Worker.Builder.deadLetters(store)}), and look at it with {@code weft dead list --jdbc <url>}.
 *
 * <pre>{@code
 * JdbcDeadLetterStore deadLetters = JdbcDeadLetterStore.builder(dataSource).createTable(true).build(); // PostgreSQL or H2
 * EventBus bus = EventBus.builder().declare(SightingReported.class).codec(new JacksonEventCodec())
 *         .deadLetters(deadLetters).build();
 * // after a restart, a bus built the same way lists and replays what the old one parked:
 * bus.deadLetters();   bus.replayAll();
 * }</pre>
 *
 * <p>One row per letter (table {@code weft_dead_letters} unless {@link Builder#table} says
 * otherwise; docs/WIRE.md): the letter's id, the handler, the event's id and name, its JSON envelope
 * as text, the error text, the attempts and the time. The store knows no event types: the bus
 * decodes the body with its codec. Each call takes a connection from the data source, does one or
 * two statements and commits (when the connection is not in auto-commit), so a letter is durable
 * when {@link #add} returns. A database error comes out as an {@link IllegalStateException} naming
 * the store and the problem. Thread-safe; any number of stores (processes) may share a table.
 * PostgreSQL and H2 are supported; another database fails at {@link Builder#build()} with
 * {@link UnsupportedOperationException}.
 */
// Implementer's note. seq (an identity) gives the order; letter_id is unique, so remove is a read
// and a DELETE whose update count says who won: of two removers of one letter only one deletes a
// row, and only that one returns it. Rows are never updated, so what the read saw is what was deleted.
public final class JdbcDeadLetterStore implements EncodedDeadLetterStore {
    static final String DEFAULT_TABLE = "weft_dead_letters";
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");
    /** The SQL state of a unique-constraint violation, on PostgreSQL and H2 alike. */
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String COLUMNS = "letter_id, handler, event_id, name, body, error, attempts, failed_at";

    private final DataSource dataSource;
    private final String table;
    private final Dialect dialect;
    private final int maxPayloadBytes;

    private JdbcDeadLetterStore(Builder b, Dialect dialect) {
        this.dataSource = b.dataSource;
        this.table = b.table;
        this.dialect = dialect;
        this.maxPayloadBytes = b.maxPayloadBytes;
    }

    /** A builder for a store on {@code dataSource} (table {@code weft_dead_letters} by default). */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    @Override
    public String name() {
        return "jdbc:" + table;
    }

    /** The table's name. */
    public String table() {
        return table;
    }

    /** The schema script (one table, one index) for the connected database, with this store's table name; docs/WIRE.md. */
    public String schema() {
        String simple = table.substring(table.lastIndexOf('.') + 1);
        // PostgreSQL puts an index in its table's schema and refuses a qualified index name; H2 wants it qualified.
        String index = (dialect == Dialect.POSTGRESQL ? simple : table) + "_handler";
        String marker = "\u0000index\u0000";
        return dialect.script("dead-letters", DEFAULT_TABLE + "_handler", marker).replace(DEFAULT_TABLE, table).replace(marker, index);
    }

    /** Runs {@link #schema()}: creates the table and its index if they do not exist. */
    public void createTable() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            for (String sql : Dialect.statements(schema())) st.execute(sql);
            if (!c.getAutoCommit()) c.commit();
        }
    }

    /**
     * Inserts the letter; durable when this returns. A letter whose id the table keeps already is
     * not inserted twice.
     *
     * @throws IllegalArgumentException if the event's body is over {@link Builder#maxPayloadBytes} or not UTF-8 text
     * @throws IllegalStateException    if the database fails (down, table missing); the message says which and what to do
     */
    @Override
    public void add(EncodedDeadLetter letter) {
        Objects.requireNonNull(letter, "letter");
        TransportMessage m = letter.message();
        if (m.body().length > maxPayloadBytes) {
            throw new IllegalArgumentException("event '" + m.name() + "' " + m.id() + " is " + m.body().length + " bytes, over the limit of "
                    + maxPayloadBytes + " bytes of dead-letter store '" + name() + "': raise JdbcDeadLetterStore.Builder.maxPayloadBytes");
        }
        String body = text(m);
        try {
            insert(letter, m, body);
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof SQLException s && UNIQUE_VIOLATION.equals(s.getSQLState())) return; // kept already: once is enough
            throw e;
        }
    }

    private void insert(EncodedDeadLetter letter, TransportMessage m, String body) {
        run("keep dead letter " + letter.id(), c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, letter.id().toString());
                ps.setString(2, letter.handler());
                ps.setString(3, m.id());
                ps.setString(4, m.name());
                ps.setString(5, body);
                ps.setString(6, letter.error().replace('\0', '\uFFFD')); // PostgreSQL's text cannot hold NUL; an exception message may
                ps.setInt(7, letter.attempts());
                ps.setObject(8, OffsetDateTime.ofInstant(letter.time().truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC));
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public List<EncodedDeadLetter> list(String handler, int limit) {
        if (limit < 1) throw new IllegalArgumentException("limit is " + limit + ": at least 1");
        return run("list dead letters", c -> {
            String sql = "SELECT " + COLUMNS + " FROM " + table + (handler == null ? "" : " WHERE handler = ?") + " ORDER BY seq LIMIT ?";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                if (handler != null) ps.setString(i++, handler);
                ps.setInt(i, limit);
                List<EncodedDeadLetter> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(letter(rs));
                }
                return out;
            }
        });
    }

    @Override
    public Optional<EncodedDeadLetter> find(UUID id) {
        Objects.requireNonNull(id, "id");
        return run("read dead letter " + id, c -> read(c, id));
    }

    @Override
    public Optional<EncodedDeadLetter> remove(UUID id) {
        Objects.requireNonNull(id, "id");
        return run("remove dead letter " + id, c -> {
            Optional<EncodedDeadLetter> found = read(c, id);
            if (found.isEmpty()) return found;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE letter_id = ?")) {
                ps.setString(1, id.toString());
                return ps.executeUpdate() == 1 ? found : Optional.<EncodedDeadLetter>empty();
            }
        });
    }

    @Override
    public int purge(String handler) {
        return run(handler == null ? "purge dead letters" : "purge the dead letters of " + handler, c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + (handler == null ? "" : " WHERE handler = ?"))) {
                if (handler != null) ps.setString(1, handler);
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public long count(String handler) {
        return run("count dead letters", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table + (handler == null ? "" : " WHERE handler = ?"))) {
                if (handler != null) ps.setString(1, handler);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    private Optional<EncodedDeadLetter> read(Connection c, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + table + " WHERE letter_id = ?")) {
            ps.setString(1, id.toString());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(letter(rs)) : Optional.empty();
            }
        }
    }

    /** The body as text; refuses bytes that are not UTF-8, at the call. */
    private String text(TransportMessage m) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(m.body())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("event '" + m.name() + "' " + m.id() + ": its body is not UTF-8 text, and dead-letter store '"
                    + name() + "' keeps JSON bodies as text (use a JSON codec such as JacksonEventCodec)", e);
        }
    }

    private static EncodedDeadLetter letter(ResultSet rs) throws SQLException {
        TransportMessage m = new TransportMessage(rs.getString(3), rs.getString(4), rs.getString(5).getBytes(StandardCharsets.UTF_8));
        return new EncodedDeadLetter(UUID.fromString(rs.getString(1)), rs.getString(2), m, rs.getString(6), rs.getInt(7),
                rs.getObject(8, OffsetDateTime.class).toInstant());
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** One connection, {@code work}, a commit when the connection is not in auto-commit; SQL failures as IllegalStateException. */
    private <T> T run(String what, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            try {
                T result = work.run(c);
                if (!c.getAutoCommit()) c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                if (!c.getAutoCommit()) {
                    try {
                        c.rollback();
                    } catch (SQLException rollbackFailed) {
                        e.addSuppressed(rollbackFailed);
                    }
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("dead-letter store '" + name() + "' on " + dialect.product + " cannot " + what + ": "
                    + firstLine(e.getMessage()) + (missingTable(e) ? "; the table does not exist: create it with"
                    + " JdbcDeadLetterStore.Builder.createTable(true) or run schema() (docs/WIRE.md)" : ""), e);
        }
    }

    private static boolean missingTable(SQLException e) {
        String state = e.getSQLState();
        // PostgreSQL; H2: 42S02 (table not found), 42S04 (table not found, and the database is empty)
        return "42P01".equals(state) || "42S02".equals(state) || "42S04".equals(state) || "42102".equals(state);
    }

    private static String firstLine(String s) {
        if (s == null) return "(no message)";
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        // H2 ends the line with "; SQL statement:" and puts the statement on the next one.
        return line.endsWith("; SQL statement:") ? line.substring(0, line.length() - "; SQL statement:".length()) : line;
    }

    @Override
    public String toString() {
        return "JdbcDeadLetterStore[" + table + " on " + dialect.product + "]";
    }

    /** Configures a {@link JdbcDeadLetterStore}. */
    public static final class Builder {
        private final DataSource dataSource;
        private String table = DEFAULT_TABLE;
        private boolean createTable;
        private int maxPayloadBytes = 1_000_000;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /** The table ({@code name} or {@code schema.name}); default {@code weft_dead_letters}. One table per service. */
        public Builder table(String name) {
            Objects.requireNonNull(name, "name");
            if (!IDENTIFIER.matcher(name).matches()) {
                throw new IllegalArgumentException("table name '" + name + "' is not a plain SQL identifier (letters, digits, _; optionally schema.table)");
            }
            this.table = name;
            return this;
        }

        /** Whether {@link #build()} creates the table and its index if they are missing; default false (run the script yourself). */
        public Builder createTable(boolean create) {
            this.createTable = create;
            return this;
        }

        /** The largest event body kept, in bytes; default 1,000,000 (H2's limit for the column). */
        public Builder maxPayloadBytes(int bytes) {
            if (bytes < 1) throw new IllegalArgumentException("maxPayloadBytes is " + bytes + ": at least 1");
            this.maxPayloadBytes = bytes;
            return this;
        }

        /**
         * Connects once to learn the database (and to create the table, if asked).
         *
         * @throws SQLException                  if the database cannot be reached or the script fails
         * @throws UnsupportedOperationException if the database is not PostgreSQL or H2
         */
        public JdbcDeadLetterStore build() throws SQLException {
            Dialect d;
            try (Connection c = dataSource.getConnection()) {
                d = Dialect.of(c);
            }
            JdbcDeadLetterStore store = new JdbcDeadLetterStore(this, d);
            if (createTable) store.createTable();
            return store;
        }
    }
}
