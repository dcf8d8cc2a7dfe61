package dev.weft.bench;

import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.jdbc.JdbcOutbox;
import dev.weft.jdbc.PostgresServer;
import dev.weft.jdbc.SimplePool;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Issue 13, item 7: what the transactional outbox adds to a small business transaction (insert one
 * row, commit), on H2 in memory and on PostgreSQL (a server this benchmark starts: initdb into a
 * temp dir, fsync on, loopback), as a ratio to the same transaction without it. Both use the same
 * pooled connection; the outbox path is {@code outbox.transaction(c -> { insert; bus.emit(e); })},
 * which also encodes the event (JSON) and inserts the outbox row in the same transaction.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class OutboxBenchmark {

    @EventName("sighting.reported")
    public record SightingReported(long id, String species, int count) {}

    @Param({"h2", "postgresql"})
    public String database;

    private PostgresServer pg;
    private SimplePool pool;
    private JdbcOutbox outbox;
    private EventBus bus;
    private final AtomicLong ids = new AtomicLong();
    /** An envelope of the size the codec writes for {@link SightingReported}. */
    private static final String ROW_BODY = "{\"name\":\"sighting.reported\",\"id\":\"" + UUID.randomUUID()
            + "\",\"time\":\"2026-12-02T07:00:00.123456Z\",\"trace\":{},\"payload\":{\"id\":1,\"species\":\"kestrel\",\"count\":2}}";

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        if (database.equals("postgresql")) {
            pg = PostgresServer.start();
            pool = new SimplePool(pg.jdbcUrl(), "weft", "");
        } else {
            pool = new SimplePool("jdbc:h2:mem:bench-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", null, null);
        }
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE sightings (id BIGINT PRIMARY KEY, species VARCHAR(50) NOT NULL, n INT NOT NULL)");
        }
        outbox = JdbcOutbox.builder(pool).createTable(true).build();
        bus = EventBus.builder().declare(SightingReported.class).codec(new JacksonEventCodec()).outbox(outbox).build();
    }

    /** Keeps the tables small between iterations (the relay would delete outbox rows as it publishes). */
    @Setup(Level.Iteration)
    public void clear() throws SQLException {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            st.execute("DELETE FROM sightings");
            st.execute("DELETE FROM weft_outbox");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        bus.close();
        pool.close();
        if (pg != null) pg.close();
    }

    private static void insert(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sightings (id, species, n) VALUES (?, 'kestrel', 2)")) {
            ps.setLong(1, id);
            ps.executeUpdate();
        }
    }

    /** The business transaction alone: insert one row, commit. */
    @Benchmark
    public long plainTransaction() throws SQLException {
        long id = ids.incrementAndGet();
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            insert(c, id);
            c.commit();
            c.setAutoCommit(true);
        }
        return id;
    }

    /**
     * A control: the business transaction plus one more insert of an outbox-sized row into the
     * outbox table by hand (no scopes, no bus, no encoding): what "one more statement" costs.
     */
    @Benchmark
    public long plainTransactionWithOutboxRow() throws SQLException {
        long id = ids.incrementAndGet();
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            insert(c, id);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO weft_outbox (event_id, name, body) VALUES (?, ?, ?)")) {
                ps.setString(1, UUID.randomUUID().toString());
                ps.setString(2, "sighting.reported");
                ps.setString(3, ROW_BODY);
                ps.executeUpdate();
            }
            c.commit();
            c.setAutoCommit(true);
        }
        return id;
    }

    /** The same transaction with its event through the outbox. */
    @Benchmark
    public long outboxTransaction() throws SQLException {
        long id = ids.incrementAndGet();
        return outbox.transaction(c -> {
            insert(c, id);
            bus.emit(new SightingReported(id, "kestrel", 2));
            return id;
        });
    }
}
