package dev.weft.jdbc;

import dev.weft.ContextKey;
import dev.weft.ExceptionGroup;
import dev.weft.Scope;
import dev.weft.events.EventBus;
import dev.weft.events.transport.Outbox;
import dev.weft.events.transport.Transport;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A transactional outbox on plain JDBC (ADR 0040): events emitted inside
 * {@link #transaction(TransactionBody)} are written to the outbox table through that transaction's
 * connection, so they commit or roll back with the business data; an {@link OutboxRelay} then
 * publishes the committed ones to a {@link Transport}.
 *
 * <pre>{@code
 * JdbcOutbox outbox = JdbcOutbox.builder(dataSource).createTable(true).build();
 * EventBus bus = EventBus.builder().declare(SightingReported.class).codec(new JacksonEventCodec()).outbox(outbox).build();
 * OutboxRelay relay = outbox.relay(redisTransport).build();
 * Thread.ofVirtual().start(relay::run);                      // or scope.forkBackground(relay::run)
 *
 * long id = outbox.transaction(connection -> {               // the one line around your transaction
 *     long sighting = insertSighting(connection, "kestrel", 2);
 *     bus.emit(new SightingReported(sighting, "kestrel", 2)); // stored with the row, published after the commit
 *     return sighting;
 * });
 * }</pre>
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li>An event emitted in the body is in the outbox table if and only if the transaction
 *   committed: {@code transaction} inserts the events through the body's connection after the
 *   body (and every task it forked) returned, then commits; if the body throws, or the insert or
 *   the commit fails, it rolls back and nothing of the body's events is ever published.</li>
 *   <li>Local handlers of those events run after the commit, on the bus's threads (E4): when the
 *   transaction is the outermost scope, right after it; inside a {@linkplain EventBus#unitOfWork
 *   unit of work} (an HTTP request with {@code RequestScopeFilter}), when that unit of work
 *   succeeded, as any event of a nested scope (ADR 0017). The outbox's events follow the
 *   transaction: a request that fails after the commit still publishes them.</li>
 *   <li>On a bus built with {@link EventBus.Builder#outbox(Outbox) outbox(this)}, an emit outside
 *   a transaction of this outbox is refused with a message that says so
 *   ({@code EventRejectedException.Reason.NO_UNIT_OF_WORK}); nothing falls back to memory.</li>
 *   <li>Within one transaction, events keep their emit order (their ids in the table).</li>
 * </ul>
 *
 * <p>The schema is one table and one index, in {@code outbox-postgresql.sql} and
 * {@code outbox-h2.sql} beside this class (docs/WIRE.md); {@link #schema()} returns the script
 * for the connected database, and {@link Builder#createTable(boolean)} runs it on start.
 * PostgreSQL and H2 are supported; another database fails at {@link Builder#build()} with
 * {@link UnsupportedOperationException}.
 */
// Implementer's note. The transaction is two scopes: one that holds the transaction (the context
// value the bus's add finds; its local events move up to an enclosing scope or are dispatched when
// it ends, ADR 0017) and, inside it, one for the body, so every task the body forked
// has ended (S1) before the events are inserted and the transaction commits. Events are buffered
// in the Tx at emit (the bus calls add on the emitting thread, after validating and encoding) and
// inserted with one batched statement just before the commit: one round trip for all of them.
public final class JdbcOutbox implements Outbox {
    private static final ContextKey<Tx> TX = ContextKey.named("weft-jdbc.transaction");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");
    static final String DEFAULT_TABLE = "weft_outbox";

    private final DataSource dataSource;
    private final String table;
    private final Dialect dialect;
    private final int maxPayloadBytes;
    private final String insertSql;
    /** Relays of this outbox in this process, woken after a commit that stored events. */
    private final List<OutboxRelay> localRelays = new CopyOnWriteArrayList<>();

    private JdbcOutbox(Builder b, Dialect dialect) {
        this.dataSource = b.dataSource;
        this.table = b.table;
        this.dialect = dialect;
        this.maxPayloadBytes = b.maxPayloadBytes;
        this.insertSql = "INSERT INTO " + table + " (event_id, name, body) VALUES (?, ?, ?)";
    }

    /** A builder for an outbox on {@code dataSource} (table {@code weft_outbox} by default). */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /**
     * Runs {@code body} in a new transaction on a connection from the data source, and commits it
     * with the events the body emitted; rolls back if anything fails. The connection is closed
     * (returned to its pool) afterwards.
     *
     * @return what the body returned
     * @throws SQLException          what the body, the insert of its events or the commit threw (after the rollback)
     * @throws RuntimeException      what the body threw; several failures of its tasks come as one {@link ExceptionGroup}
     * @throws IllegalStateException if this thread is in a transaction of this outbox already (use its connection instead)
     */
    public <T> T transaction(TransactionBody<T> body) throws SQLException {
        Objects.requireNonNull(body, "body");
        refuseNested();
        try (Connection c = dataSource.getConnection()) {
            return transaction(c, body);
        }
    }

    /**
     * Runs {@code body} in a transaction on {@code connection}, which the caller opened and will
     * close; commits it with the body's events or rolls back, as {@link #transaction(TransactionBody)}.
     * Auto-commit is switched off for the transaction and restored afterwards.
     */
    public <T> T transaction(Connection connection, TransactionBody<T> body) throws SQLException {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(body, "body");
        refuseNested();
        boolean autoCommit = connection.getAutoCommit();
        if (autoCommit) connection.setAutoCommit(false);
        Tx tx = new Tx();
        try {
            T result = Scope.builder().name("transaction").bind(TX, tx).run(unit -> {
                T r = Scope.builder().name("transaction-body").run(s -> body.run(connection));
                insert(connection, tx.close());
                connection.commit();
                tx.committed = true;
                return r;
            });
            if (tx.stored > 0) for (OutboxRelay r : localRelays) r.wake();
            return result;
        } catch (ExceptionGroup failed) {
            rollback(connection, tx, failed);
            Throwable single = failed.leaves().size() == 1 ? failed.leaves().get(0).error() : failed;
            if (single instanceof SQLException sql) throw sql;
            if (single instanceof RuntimeException rt) throw rt;
            if (single instanceof Error err) throw err;
            throw failed;
        } catch (RuntimeException | Error failed) {
            rollback(connection, tx, failed);
            throw failed;
        } finally {
            tx.close();
            if (autoCommit) {
                try {
                    connection.setAutoCommit(true);
                } catch (SQLException restoreFailed) {
                    // the connection is broken; whoever closes it learns that
                }
            }
        }
    }

    private void refuseNested() {
        if (TX.find().isPresent()) {
            throw new IllegalStateException("this thread already runs in a transaction of outbox '" + name()
                    + "': nested transactions are not supported; use the connection the outer transaction's body was given");
        }
    }

    private static void rollback(Connection c, Tx tx, Throwable failure) {
        if (tx.committed) return;
        try {
            c.rollback();
        } catch (SQLException rollbackFailed) {
            failure.addSuppressed(rollbackFailed);
        }
    }

    /** Inserts the transaction's events in one batch, in emit order (their ids keep that order). */
    private void insert(Connection c, List<Stored> events) throws SQLException {
        if (events.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement(insertSql)) {
            for (Stored e : events) {
                ps.setString(1, e.message.id());
                ps.setString(2, e.message.name());
                ps.setString(3, e.text);
                if (events.size() > 1) ps.addBatch();
            }
            if (events.size() > 1) ps.executeBatch();
            else ps.executeUpdate();
        }
    }

    /**
     * Called by the bus at the emit call: keeps {@code message} for this thread's transaction.
     *
     * @return false if this thread runs in no transaction of this outbox
     * @throws IllegalArgumentException if the event is over {@link Builder#maxPayloadBytes} or its body is not UTF-8 text
     */
    @Override
    public boolean add(TransportMessage message) {
        Tx tx = TX.find().orElse(null);
        if (tx == null) return false;
        if (message.body().length > maxPayloadBytes) {
            throw new IllegalArgumentException("event '" + message.name() + "' " + message.id() + " is " + message.body().length
                    + " bytes, over the limit of " + maxPayloadBytes + " bytes of outbox '" + name()
                    + "': send a reference to the data instead, or raise JdbcOutbox.Builder.maxPayloadBytes (and the transport's limit)");
        }
        tx.add(new Stored(message, text(message))); // text refuses a body that is not UTF-8 here, at the emit call
        return true;
    }

    static String text(TransportMessage m) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(m.body())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("event '" + m.name() + "' " + m.id() + ": the codec's output is not UTF-8 text;"
                    + " the outbox stores JSON bodies as text (use a JSON codec such as JacksonEventCodec)", e);
        }
    }

    @Override
    public String howToEmit() {
        return "emit it inside outbox.transaction(connection -> { ...; bus.emit(event); ... }), which stores it with that transaction";
    }

    @Override
    public String name() {
        return "jdbc:" + table;
    }

    /** The outbox table's name. */
    public String table() {
        return table;
    }

    /** The schema script (one table, one index) for the connected database, with this outbox's table name; docs/WIRE.md. */
    public String schema() {
        return dialect.script("outbox", DEFAULT_TABLE, table);
    }

    /** Runs {@link #schema()}: creates the table and its index if they do not exist. */
    public void createTable() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            for (String sql : Dialect.statements(schema())) st.execute(sql);
            if (!c.getAutoCommit()) c.commit();
        }
    }

    /** How many events wait to be published (committed, not yet published by a relay). */
    public long pending() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table + " WHERE published_at IS NULL")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Deletes rows published (or refused) before {@code cutoff}; for {@link OutboxRelay.Retention#MARK}. @return how many */
    public int deletePublishedBefore(java.time.Instant cutoff) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE published_at IS NOT NULL AND published_at < ?")) {
            ps.setObject(1, java.time.OffsetDateTime.ofInstant(cutoff, java.time.ZoneOffset.UTC));
            int n = ps.executeUpdate();
            if (!c.getAutoCommit()) c.commit();
            return n;
        }
    }

    /** A relay that publishes this outbox's committed events to {@code transport}; see {@link OutboxRelay}. */
    public OutboxRelay.Builder relay(Transport transport) {
        return new OutboxRelay.Builder(this, transport);
    }

    DataSource dataSource() {
        return dataSource;
    }

    Dialect dialect() {
        return dialect;
    }

    void register(OutboxRelay relay) {
        localRelays.add(relay);
    }

    void unregister(OutboxRelay relay) {
        localRelays.remove(relay);
    }

    @Override
    public String toString() {
        return "JdbcOutbox[" + table + " on " + dialect.product + "]";
    }

    /** An event and its body as text, decoded once at the emit (where a body that is not UTF-8 is refused). */
    private record Stored(TransportMessage message, String text) {}

    /** The events of one transaction, kept until it commits. */
    private static final class Tx {
        private final ReentrantLock lock = new ReentrantLock();
        private List<Stored> events = new ArrayList<>(2);
        private boolean closed;
        int stored;
        volatile boolean committed;

        void add(Stored e) {
            lock.lock();
            try {
                if (closed) {
                    throw new IllegalStateException("event '" + e.message.name() + "' not stored: its transaction is already committing or over;"
                            + " emit inside the transaction's body");
                }
                events.add(e);
            } finally {
                lock.unlock();
            }
        }

        /** Takes the events; later adds fail. */
        List<Stored> close() {
            lock.lock();
            try {
                closed = true;
                List<Stored> out = events;
                events = List.of();
                stored += out.size();
                return out;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Configures a {@link JdbcOutbox}. */
    public static final class Builder {
        private final DataSource dataSource;
        private String table = DEFAULT_TABLE;
        private boolean createTable;
        private int maxPayloadBytes = 1_000_000;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /** The outbox table ({@code name} or {@code schema.name}); default {@code weft_outbox}. */
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

        /** The largest event body stored, in bytes; default 1,000,000 (H2's limit for the column). Larger events fail at the emit call. */
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
        public JdbcOutbox build() throws SQLException {
            Dialect d;
            try (Connection c = dataSource.getConnection()) {
                d = Dialect.of(c);
            }
            JdbcOutbox outbox = new JdbcOutbox(this, d);
            if (createTable) outbox.createTable();
            return outbox;
        }
    }
}
