package dev.weft.bench;

import dev.weft.bench.RedisStreamsBench.BenchEvent;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.worker.Worker;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.redis.StreamInfo;
import dev.weft.test.RedisCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Issue 15, item 5: partitioned Redis streams, throughput with 1 and 3 masters (the ratio shows how
 * it scales). For each size it starts a Redis Cluster of its own (weft-test's {@link RedisCluster}:
 * that many masters, one replica each, on free loopback ports, stopped by pid), then:
 *
 * <ul>
 *   <li><b>publish</b>: {@code publishers} threads each send their share of {@code n} JSON events
 *   through one transport with {@code partitions(p)}, {@code publishAll} in batches of 100, each
 *   event routed by its id (so they spread evenly over the partitions);</li>
 *   <li><b>consume</b>: {@code workers} {@link Worker}s (no-op handler, 64 in flight, batches of
 *   100), each on a transport of its own, so each reads its share of the partitions, handle all
 *   {@code n}; the rate runs to the moment no entry is pending.</li>
 * </ul>
 * Both clusters run from the start. A warm-up round (a fifth of n, at least 2,000 events, on both)
 * is not counted; then {@code rounds} rounds, alternating which cluster goes first, and the
 * medians are printed. Self-checks: the partitions hold every event published, as many are
 * handled as were published and none is pending at the end, and with 3 masters every master holds
 * entries. Prints {@code name value unit} lines, then the ratios of 3 masters to 1.
 *
 * <p>Arguments: events n (default 200,000), partitions p (default 6), body bytes (200),
 * publishers (4), workers (1), rounds (3). {@code weft-bench/partitioned-bench.sh} builds and runs
 * it; {@code partitioned-bench.sh quick} is the smoke run (20,000 events, 1 round).
 */
public final class PartitionedStreamsBench {
    private static final int DEPTH = 100;

    private PartitionedStreamsBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int bodyBytes = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        int publishers = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        int workers = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        System.out.printf("# partitioned streams: %d events, %d partitions, %d-byte bodies, %d publishers, %d workers, %d rounds%n",
                n, partitions, bodyBytes, publishers, workers, rounds);
        JacksonEventCodec codec = new JacksonEventCodec();
        int overhead = codec.encode(new Envelope<>(UUID.randomUUID(), "bench.event", Instant.now(), Map.of(), new BenchEvent(""))).length;
        String text = "x".repeat(Math.max(1, bodyBytes - overhead));
        try (RedisCluster one = RedisCluster.start(1); RedisCluster three = RedisCluster.start(3)) {
            // Round 0 warms the JIT up on both clusters and is not counted; then the rounds
            // alternate which cluster goes first (1, 3; 3, 1; ...), and the medians are printed,
            // so neither size gets a warmer JVM or a quieter moment by its place.
            List<double[]> ofOne = new ArrayList<>(), ofThree = new ArrayList<>();
            for (int r = 0; r <= rounds; r++) {
                int events = r == 0 ? Math.max(2_000, n / 5) : n;
                boolean oneFirst = r % 2 == 1 || r == 0;
                double[] x = pass(oneFirst ? one : three, oneFirst ? 1 : 3, events, partitions, codec, text, publishers, workers);
                double[] y = pass(oneFirst ? three : one, oneFirst ? 3 : 1, events, partitions, codec, text, publishers, workers);
                double[] rOne = oneFirst ? x : y, rThree = oneFirst ? y : x;
                System.out.printf("%s %d: 1 master publish %.0f consume %.0f; 3 masters publish %.0f consume %.0f events/s%n",
                        r == 0 ? "warm-up" : "round", r, rOne[0], rOne[1], rThree[0], rThree[1]);
                if (r == 0) continue;
                ofOne.add(rOne);
                ofThree.add(rThree);
            }
            double pub1 = median(ofOne, 0), con1 = median(ofOne, 1), pub3 = median(ofThree, 0), con3 = median(ofThree, 1);
            System.out.printf("partitioned_publish_1_master %.0f events/s%n", pub1);
            System.out.printf("partitioned_consume_1_master %.0f events/s%n", con1);
            System.out.printf("partitioned_publish_3_masters %.0f events/s%n", pub3);
            System.out.printf("partitioned_consume_3_masters %.0f events/s%n", con3);
            System.out.printf("partitioned_publish_3_vs_1_masters %.2f ratio%n", pub3 / pub1);
            System.out.printf("partitioned_consume_3_vs_1_masters %.2f ratio%n", con3 / con1);
        }
    }

    static double median(List<double[]> rounds, int i) {
        double[] v = rounds.stream().mapToDouble(r -> r[i]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** One pass on {@code cluster}, on a stream of its own: {publish rate, consume rate}. */
    static double[] pass(RedisCluster cluster, int masters, int n, int partitions, JacksonEventCodec codec, String text, int publishers, int workers)
            throws Exception {
        String stream = "bench:parts:" + UUID.randomUUID();
        double pub = publish(cluster, stream, partitions, codec, text, n, publishers);
        double con = consume(cluster, stream, partitions, codec, n, workers, masters > 1);
        try (RedisStreamsTransport t = transport(cluster, stream, partitions)) {
            for (String s : t.streams()) cluster.cli(cluster.masterOf(s), "DEL", s); // keep memory flat over the rounds
        }
        return new double[] {pub, con};
    }

    static RedisStreamsTransport transport(RedisCluster cluster, String stream, int partitions) {
        return RedisStreamsTransport.builder(cluster.uri()).stream(stream).partitions(partitions).partitionKey(TransportMessage::id)
                .maxLength(10_000_000).build();
    }

    static double publish(RedisCluster cluster, String stream, int partitions, JacksonEventCodec codec, String text, int n, int publishers)
            throws Exception {
        try (RedisStreamsTransport t = transport(cluster, stream, partitions)) {
            t.publish(message(codec, text)); // connects and records the partitions outside the measured time
            List<Thread> threads = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int p = 0; p < publishers; p++) {
                int share = n / publishers + (p < n % publishers ? 1 : 0);
                threads.add(Thread.ofPlatform().start(() -> {
                    List<TransportMessage> batch = new ArrayList<>(DEPTH);
                    for (int i = 0; i < share; i++) {
                        batch.add(message(codec, text));
                        if (batch.size() == DEPTH || i == share - 1) {
                            t.publishAll(batch);
                            batch.clear();
                        }
                    }
                }));
            }
            for (Thread th : threads) th.join();
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            StreamInfo info = t.info();
            if (info.length() != n + 1L) throw new IllegalStateException("published " + (n + 1) + " events, the partitions hold " + info.length());
            return rate;
        }
    }

    static TransportMessage message(JacksonEventCodec codec, String text) {
        UUID id = UUID.randomUUID();
        return new TransportMessage(id.toString(), "bench.event", codec.encode(new Envelope<>(id, "bench.event", Instant.now(), Map.of(), new BenchEvent(text))));
    }

    /** {@code workers} Workers handle the n + 1 events of {@code stream}; the rate is of the n. */
    static double consume(RedisCluster cluster, String stream, int partitions, JacksonEventCodec codec, int n, int workers, boolean checkSpread)
            throws Exception {
        int total = n + 1;
        LongAdder handled = new LongAdder();
        CountDownLatch all = new CountDownLatch(1);
        List<RedisStreamsTransport> ts = new ArrayList<>();
        List<Worker> ws = new ArrayList<>();
        List<Thread> runners = new ArrayList<>();
        AtomicLong t0 = new AtomicLong();
        try {
            for (int w = 0; w < workers; w++) {
                RedisStreamsTransport t = transport(cluster, stream, partitions);
                ts.add(t);
                ws.add(Worker.builder(t, codec).group("bench").consumer("w" + w).concurrency(64).batchSize(DEPTH).pollWait(Duration.ofMillis(100))
                        .on(BenchEvent.class, e -> {
                            handled.increment();
                            if (handled.sum() == total) all.countDown();
                        }).build());
            }
            t0.set(System.nanoTime());
            for (Worker w : ws) runners.add(Thread.ofVirtual().start(w::run));
            if (!all.await(300, TimeUnit.SECONDS)) throw new IllegalStateException("the workers handled " + handled.sum() + " of " + total + " in 300 s");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (pending(ts.get(0)) > 0) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("entries still pending 30 s after the last was handled");
                Thread.sleep(0, 200_000); // polling Redis's pending count, not ordering threads
            }
            double rate = n / ((System.nanoTime() - t0.get()) / 1e9);
            if (handled.sum() != total) throw new IllegalStateException("handled " + handled.sum() + " events, published " + total);
            if (checkSpread) checkSpread(cluster, ts.get(0));
            return rate;
        } finally {
            for (Worker w : ws) w.shutdown(Duration.ofSeconds(10));
            for (Thread r : runners) r.join();
            for (RedisStreamsTransport t : ts) t.close();
        }
    }

    static long pending(RedisStreamsTransport t) {
        return t.info().groups().stream().mapToLong(StreamInfo.Group::pending).sum();
    }

    /** Every master holds entries of the stream (else the figure is not of several shards). */
    static void checkSpread(RedisCluster cluster, RedisStreamsTransport t) {
        java.util.Set<Integer> withEntries = new java.util.TreeSet<>();
        for (String s : t.streams()) {
            int port = cluster.masterOf(s);
            if (Long.parseLong(cluster.cli(port, "XLEN", s).trim()) > 0) withEntries.add(port);
        }
        if (!withEntries.containsAll(cluster.masters())) {
            throw new IllegalStateException("the partitions " + t.streams() + " hold entries on masters " + withEntries + " only, of " + cluster.masters());
        }
    }
}
