package dev.weft.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.ExceptionGroup;
import dev.weft.Scope;
import dev.weft.events.transport.Delivery;
import dev.weft.events.EventBus;
import dev.weft.events.EventRejectedException;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.jdbc.Events.NestFound;
import dev.weft.jdbc.Events.SightingReported;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The outbox and its relay against one database (issue 13, items 1, 2 and 5): run by
 * {@link H2OutboxTest} and {@link PostgresOutboxTest}, so the same rules hold on both.
 */
abstract class OutboxSuite {
    /** The database of this run: H2 or PostgreSQL. */
    protected abstract TestDb db();

    final JacksonEventCodec codec = new JacksonEventCodec();
    String table;
    String sightings;
    JdbcOutbox outbox;
    EventBus bus;
    final List<Object> local = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws SQLException {
        table = db().table("outbox");
        sightings = db().table("sightings");
        db().exec("CREATE TABLE " + sightings + " (id BIGINT PRIMARY KEY, species VARCHAR(50) NOT NULL, n INT NOT NULL)");
        outbox = JdbcOutbox.builder(db().dataSource()).table(table).createTable(true).build();
        bus = EventBus.builder().declare(SightingReported.class).declare(NestFound.class).codec(codec).outbox(outbox).build();
        bus.handler("local").sync().onPattern("*", e -> local.add(e.payload()));
    }

    @AfterEach
    void tearDown() {
        bus.close();
    }

    void insertSighting(Connection c, long id, String species, int n) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + sightings + " (id, species, n) VALUES (?, ?, ?)")) {
            ps.setLong(1, id);
            ps.setString(2, species);
            ps.setInt(3, n);
            ps.executeUpdate();
        }
    }

    long report(long id, String species, int n) throws SQLException {
        return outbox.transaction(c -> {
            insertSighting(c, id, species, n);
            bus.emit(new SightingReported(id, species, n));
            return id;
        });
    }

    List<TransportMessage> readAll(Transport t, String group) {
        List<TransportMessage> out = new ArrayList<>();
        List<Delivery> got;
        while (!(got = t.receive(group, "reader", 1000, Duration.ZERO)).isEmpty()) {
            for (Delivery d : got) {
                out.add(d.message());
                d.ack();
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- item 1: the outbox

    @Test
    void aCommittedTransactionStoresItsEventsWithItsRows_inEmitOrder_andLocalHandlersRunAfterTheCommit() throws Exception {
        long id = outbox.transaction(c -> {
            insertSighting(c, 1, "kestrel", 2);
            bus.emit(new SightingReported(1, "kestrel", 2));
            bus.emit(new NestFound("kestrel", 1));
            assertThat(local).as("local handlers wait for the commit").isEmpty();
            return 1L;
        });
        assertThat(id).isEqualTo(1);
        assertThat(db().number("SELECT COUNT(*) FROM " + sightings)).isEqualTo(1);
        assertThat(outbox.pending()).isEqualTo(2);
        try (Connection c = db().pool.getConnection(); var rs = c.createStatement().executeQuery("SELECT name, body, event_id FROM " + table + " ORDER BY id")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("sighting.reported");
            assertThat(rs.getString(2)).startsWith("{").contains("\"species\":\"kestrel\"").contains("\"id\":\"" + rs.getString(3) + "\"");
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("nest.found");
        }
        assertThat(bus.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(local).containsExactly(new SightingReported(1, "kestrel", 2), new NestFound("kestrel", 1));
    }

    @Test
    void aTransactionThatFailsAfterEmitting_rollsBackItsEvents_withItsRows_andNothingIsPublishedOrHandled() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        readAll(t, "g");
        assertThatThrownBy(() -> outbox.transaction(c -> {
            insertSighting(c, 2, "owl", 1);
            bus.emit(new SightingReported(2, "owl", 1));
            throw new IllegalStateException("the owl was a cat");
        })).isInstanceOf(IllegalStateException.class).hasMessage("the owl was a cat");
        // an SQL failure after the emit rolls back too, and comes out as itself
        assertThatThrownBy(() -> outbox.transaction(c -> {
            bus.emit(new SightingReported(3, "owl", 1));
            insertSighting(c, 3, "owl", 1);
            insertSighting(c, 3, "owl", 1); // duplicate key
            return null;
        })).isInstanceOf(SQLException.class);
        assertThat(db().number("SELECT COUNT(*) FROM " + sightings)).isZero();
        assertThat(outbox.pending()).isZero();
        assertThat(outbox.relay(t).build().publishPending()).isZero();
        assertThat(readAll(t, "g")).isEmpty();
        assertThat(bus.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(local).isEmpty();
    }

    @Test
    void anEmitOutsideATransaction_isRefusedWithTheFix_notKeptInMemory() {
        assertThatThrownBy(() -> bus.emit(new SightingReported(4, "kite", 1)))
                .isInstanceOfSatisfying(EventRejectedException.class, e -> assertThat(e.reason()).isEqualTo(EventRejectedException.Reason.NO_UNIT_OF_WORK))
                .hasMessageContaining("outbox 'jdbc:" + table + "'").hasMessageContaining("outbox.transaction(connection ->");
        assertThatThrownBy(() -> EventBus.unitOfWork("not a transaction").run(s -> {
            bus.emit(new SightingReported(5, "kite", 1));
            return null;
        })).isInstanceOf(ExceptionGroup.class).hasMessageContaining("NO_UNIT_OF_WORK".isEmpty() ? "" : "not emitted");
    }

    @Test
    void tasksForkedInTheBodyEmitToo_andAllAreStoredBeforeTheCommit() throws Exception {
        outbox.transaction(c -> {
            Scope.run(s -> {
                for (int i = 0; i < 20; i++) {
                    int n = i;
                    s.fork(() -> {
                        bus.emit(new NestFound("wren", n));
                        return null;
                    });
                }
                return null;
            });
            return null;
        });
        assertThat(outbox.pending()).isEqualTo(20);
    }

    @Test
    void aTransactionOnTheCallersConnectionRestoresAutoCommit_andNestingIsRefused() throws Exception {
        try (Connection c = db().pool.getConnection()) {
            outbox.transaction(c, conn -> {
                insertSighting(conn, 6, "crow", 3);
                bus.emit(new SightingReported(6, "crow", 3));
                assertThatThrownBy(() -> outbox.transaction(x -> null)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("nested transactions are not supported");
                return null;
            });
            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(outbox.pending()).isEqualTo(1);
    }

    @Test
    void anEventOverTheLimitIsRefusedAtTheEmit_andItsTransactionRollsBack() throws Exception {
        JdbcOutbox small = JdbcOutbox.builder(db().dataSource()).table(table).maxPayloadBytes(50).build();
        EventBus b = EventBus.builder().declare(SightingReported.class).codec(codec).outbox(small).build();
        assertThatThrownBy(() -> small.transaction(c -> {
            insertSighting(c, 7, "eagle", 1);
            b.emit(new SightingReported(7, "eagle", 1));
            return null;
        })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("over the limit of 50 bytes");
        assertThat(db().number("SELECT COUNT(*) FROM " + sightings)).isZero();
        assertThat(small.pending()).isZero();
    }

    @Test
    void theSchemaScriptIsIdempotent_andNamesTheTable() throws Exception {
        assertThat(outbox.schema()).contains("CREATE TABLE IF NOT EXISTS " + table).doesNotContain("weft_outbox ");
        outbox.createTable();
        outbox.createTable();
        assertThatThrownBy(() -> JdbcOutbox.builder(db().dataSource()).table("x; DROP TABLE y")).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- item 2: the relay

    @Test
    void theRelayPublishesCommittedEventsInOrder_andDeletesOrMarksThem() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        readAll(t, "g");
        for (int i = 1; i <= 10; i++) report(i, "kestrel", i);
        OutboxRelay relay = outbox.relay(t).batchSize(3).build();
        assertThat(relay.publishPending()).isEqualTo(10);
        List<TransportMessage> got = readAll(t, "g");
        assertThat(got).extracting(m -> ((SightingReported) codec.decode(m.body(), n -> SightingReported.class).payload()).id())
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(db().number("SELECT COUNT(*) FROM " + table)).as("Retention.DELETE").isZero();
        assertThat(relay.statistics().published()).isEqualTo(10);
        assertThat(relay.statistics().batches()).isEqualTo(4);

        report(11, "kite", 1);
        OutboxRelay marking = outbox.relay(t).retention(OutboxRelay.Retention.MARK).build();
        assertThat(marking.publishPending()).isEqualTo(1);
        assertThat(db().number("SELECT COUNT(*) FROM " + table + " WHERE published_at IS NOT NULL")).isEqualTo(1);
        assertThat(outbox.pending()).isZero();
        assertThat(outbox.deletePublishedBefore(java.time.Instant.now().plusSeconds(60))).isEqualTo(1);
    }

    /** A transport that is down while {@code down} is set (it throws TransportException, as Redis Streams does). */
    static class Flaky implements Transport {
        final Transport real;
        final AtomicBoolean down = new AtomicBoolean();
        final CountDownLatch failedTwice = new CountDownLatch(2);

        Flaky(Transport real) {
            this.real = real;
        }

        @Override public String name() { return "flaky"; }
        @Override public void publish(TransportMessage m) { publishAll(List.of(m)); }

        @Override
        public void publishAll(List<TransportMessage> ms) {
            if (down.get()) {
                failedTwice.countDown();
                throw new TransportException("broker unreachable (test)");
            }
            real.publishAll(ms);
        }

        @Override public List<Delivery> receive(String g, String c, int max, Duration wait) { return real.receive(g, c, max, wait); }
        @Override public List<TransportMessage> deadLetters(String g) { return real.deadLetters(g); }
        @Override public void close() { real.close(); }
    }

    /**
     * A data source whose connections throw a deadlock (SQLSTATE 40P01), once, at the first
     * statement that {@code matches}: what PostgreSQL does to one of two relays whose lease
     * claims and settles lock the same rows in different orders.
     */
    static javax.sql.DataSource deadlockingOnce(javax.sql.DataSource real, java.util.function.Predicate<String> matches) {
        AtomicBoolean thrown = new AtomicBoolean();
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(OutboxSuite.class.getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class}, (ds, dm, dargs) -> {
                    Object r = invoke(real, dm, dargs);
                    if (!(r instanceof Connection c)) return r;
                    return java.lang.reflect.Proxy.newProxyInstance(OutboxSuite.class.getClassLoader(), new Class<?>[] {Connection.class}, (cp, cm, cargs) -> {
                        Object st = invoke(c, cm, cargs);
                        if (!(st instanceof PreparedStatement ps) || !matches.test((String) cargs[0])) return st;
                        return java.lang.reflect.Proxy.newProxyInstance(OutboxSuite.class.getClassLoader(), new Class<?>[] {PreparedStatement.class}, (sp, sm, sargs) -> {
                            if (sm.getName().equals("executeUpdate") && thrown.compareAndSet(false, true)) {
                                throw new SQLException("ERROR: deadlock detected (test)", "40P01");
                            }
                            return invoke(ps, sm, sargs);
                        });
                    });
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void aLeaseClaimAbortedByADeadlockIsTriedAgain_andNothingIsLost() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        readAll(t, "g");
        for (int i = 1; i <= 3; i++) report(i, "kestrel", i);
        JdbcOutbox contended = JdbcOutbox.builder(deadlockingOnce(db().dataSource(), sql -> sql.startsWith("UPDATE") && sql.contains("lease_until ="))).table(table).build();
        OutboxRelay relay = contended.relay(t).claim(OutboxRelay.Claim.LEASE).owner("r").build();
        assertThat(relay.publishPending()).as("the claim the database aborted is made again").isEqualTo(3);
        assertThat(readAll(t, "g")).hasSize(3);
        assertThat(outbox.pending()).isZero();
        assertThat(relay.statistics().databaseFailures()).isEqualTo(1);
    }

    @Test
    void aLeaseSettleAbortedByADeadlockPublishesAgain_aDuplicateNeverALoss() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        readAll(t, "g");
        for (int i = 1; i <= 3; i++) report(i, "kestrel", i);
        JdbcOutbox contended = JdbcOutbox.builder(deadlockingOnce(db().dataSource(), sql -> sql.startsWith("DELETE"))).table(table).build();
        OutboxRelay relay = contended.relay(t).claim(OutboxRelay.Claim.LEASE).owner("r").build();
        relay.publishPending();
        List<TransportMessage> got = readAll(t, "g");
        assertThat(got).as("published, not settled, published again").hasSize(6);
        assertThat(got.stream().map(TransportMessage::id).distinct()).as("the same three events, by id").hasSize(3);
        assertThat(outbox.pending()).isZero();
    }

    @Test
    void whileTheTransportIsDown_theRelayRetriesWithBackoff_andDropsNothing_thenPublishesEverything() throws Exception {
        InMemoryTransport real = InMemoryTransport.create();
        readAll(real, "g");
        Flaky t = new Flaky(real);
        t.down.set(true);
        for (int i = 1; i <= 5; i++) report(i, "kestrel", i);
        OutboxRelay relay = outbox.relay(t).backoff(Duration.ofMillis(1), Duration.ofMillis(20)).build();
        Thread runner = Thread.ofVirtual().start(relay::run);
        try {
            assertThat(t.failedTwice.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(outbox.pending()).as("nothing leaves the table while the transport is down").isEqualTo(5);
            t.down.set(false);
            report(6, "kestrel", 6); // its commit wakes the relay, which publishes everything
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            List<TransportMessage> got = new ArrayList<>();
            while (got.size() < 6 && System.nanoTime() < until) {
                for (Delivery d : real.receive("g", "reader", 100, Duration.ofMillis(200))) {
                    got.add(d.message());
                    d.ack();
                }
            }
            assertThat(got).hasSize(6);
        } finally {
            relay.shutdown();
            runner.join(Duration.ofSeconds(10));
        }
        assertThat(runner.isAlive()).isFalse();
        assertThat(outbox.pending()).isZero();
        assertThat(relay.statistics().transportFailures()).isGreaterThanOrEqualTo(2);
        assertThat(relay.statistics().refused()).isZero();
    }

    @Test
    void anEventTheTransportRefusesForGoodIsSetAsideWithItsError_andItsNeighboursArePublished() throws Exception {
        InMemoryTransport real = InMemoryTransport.create();
        readAll(real, "g");
        Transport picky = new Flaky(real) {
            @Override
            public void publishAll(List<TransportMessage> ms) {
                for (TransportMessage m : ms) {
                    if (new String(m.body()).contains("\"species\":\"dodo\"")) throw new IllegalArgumentException("dodo is over the size limit (test)");
                }
                real.publishAll(ms);
            }
        };
        report(1, "kestrel", 1);
        report(2, "dodo", 1);
        report(3, "owl", 1);
        OutboxRelay relay = outbox.relay(picky).build();
        assertThat(relay.publishPending()).isEqualTo(3);
        assertThat(readAll(real, "g")).hasSize(2);
        assertThat(relay.statistics().refused()).isEqualTo(1);
        assertThat(outbox.pending()).isZero();
        try (Connection c = db().pool.getConnection(); var rs = c.createStatement().executeQuery("SELECT error FROM " + table + " WHERE error IS NOT NULL")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).contains("dodo is over the size limit");
        }
    }

    /** Publishes each name's events in order, from several relays at once; returns the ids per name in publish order. */
    private Map<String, List<Long>> publishWithRelays(OutboxRelay.Claim claim, int relays, int events) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        readAll(t, "g");
        for (int i = 1; i <= events; i++) {
            int n = i;
            outbox.transaction(c -> {
                bus.emit(n % 3 == 0 ? new NestFound("wren", n) : new SightingReported(n, n % 3 == 1 ? "kestrel" : "owl", 1));
                return null;
            });
        }
        List<OutboxRelay> rs = new ArrayList<>();
        for (int i = 0; i < relays; i++) rs.add(outbox.relay(t).claim(claim).batchSize(7).owner("r" + i).build());
        Scope.run(s -> {
            for (OutboxRelay r : rs) {
                s.fork(() -> {
                    // A relay that may publish nothing now (another holds earlier rows of every name it read) yields its
                    // carrier: virtual threads are not preempted, and on H2 (in this process, no blocking I/O) two relays
                    // looping like this would starve the one that holds the earliest rows, and its pipeline's database task.
                    // (OutboxRelay.run waits pollInterval instead.)
                    while (outbox.pending() > 0) {
                        if (r.publishPending() == 0) Thread.yield();
                    }
                    return null;
                });
            }
            return null;
        });
        Map<String, List<Long>> order = new HashMap<>();
        for (TransportMessage m : readAll(t, "g")) {
            Object p = codec.decode(m.body(), n -> n.equals("nest.found") ? NestFound.class : SightingReported.class).payload();
            long n = p instanceof NestFound nf ? nf.n() : ((SightingReported) p).id();
            order.computeIfAbsent(m.name(), k -> new ArrayList<>()).add(n);
        }
        long total = rs.stream().mapToLong(r -> r.statistics().published()).sum();
        assertThat(total).as("each row published by one relay").isEqualTo(events);
        return order;
    }

    @Test
    void severalRelaysWithSkipLocked_publishEachRowOnce_andEachNameInOrder() throws Exception {
        Map<String, List<Long>> order = publishWithRelays(OutboxRelay.Claim.SKIP_LOCKED, 3, 150);
        assertThat(order.get("nest.found")).hasSize(50).isSorted();
        assertThat(order.get("sighting.reported")).hasSize(100).isSorted();
    }

    @Test
    void severalRelaysWithLeases_publishEachRowOnce_andEachNameInOrder() throws Exception {
        Map<String, List<Long>> order = publishWithRelays(OutboxRelay.Claim.LEASE, 3, 150);
        assertThat(order.get("nest.found")).hasSize(50).isSorted();
        assertThat(order.get("sighting.reported")).hasSize(100).isSorted();
    }

    @Test
    void aRelayLeavesANameAloneWhileAnotherHoldsAnEarlierRowOfIt_soTheNameStaysInOrder() throws Exception {
        InMemoryTransport real = InMemoryTransport.create();
        readAll(real, "g");
        CountDownLatch inPublish = new CountDownLatch(1), release = new CountDownLatch(1);
        Transport stuck = new Flaky(real) {
            @Override
            public void publishAll(List<TransportMessage> ms) {
                inPublish.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new TransportException("interrupted");
                }
                real.publishAll(ms);
            }
        };
        for (int i = 1; i <= 4; i++) report(i, "kestrel", i);               // rows 1-4: sighting.reported
        outbox.transaction(c -> {
            bus.emit(new NestFound("wren", 5));                             // row 5: nest.found
            return null;
        });
        for (int i = 6; i <= 7; i++) report(i, "kestrel", i);               // rows 6-7: sighting.reported
        OutboxRelay a = outbox.relay(stuck).batchSize(2).owner("a").build(); // takes rows 1-2 and hangs in publish
        OutboxRelay b = outbox.relay(real).owner("b").build();
        Thread ta = Thread.ofVirtual().start(() -> {
            try {
                a.relayBatch();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            assertThat(inPublish.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(b.relayBatch()).as("b publishes nest.found only: a holds an earlier sighting").isEqualTo(1);
            assertThat(b.statistics().heldForOrder()).isEqualTo(1);
        } finally {
            release.countDown();
            ta.join(Duration.ofSeconds(20));
        }
        assertThat(b.publishPending()).isEqualTo(4);
        List<String> seen = new ArrayList<>();
        for (TransportMessage m : readAll(real, "g")) {
            Object p = codec.decode(m.body(), n -> n.equals("nest.found") ? NestFound.class : SightingReported.class).payload();
            seen.add(p instanceof NestFound nf ? "n" + nf.n() : "s" + ((SightingReported) p).id());
        }
        assertThat(seen).containsExactly("n5", "s1", "s2", "s3", "s4", "s6", "s7");
    }

    @Test
    void rowsLockedByARelayThatDiedAreFreeAtOnce_withSkipLocked() throws Exception {
        for (int i = 1; i <= 3; i++) report(i, "kestrel", i);
        InMemoryTransport t = InMemoryTransport.create();
        readAll(t, "g");
        Connection dying = db().pool.getConnection();
        dying.setAutoCommit(false);
        try (var rs = dying.createStatement().executeQuery("SELECT id FROM " + table + " WHERE published_at IS NULL ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED")) {
            while (rs.next()) {
                // a relay in the middle of its batch holds them
            }
        }
        OutboxRelay other = outbox.relay(t).build();
        assertThat(other.relayBatch()).as("locked by the other relay").isZero();
        dying.unwrap(Connection.class).close(); // its connection dies: the database rolls back and frees the rows
        dying.close();
        // The server ends the dead session on its own time (PostgreSQL notices the closed socket a moment later): poll, bounded.
        int[] published = {0};
        CrashTest.await(() -> {
            try {
                published[0] += other.publishPending();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            return published[0] == 3;
        }, 10, "the dead relay's rows to be freed");
        assertThat(readAll(t, "g")).hasSize(3);
    }

    @Test
    void rowsLeasedByARelayThatDiedAreTakenOverWhenTheLeaseLapses() throws Exception {
        for (int i = 1; i <= 3; i++) report(i, "kestrel", i);
        InMemoryTransport t = InMemoryTransport.create();
        readAll(t, "g");
        // A relay that claimed them and died: its lease runs for another hour.
        db().exec("UPDATE " + table + " SET lease_owner = 'dead', lease_until = " + (db().kind.equals("H2")
                ? "DATEADD(HOUR, 1, CURRENT_TIMESTAMP)" : "CURRENT_TIMESTAMP + INTERVAL '1 hour'"));
        OutboxRelay other = outbox.relay(t).claim(OutboxRelay.Claim.LEASE).build();
        assertThat(other.publishPending()).isZero();
        db().exec("UPDATE " + table + " SET lease_until = " + (db().kind.equals("H2")
                ? "DATEADD(SECOND, -1, CURRENT_TIMESTAMP)" : "CURRENT_TIMESTAMP - INTERVAL '1 second'")); // the hour has passed
        assertThat(other.publishPending()).isEqualTo(3);
        assertThat(readAll(t, "g")).hasSize(3);
        assertThat(outbox.pending()).isZero();
    }

    // ---------------------------------------------------------------- the pipelined relay (ADR 0043)

    /** Ids of the unpublished rows nobody holds: what a relay that started now could claim. */
    private List<Long> claimableNow() {
        List<Long> ids = new ArrayList<>();
        try (Connection c = db().pool.getConnection()) {
            c.setAutoCommit(false);
            try (var rs = c.createStatement().executeQuery("SELECT id FROM " + table + " WHERE published_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED")) {
                while (rs.next()) ids.add(rs.getLong(1));
            }
            c.rollback();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return ids;
    }

    @Test
    void whileTheTransportTakesABatch_theRelayHasAlreadyClaimedTheNext_andPublishesItAfter() throws Exception {
        InMemoryTransport real = InMemoryTransport.create();
        readAll(real, "g");
        CountDownLatch inFirstPublish = new CountDownLatch(1), release = new CountDownLatch(1);
        List<Integer> calls = new CopyOnWriteArrayList<>();
        Transport slow = new Flaky(real) {
            @Override
            public void publishAll(List<TransportMessage> ms) {
                calls.add(ms.size());
                if (calls.size() == 1) {
                    inFirstPublish.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new TransportException("interrupted");
                    }
                }
                real.publishAll(ms);
            }
        };
        for (int i = 1; i <= 5; i++) report(i, "kestrel", i);
        OutboxRelay relay = outbox.relay(slow).batchSize(2).build();
        int[] published = {-1};
        Thread runner = Thread.ofVirtual().start(() -> {
            try {
                published[0] = relay.publishPending();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            assertThat(inFirstPublish.await(20, TimeUnit.SECONDS)).isTrue();
            // Rows 1-2 are in the transport; the relay's other connection claims rows 3-4 meanwhile: only row 5 is left for anyone else.
            CrashTest.await(() -> claimableNow().size() == 1, 20, "the next batch to be claimed during the publish");
            assertThat(outbox.pending()).as("nothing is settled before the transport confirmed").isEqualTo(5);
        } finally {
            release.countDown();
            runner.join(Duration.ofSeconds(20));
        }
        assertThat(published[0]).isEqualTo(5);
        assertThat(calls).containsExactly(2, 2, 1);
        assertThat(readAll(real, "g")).extracting(m -> ((SightingReported) codec.decode(m.body(), n -> SightingReported.class).payload()).id())
                .containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(outbox.pending()).isZero();
        assertThat(relay.statistics().batches()).isEqualTo(3);
    }

    @Test
    void whenTheTransportFailsMidPipeline_theConfirmedBatchIsSettled_theClaimedOnesAreFreed_andNothingIsLostOrReordered() throws Exception {
        InMemoryTransport real = InMemoryTransport.create();
        readAll(real, "g");
        List<Integer> calls = new CopyOnWriteArrayList<>();
        Transport failsSecond = new Flaky(real) {
            @Override
            public void publishAll(List<TransportMessage> ms) {
                calls.add(ms.size());
                if (calls.size() == 2) throw new TransportException("broker unreachable (test)");
                real.publishAll(ms);
            }
        };
        for (int i = 1; i <= 7; i++) report(i, "kestrel", i);
        OutboxRelay relay = outbox.relay(failsSecond).batchSize(3).build();
        assertThatThrownBy(relay::publishPending).isInstanceOf(TransportException.class);
        assertThat(outbox.pending()).as("the first batch was confirmed and settled; the rest waits").isEqualTo(4);
        assertThat(claimableNow()).as("no row stays locked after the failure").hasSize(4);
        assertThat(relay.statistics().transportFailures()).isEqualTo(1);
        assertThat(relay.publishPending()).isEqualTo(4);
        assertThat(readAll(real, "g")).extracting(m -> ((SightingReported) codec.decode(m.body(), n -> SightingReported.class).payload()).id())
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(relay.statistics().published()).isEqualTo(7);
    }

    @Test
    void twoPipelinedRelaysRunningBesideAProducer_publishEachRowOnce_andEachNameInCommitOrder() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        readAll(t, "g");
        OutboxRelay a = outbox.relay(t).batchSize(4).owner("a").pollInterval(Duration.ofMillis(5)).build();
        OutboxRelay b = outbox.relay(t).batchSize(4).owner("b").pollInterval(Duration.ofMillis(5)).build();
        int events = 240;
        Thread ra = Thread.ofVirtual().start(a::run), rb = Thread.ofVirtual().start(b::run);
        try {
            for (int i = 1; i <= events; i++) { // one producer: id order is commit order
                int n = i;
                outbox.transaction(c -> {
                    bus.emit(n % 3 == 0 ? new NestFound("wren", n) : new SightingReported(n, n % 3 == 1 ? "kestrel" : "owl", 1));
                    return null;
                });
            }
            CrashTest.await(() -> {
                try {
                    return outbox.pending() == 0;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, 60, "the relays to publish everything");
        } finally {
            a.shutdown();
            b.shutdown();
            ra.join(Duration.ofSeconds(20));
            rb.join(Duration.ofSeconds(20));
        }
        Map<String, List<Long>> order = new HashMap<>();
        for (TransportMessage m : readAll(t, "g")) {
            Object p = codec.decode(m.body(), n -> n.equals("nest.found") ? NestFound.class : SightingReported.class).payload();
            order.computeIfAbsent(m.name(), k -> new ArrayList<>()).add(p instanceof NestFound nf ? (long) nf.n() : ((SightingReported) p).id());
        }
        assertThat(order.get("nest.found")).hasSize(events / 3).isSorted().doesNotHaveDuplicates();
        assertThat(order.get("sighting.reported")).hasSize(events * 2 / 3).isSorted().doesNotHaveDuplicates();
        assertThat(a.statistics().published() + b.statistics().published()).isEqualTo(events);
    }
}
