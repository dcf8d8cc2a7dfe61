package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportMessage;
import dev.weft.test.LogCapture;
import dev.weft.test.RedisCluster;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Partitioned streams on a Redis Cluster (3 masters, 3 replicas; ADR 0064): the partitions land on
 * every master, one key keeps its order across concurrent publishers, and the shares of a group's
 * partitions move when transports join, close or stop renewing, without losing a delivery. Leases
 * run on a clock the test moves, so no step waits for real time to pass.
 */
class RedisClusterPartitionedTest {
    static final Duration LEASE = Duration.ofSeconds(30);
    static final Duration RENEW = LEASE.dividedBy(3).plusSeconds(1);
    static RedisCluster cluster;
    static RedisClusterClient client;
    static StatefulRedisClusterConnection<String, String> admin;
    final List<RedisStreamsTransport> open = new ArrayList<>();
    final MovableClock clock = new MovableClock();

    /** A java.time.Clock that moves only when told to. */
    static final class MovableClock extends Clock {
        final AtomicLong millis = new AtomicLong(System.currentTimeMillis());

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    }

    @BeforeAll
    static void startCluster() {
        cluster = RedisCluster.start();
        client = RedisClusterClient.create(cluster.uri().replace("redis-cluster://", "redis://").split(",")[0]);
        admin = client.connect();
    }

    @AfterAll
    static void stopCluster() {
        if (admin != null) admin.close();
        if (client != null) client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        if (cluster != null) cluster.close();
    }

    @AfterEach
    void closeAll() {
        for (RedisStreamsTransport t : open) t.close();
    }

    /** A transport on {@code stream} with {@code n} partitions, routed by the first word of the body. */
    RedisStreamsTransport transport(String stream, int n) {
        RedisStreamsTransport t = RedisStreamsTransport.builder(cluster.uri()).stream(stream).partitions(n)
                .partitionKey(m -> key(m)).redeliverAfter(LEASE).memberLease(LEASE).clock(clock).logger(new LogCapture()).build();
        open.add(t);
        return t;
    }

    static String key(TransportMessage m) {
        return new String(m.body(), StandardCharsets.UTF_8).split(" ")[0];
    }

    static TransportMessage event(String key, int seq) {
        return new TransportMessage(UUID.randomUUID().toString(), "test.event", (key + " " + seq).getBytes(StandardCharsets.UTF_8));
    }

    static int partitionOf(String key, int n) {
        return PartitionedStreams.partitionOfKey(key, n);
    }

    /** The port of the master of {@code key}'s slot, from the admin client's view of the topology (no process started). */
    static int masterOf(String key) {
        return admin.getPartitions().getPartitionBySlot(io.lettuce.core.cluster.SlotHash.getSlot(key)).getUri().getPort();
    }

    /** Receives (bounded waits) until {@code want} deliveries arrived; fails past 20 s. */
    static List<Delivery> receiveUntil(RedisStreamsTransport t, String consumer, int want) {
        List<Delivery> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (out.size() < want) {
            assertThat(System.nanoTime()).as(consumer + " got " + out.size() + " of " + want).isLessThan(deadline);
            out.addAll(t.receive("g", consumer, want - out.size(), Duration.ofMillis(500)));
        }
        return out;
    }

    static String partitionStream(Delivery d) {
        return ((StreamDelivery) d).stream();
    }

    @Test
    void partitionsLandOnEveryMaster_andOneKeyKeepsItsOrderAcrossConcurrentPublishers() throws Exception {
        int n = 6;
        int threads = 4, keysPerThread = 5, rounds = 40;
        List<String> allKeys = new ArrayList<>();
        for (int i = 0; i < threads * keysPerThread; i++) allKeys.add("k" + i);
        assertThat(allKeys.stream().map(k -> partitionOf(k, n)).distinct().count()).as("the keys reach every partition").isEqualTo(n);
        String name = "orders:" + UUID.randomUUID();
        RedisStreamsTransport publisher = transport(name, n);
        RedisStreamsTransport worker = transport(name, n);
        assertThat(worker.receive("g", "w", 1, Duration.ZERO)).isEmpty(); // the group exists before anything is published
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            ts.add(Thread.ofVirtual().start(() -> {
                for (int r = 0; r < rounds; r++) {
                    List<TransportMessage> batch = new ArrayList<>();
                    for (int k = 0; k < keysPerThread; k++) batch.add(event(allKeys.get(thread * keysPerThread + k), r));
                    if (thread == 0) publisher.publishAll(batch); // one pipelined batch over several partitions
                    else for (TransportMessage m : batch) publisher.publish(m);
                }
            }));
        }
        for (Thread t : ts) t.join();
        int total = threads * keysPerThread * rounds;
        Map<String, Integer> last = new HashMap<>();
        Set<String> ids = new HashSet<>();
        for (Delivery d : receiveUntil(worker, "w", total)) {
            assertThat(ids.add(d.message().id())).as("delivered twice: " + d.message()).isTrue();
            String[] keyAndSeq = new String(d.message().body(), StandardCharsets.UTF_8).split(" ");
            int seq = Integer.parseInt(keyAndSeq[1]);
            Integer before = last.put(keyAndSeq[0], seq);
            assertThat(before == null || before == seq - 1).as(keyAndSeq[0] + ": " + seq + " after " + before).isTrue();
            assertThat(partitionStream(d)).as("key " + keyAndSeq[0] + " is in partition crc32(key) mod n")
                    .isEqualTo(worker.streams().get(partitionOf(keyAndSeq[0], n)));
            d.ack();
        }
        assertThat(last).hasSize(threads * keysPerThread).allSatisfy((k, seq) -> assertThat(seq).isEqualTo(rounds - 1));
        Set<Integer> mastersWithEntries = new TreeSet<>();
        for (String s : worker.streams()) {
            int port = masterOf(s);
            if (Long.parseLong(cluster.cli(port, "XLEN", s).trim()) > 0) mastersWithEntries.add(port);
        }
        assertThat(mastersWithEntries).as("the partitions are spread over every master").hasSize(RedisCluster.MASTERS);
        assertThat(worker.info().length()).isEqualTo(total);
        assertThat(worker.info().groups()).singleElement().satisfies(g -> assertThat(g.pending()).isZero());
        String first = worker.streams().get(partitionOf("k0", n));
        assertThat(cluster.cli(masterOf(first), "XRANGE", first, "-", "+", "COUNT", "1")).as("the key is in the entry").contains("key");
    }

    @Test
    void aTransportBuiltWithAnotherNumberOfPartitionsRefusesToStart() {
        String name = "orders:" + UUID.randomUUID();
        transport(name, 4).publish(event("a", 0));
        RedisStreamsTransport other = transport(name, 3);
        assertThatThrownBy(() -> other.publish(event("a", 1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has 4 partitions").hasMessageContaining("partitions(3)");
    }

    @Test
    void sharesMoveWhenATransportJoinsOrCloses_andItsUnacknowledgedDeliveriesAreTakenOverAtOnce() {
        int n = 4;
        String name = "orders:" + UUID.randomUUID();
        RedisStreamsTransport publisher = transport(name, n);
        RedisStreamsTransport a = transport(name, n), b = transport(name, n);
        assertThat(a.receive("g", "a", 10, Duration.ZERO)).isEmpty();
        assertThat(b.receive("g", "b", 10, Duration.ZERO)).isEmpty();
        clock.advance(RENEW); // both renew on their next receive and see each other
        a.receive("g", "a", 0, Duration.ZERO);
        b.receive("g", "b", 0, Duration.ZERO);
        Set<Integer> ofA = new TreeSet<>(a.ownedPartitions("g")), ofB = new TreeSet<>(b.ownedPartitions("g"));
        assertThat(ofA).hasSize(2).doesNotContainAnyElementsOf(ofB);
        assertThat(ofB).hasSize(2);

        List<String> keys = keysCovering(n, 40);
        for (String k : keys) publisher.publish(event(k, 1));
        int toA = (int) keys.stream().filter(k -> ofA.contains(partitionOf(k, n))).count();
        List<Delivery> heldByA = receiveUntil(a, "a", toA);
        List<Delivery> ofBFirst = receiveUntil(b, "b", keys.size() - toA);
        assertThat(heldByA).allSatisfy(d -> assertThat(ofA).contains(partitionOf(key(d.message()), n)));
        assertThat(ofBFirst).allSatisfy(d -> assertThat(ofB).contains(partitionOf(key(d.message()), n)));
        assertThat(a.receive("g", "a", 10, Duration.ZERO)).as("a read only its share").isEmpty();
        ofBFirst.forEach(Delivery::ack); // a holds its deliveries, unacknowledged, and stops

        a.close();
        for (String k : keys) publisher.publish(event(k, 2));
        clock.advance(RENEW);
        Set<String> expected = new HashSet<>();
        for (Delivery d : heldByA) expected.add(new String(d.message().body(), StandardCharsets.UTF_8));
        for (String k : keys) expected.add(k + " 2");
        List<Delivery> rest = receiveUntil(b, "b", expected.size());
        assertThat(b.ownedPartitions("g")).containsExactly(0, 1, 2, 3);
        Set<String> got = new HashSet<>();
        for (Delivery d : rest) {
            got.add(new String(d.message().body(), StandardCharsets.UTF_8));
            assertThat(d.deliveryCount()).isEqualTo(d.message().body()[d.message().body().length - 1] == '1' ? 2 : 1);
            d.ack();
        }
        assertThat(got).as("everything a left unacknowledged, and everything after it left").isEqualTo(expected);

        RedisStreamsTransport c = transport(name, n); // a third joins
        assertThat(c.receive("g", "c", 10, Duration.ZERO)).isEmpty();
        clock.advance(RENEW);
        b.receive("g", "b", 0, Duration.ZERO);
        c.receive("g", "c", 0, Duration.ZERO);
        Set<Integer> nowB = new TreeSet<>(b.ownedPartitions("g")), nowC = new TreeSet<>(c.ownedPartitions("g"));
        assertThat(nowC).hasSize(2).doesNotContainAnyElementsOf(nowB);
        assertThat(nowB).hasSize(2);
        for (String k : keys) publisher.publish(event(k, 3));
        int toC = (int) keys.stream().filter(k -> nowC.contains(partitionOf(k, n))).count();
        assertThat(receiveUntil(c, "c", toC)).allSatisfy(d -> assertThat(nowC).contains(partitionOf(key(d.message()), n)));
        assertThat(receiveUntil(b, "b", keys.size() - toC)).allSatisfy(d -> assertThat(nowB).contains(partitionOf(key(d.message()), n)));
    }

    @Test
    void whenATransportStopsRenewing_itsLeaseLapses_andItsPartitionsAndPendingDeliveriesAreTakenOver() {
        int n = 4;
        String name = "orders:" + UUID.randomUUID();
        RedisStreamsTransport publisher = transport(name, n);
        RedisStreamsTransport a = transport(name, n), b = transport(name, n);
        a.receive("g", "a", 0, Duration.ZERO);
        b.receive("g", "b", 0, Duration.ZERO);
        clock.advance(RENEW);
        a.receive("g", "a", 0, Duration.ZERO);
        b.receive("g", "b", 0, Duration.ZERO);
        Set<Integer> ofA = new TreeSet<>(a.ownedPartitions("g"));
        List<String> keys = keysCovering(n, 40);
        for (String k : keys) publisher.publish(event(k, 1));
        int toA = (int) keys.stream().filter(k -> ofA.contains(partitionOf(k, n))).count();
        List<Delivery> heldByA = receiveUntil(a, "a", toA); // then a hangs: no ack, no receive, no close
        receiveUntil(b, "b", keys.size() - toA).forEach(Delivery::ack);

        clock.advance(LEASE.plusSeconds(1)); // a's lease lapses; b renews and takes every partition
        assertThat(b.receive("g", "b", 100, Duration.ZERO)).as("a's deliveries are not due before redeliverAfter").isEmpty();
        assertThat(b.ownedPartitions("g")).containsExactly(0, 1, 2, 3);
        for (String s : b.streams()) Admin.age(admin.sync(), s, LEASE.plusSeconds(1)); // redeliverAfter passes for a's deliveries
        List<Delivery> taken = receiveUntil(b, "b", heldByA.size());
        assertThat(taken).extracting(d -> d.message().id()).containsExactlyInAnyOrderElementsOf(heldByA.stream().map(d -> d.message().id()).toList());
        assertThat(taken).allSatisfy(d -> assertThat(d.deliveryCount()).isEqualTo(2));
    }

    /** {@code count} keys that between them reach every one of {@code n} partitions. */
    static List<String> keysCovering(int n, int count) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) keys.add("key-" + i);
        Predicate<Integer> reached = p -> keys.stream().anyMatch(k -> partitionOf(k, n) == p);
        for (int p = 0; p < n; p++) assertThat(reached.test(p)).as("partition " + p + " gets a key").isTrue();
        return keys;
    }
}
