package dev.weft.bench;

import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.jdbc.JdbcOutbox;
import dev.weft.jdbc.OutboxRelay;
import dev.weft.jdbc.PostgresServer;
import dev.weft.jdbc.SimplePool;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.test.RedisServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
 * Issue 13, item 7: the relay's throughput to Redis Streams as a ratio to
 * {@code RedisStreamsTransport.publishAll} alone. One operation moves {@code batches} ×
 * {@value #BATCH} events ({@value #BATCH} is the relay's default batch): {@code publishAll} sends
 * them in {@code batches} calls of {@value #BATCH} encoded events; {@code relay} finds as many
 * committed rows in the outbox table and publishes them in batches of {@value #BATCH} (select with
 * row locks, publishAll, delete, commit; pipelined, ADR 0043). {@code batches = 1} is one batch's
 * latency; {@code batches = 8} a backlog, where the relay overlaps the database's part of a batch
 * with the transport's. The rows are written before each operation, outside the measurement. A
 * redis-server and (for PostgreSQL) a PostgreSQL of the run's own, on loopback.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class RelayBenchmark {
    static final int BATCH = 256;

    public record SightingReported(long id, String species, int count) {}

    @Param({"h2", "postgresql"})
    public String database;

    /** Batches of {@value #BATCH} events per operation: 1 (one batch's latency) or 8 (a backlog: the pipelined relay's throughput). */
    @Param({"1", "8"})
    public int batches;

    private RedisServer redis;
    private PostgresServer pg;
    private SimplePool pool;
    private RedisStreamsTransport transport;
    private JdbcOutbox outbox;
    private OutboxRelay relay;
    private List<TransportMessage> messages;

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        redis = RedisServer.start();
        transport = RedisStreamsTransport.builder(redis.uri()).stream("bench").maxLength(100_000).build();
        if (database.equals("postgresql")) {
            pg = PostgresServer.start();
            pool = new SimplePool(pg.jdbcUrl(), "weft", "");
        } else {
            pool = new SimplePool("jdbc:h2:mem:relay-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", null, null);
        }
        outbox = JdbcOutbox.builder(pool).createTable(true).build();
        relay = outbox.relay(transport).batchSize(BATCH).build();
        JacksonEventCodec codec = new JacksonEventCodec();
        messages = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
            UUID id = UUID.randomUUID();
            messages.add(new TransportMessage(id.toString(), "sighting.reported",
                    codec.encode(new Envelope<>(id, "sighting.reported", Instant.now(), Map.of(), new SightingReported(i, "kestrel", 2)))));
        }
    }

    /** {@value #BATCH} committed rows for the relay to find, written before each relay operation (not measured). */
    @State(Scope.Benchmark)
    public static class Rows {
        @Setup(Level.Invocation)
        public void fill(RelayBenchmark b) throws SQLException {
            b.fill();
        }
    }

    void fill() throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO weft_outbox (event_id, name, body) VALUES (?, ?, ?)")) {
                for (int b = 0; b < batches; b++) {
                    for (TransportMessage m : messages) {
                        ps.setString(1, m.id());
                        ps.setString(2, m.name());
                        ps.setString(3, new String(m.body(), StandardCharsets.UTF_8));
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
            }
            c.commit();
            c.setAutoCommit(true);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        transport.close();
        pool.close();
        if (pg != null) pg.close();
        redis.close();
    }

    /** The transport alone: {@code batches} pipelined calls of {@value #BATCH} events. */
    @Benchmark
    public int publishAll() {
        for (int b = 0; b < batches; b++) transport.publishAll(messages);
        return batches * messages.size();
    }

    /** The relay: as many events, read from the table, published, deleted; fails the run if it moved any other number. */
    @Benchmark
    public int relay(Rows rows) throws SQLException {
        int n = relay.publishPending();
        if (n != batches * BATCH) throw new IllegalStateException("the relay published " + n + " rows, not " + batches * BATCH);
        return n;
    }
}
