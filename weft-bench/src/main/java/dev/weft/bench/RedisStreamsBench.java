package dev.weft.bench;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.Envelope;
import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.worker.Worker;
import dev.weft.events.transport.TransportMessage;
import dev.weft.redis.RedisStreamsTransport;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Issue 6, item 10: Weft's publish to a Redis stream beside raw Lettuce, both pipelined 100 deep
 * on one connection with entries of the same size as {@code redis-benchmark}'s (run by
 * {@code weft-bench/redis-bench.sh}, which starts its own redis-server and calls this); then
 * consume-and-acknowledge throughput, then end-to-end latency at a fixed rate.
 *
 * <p>Publish is measured twice: the transport's {@code publishAll} in batches of 100 (Weft's own
 * cost over Lettuce), and the whole user path, {@code EventBus.emit} of JSON events whose outbox
 * sends what queued up in one pipelined call (up to 100, the same depth). Consume-and-acknowledge
 * is measured twice too: one consumer acknowledging each delivery in turn (one round trip per ack),
 * and a {@link Worker} (no-op handler, 64 at a time), whose acknowledgements share {@code XACK}s.
 *
 * <p>Arguments: redis URI, entries per measurement, body bytes, fixed rate (events/s), seconds at that rate.
 * Prints one line per figure: {@code name value unit}. Not a JMH benchmark: each phase is a
 * network round-trip workload measured once after a warm-up; run it on a quiet machine.
 */
public final class RedisStreamsBench {
    private static final int DEPTH = 100;

    private RedisStreamsBench() {}

    public static void main(String[] args) throws Exception {
        String uri = args[0];
        int n = Integer.parseInt(args[1]);
        int bodyBytes = Integer.parseInt(args[2]);
        int rate = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        byte[] body = "x".repeat(bodyBytes).getBytes(StandardCharsets.UTF_8);

        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<String, byte[]> raw = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
             RedisStreamsTransport weft = RedisStreamsTransport.builder(uri).stream("bench:weft").maxLength(10_000_000).build()) {
            // -Dbench.only=consume: fill the stream with the bus, then only the consume passes (for profiling).
            boolean consumeOnly = "consume".equals(System.getProperty("bench.only"));
            if (!consumeOnly) publishPhases(raw, weft, body, n);
            double busRate = busEmit(uri, bodyBytes, n);
            System.out.printf("weft_bus_emit_to_stream %.0f ops/s%n", busRate);

            if (!consumeOnly) {
                double consumeRate = consumeAndAck(weft, n);
                System.out.printf("weft_receive_ack_sequential %.0f ops/s%n", consumeRate);
            }
            // The consume floor and the worker, alternating (raw, raw, worker; raw, raw, worker; ...),
            // each pass in a consumer group of its own over the same 20,000 + n JSON entries of
            // bench:bus. A first round warms the JIT up and is not counted; the medians of the
            // measured rounds are printed, with each pass's CPU per event (this JVM's, and
            // redis-server's from INFO cpu), which the load of other processes moves far less than
            // the rates.
            int rounds = Integer.getInteger("bench.consume.rounds", 3);
            List<Pass> acksPasses = new ArrayList<>(), xackPasses = new ArrayList<>(), workerPasses = new ArrayList<>();
            for (int round = 0; round <= rounds; round++) {
                int r = round;
                Pass a = measure(raw, n, () -> rawConsume(uri, "raw-acks-" + r, n, false));
                Pass x = measure(raw, n, () -> rawConsume(uri, "raw-xack-" + r, n, true));
                Profiler.start("worker-" + r);
                Pass w = measure(raw, n, () -> workerConsume(uri, "bench-" + r, n));
                Profiler.stop();
                System.out.printf("%s %d: lettuce_consume_ack_pipelined %s; lettuce_consume_xack_multi %s; weft_worker_consume_ack %s%n",
                        r == 0 ? "warm-up" : "round", r, a, x, w);
                if (r == 0) continue;
                acksPasses.add(a);
                xackPasses.add(x);
                workerPasses.add(w);
            }
            Pass acks = Pass.median(acksPasses), xack = Pass.median(xackPasses), worker = Pass.median(workerPasses);
            System.out.printf("lettuce_consume_ack_pipelined %.0f ops/s%n", acks.rate);
            System.out.printf("lettuce_consume_xack_multi %.0f ops/s%n", xack.rate);
            System.out.printf("lettuce_consume_ack %.0f ops/s%n", Math.max(acks.rate, xack.rate));
            System.out.printf("weft_worker_consume_ack %.0f ops/s%n", worker.rate);
            System.out.printf("cpu_per_event_us lettuce_consume_ack_pipelined %.2f client %.2f redis%n", acks.clientUs, acks.serverUs);
            System.out.printf("cpu_per_event_us lettuce_consume_xack_multi %.2f client %.2f redis%n", xack.clientUs, xack.serverUs);
            System.out.printf("cpu_per_event_us weft_worker_consume_ack %.2f client %.2f redis%n", worker.clientUs, worker.serverUs);

            if (consumeOnly) return;
            long[] lat = latency(uri, rate, seconds);
            System.out.printf("latency_p50 %.3f ms%n", lat[lat.length / 2] / 1e6);
            System.out.printf("latency_p99 %.3f ms%n", lat[(int) (lat.length * 0.99)] / 1e6);
            System.out.printf("latency_samples %d at %d/s%n", lat.length, rate);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static void publishPhases(StatefulRedisConnection<String, byte[]> raw, RedisStreamsTransport weft, byte[] body, int n) throws Exception {
        // Warm-up both paths (JIT, connections).
        rawLettuce(raw, "bench:warm", body, 20_000, false);
        weftPublish(weft, body, 20_000);
        raw.sync().del("bench:warm", "bench:weft", "bench:raw");

        double rawAsync = rawLettuce(raw, "bench:raw", body, n, false);
        System.out.printf("lettuce_xadd_async %.0f ops/s%n", rawAsync);
        raw.setAutoFlushCommands(false);
        rawLettuce(raw, "bench:warm", body, 20_000, true);
        double rawBatched = rawLettuce(raw, "bench:raw2", body, n, true);
        raw.setAutoFlushCommands(true);
        System.out.printf("lettuce_xadd_flush_batched %.0f ops/s%n", rawBatched);
        double rawRate = Math.max(rawAsync, rawBatched);
        System.out.printf("lettuce_xadd_pipelined %.0f ops/s%n", rawRate);
        double weftRate = weftPublish(weft, body, n);
        System.out.printf("weft_publishAll_pipelined %.0f ops/s%n", weftRate);
        System.out.printf("weft_vs_lettuce %.2f ratio%n", weftRate / rawRate);

    }

    /** One consume pass: its rate, and CPU microseconds per event in this JVM and in redis-server. */
    record Pass(double rate, double clientUs, double serverUs) {
        static Pass median(List<Pass> ps) {
            return new Pass(median(ps, Pass::rate), median(ps, Pass::clientUs), median(ps, Pass::serverUs));
        }

        private static double median(List<Pass> ps, java.util.function.ToDoubleFunction<Pass> f) {
            double[] v = ps.stream().mapToDouble(f).sorted().toArray();
            return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }

        @Override
        public String toString() {
            return String.format("%.0f ops/s, cpu/event %.2f us client + %.2f us redis", rate, clientUs, serverUs);
        }
    }

    interface Consume {
        double run() throws Exception;
    }

    /** Runs one pass over the 20,000 + n entries and reads the CPU both sides spent on it. */
    static Pass measure(StatefulRedisConnection<String, byte[]> redis, int n, Consume pass) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long client0 = os.getProcessCpuTime();
        double server0 = redisCpuSeconds(redis);
        double rate = pass.run();
        double server = redisCpuSeconds(redis) - server0;
        long client = os.getProcessCpuTime() - client0;
        int events = 20_000 + n;
        return new Pass(rate, client / 1e3 / events, server * 1e6 / events);
    }

    /** used_cpu_sys + used_cpu_user of redis-server (INFO cpu), in seconds. */
    static double redisCpuSeconds(StatefulRedisConnection<String, byte[]> redis) {
        double sum = 0;
        for (String line : redis.sync().info("cpu").split("\r?\n")) {
            if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) sum += Double.parseDouble(line.substring(line.indexOf(':') + 1));
        }
        return sum;
    }

    /**
     * With {@code -Dbench.profile=<dir>} and async-profiler's jar on the class path
     * ({@code tools.profiler:async-profiler}, e.g. {@code -cp benchmarks.jar:async-profiler-4.1.jar}),
     * profiles each worker pass into {@code <dir>/<pass>.collapsed} (CPU, or the event
     * {@code -Dbench.profile.event} names: {@code wall}, {@code alloc}, {@code lock}); found by
     * reflection, so the benchmark does not depend on it.
     */
    static final class Profiler {
        private static final String DIR = System.getProperty("bench.profile");
        private static Object instance;
        private static String file;

        static void start(String pass) throws Exception {
            if (DIR == null) return;
            if (instance == null) {
                Class<?> c = Class.forName("one.profiler.AsyncProfiler");
                String lib = System.getProperty("bench.profile.lib");
                instance = lib == null ? c.getMethod("getInstance").invoke(null) : c.getMethod("getInstance", String.class).invoke(null, lib);
            }
            String event = System.getProperty("bench.profile.event", "cpu");
            file = DIR + "/" + pass + "-" + event + ".collapsed";
            // -Dbench.profile.opts=threads: one stack root per thread.
            String opts = System.getProperty("bench.profile.opts", "");
            execute("start,event=" + event + ",interval=" + ("alloc".equals(event) ? "512k" : "1ms") + (opts.isEmpty() ? "" : "," + opts));
        }

        static void stop() throws Exception {
            if (DIR == null) return;
            execute("stop,file=" + file + ",collapsed");
            System.err.println("profile: " + file);
        }

        private static void execute(String command) throws Exception {
            instance.getClass().getMethod("execute", String.class).invoke(instance, command);
        }
    }

    /**
     * The same fields as a Weft entry (v, id, name, body), XADD MAXLEN ~, 100 in flight: with
     * auto-flush on, each command is written as it is issued; with it off, the 100 are written in
     * one flush (what Weft's publishAll does). The better of the two is the raw Lettuce figure.
     */
    static double rawLettuce(StatefulRedisConnection<String, byte[]> c, String stream, byte[] body, int n, boolean flush) throws Exception {
        XAddArgs args = XAddArgs.Builder.maxlen(10_000_000).approximateTrimming();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i += DEPTH) {
            List<RedisFuture<String>> fs = new ArrayList<>(DEPTH);
            for (int j = 0; j < DEPTH && i + j < n; j++) {
                Map<String, byte[]> f = new LinkedHashMap<>(8);
                f.put("v", "1".getBytes(StandardCharsets.UTF_8));
                f.put("id", UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
                f.put("name", "bench.event".getBytes(StandardCharsets.UTF_8));
                f.put("body", body);
                fs.add(c.async().xadd(stream, args, f));
            }
            if (flush) c.flushCommands(); // one write per 100 commands (auto-flush is off)
            for (RedisFuture<String> f : fs) f.get(10, TimeUnit.SECONDS);
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    static double weftPublish(RedisStreamsTransport t, byte[] body, int n) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i += DEPTH) {
            List<TransportMessage> batch = new ArrayList<>(DEPTH);
            for (int j = 0; j < DEPTH && i + j < n; j++) batch.add(new TransportMessage(UUID.randomUUID().toString(), "bench.event", body));
            t.publishAll(batch);
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    /** A JSON event for the bus path; its text is sized so the encoded entry body is about {@code bodyBytes}. */
    @EventName("bench.event")
    public record BenchEvent(String text) {}

    /**
     * Emits {@code n} events outside any scope (so each is dispatched at once) on a bus whose only
     * route is the stream; returns the rate once the outbox has published them all.
     */
    static double busEmit(String uri, int bodyBytes, int n) throws Exception {
        JacksonEventCodec codec = new JacksonEventCodec();
        int overhead = codec.encode(new Envelope<>(UUID.randomUUID(), "bench.event", java.time.Instant.now(), Map.of(), new BenchEvent(""))).length;
        String text = "x".repeat(Math.max(1, bodyBytes - overhead));
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(uri).stream("bench:bus").maxLength(10_000_000).build()) {
            EventBus bus = EventBus.builder().declare(BenchEvent.class).codec(codec).transport(t).outboxBatchSize(DEPTH)
                    .capacity(Math.max(10_000, DEPTH * 4)).build();
            for (int i = 0; i < 20_000; i++) bus.emit(new BenchEvent(text)); // warm-up
            if (!bus.awaitIdle(Duration.ofSeconds(60))) throw new IllegalStateException("warm-up did not finish: " + bus.statistics());
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) bus.emit(new BenchEvent(text));
            if (!bus.awaitIdle(Duration.ofSeconds(120))) throw new IllegalStateException("publish did not finish: " + bus.statistics());
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            bus.close();
            return rate;
        }
    }

    /**
     * A Worker (no-op handler, 64 in flight, batches of 100) consumes the {@code 20,000 + n} events
     * busEmit put on the stream; the first 20,000 warm it up (the JIT), the rate is of the last n,
     * up to the moment Redis holds no pending entry for the group (every acknowledgement
     * confirmed, as in the raw loop, whose time includes its last XACK).
     */
    static double workerConsume(String uri, String group, int n) throws Exception {
        int warmUp = 20_000;
        int total = warmUp + n;
        java.util.concurrent.atomic.LongAdder handled = new java.util.concurrent.atomic.LongAdder();
        java.util.concurrent.atomic.AtomicLong measuredFrom = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(1);
        RedisClient probeClient = RedisClient.create(uri);
        try (StatefulRedisConnection<String, String> probe = probeClient.connect();
             RedisStreamsTransport t = RedisStreamsTransport.builder(uri).stream("bench:bus").maxLength(10_000_000).build()) {
            Worker worker = Worker.builder(t, new JacksonEventCodec()).group(group).consumer("w1")
                    .concurrency(Integer.getInteger("bench.worker.concurrency", 64)).batchSize(Integer.getInteger("bench.worker.batch", DEPTH)).pollWait(Duration.ofMillis(100))
                    .on(BenchEvent.class, e -> {
                        handled.increment();
                        long h = handled.sum();
                        if (h >= warmUp) measuredFrom.compareAndSet(0, System.nanoTime());
                        if (h == total) all.countDown();
                    }).build();
            Thread runner = Thread.ofVirtual().start(worker::run);
            if (!all.await(300, TimeUnit.SECONDS)) throw new IllegalStateException("worker did not finish: " + worker.statistics());
            awaitNoPending(probe, group);
            double rate = n / ((System.nanoTime() - measuredFrom.get()) / 1e9);
            worker.shutdown(Duration.ofSeconds(10));
            runner.join();
            return rate;
        } finally {
            probeClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** Polls XPENDING (every 0.2 ms) until the group has no pending entry. */
    static void awaitNoPending(StatefulRedisConnection<String, String> c, String group) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (c.sync().xpending("bench:bus", group).getCount() > 0) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("group " + group + " still has pending entries after 30 s");
            Thread.sleep(0, 200_000);
        }
    }

    /**
     * The honest Java floor for consume-and-acknowledge (issue 12, item 4): raw Lettuce, no Weft,
     * no decoding, no handler. {@code XREADGROUP GROUP g c COUNT 100 BLOCK 100 STREAMS bench:bus >}
     * on a connection of its own (as Weft's blocking read), then the batch's acknowledgements
     * pipelined on a second connection with auto-flush off: {@code multiXack} false sends one
     * {@code XACK} per entry, all written with one flush; true sends one {@code XACK} with every id
     * of the batch. Then the next read: a loop with one batch in flight, as the simplest
     * consumer would write it. Same connection settings as Weft's RedisLink (RESP2, String keys and
     * byte[] values, its own client). Consumes the 20,000 + n entries busEmit left in
     * {@code bench:bus}; the first 20,000 warm it up, the rate is of the last n.
     */
    @SuppressWarnings("unchecked") // Lettuce's StreamOffset varargs
    static double rawConsume(String uri, String group, int n, boolean multiXack) throws Exception {
        int warmUp = 20_000;
        int total = warmUp + n;
        String stream = "bench:bus";
        RedisClient client = RedisClient.create(uri);
        client.setOptions(io.lettuce.core.ClientOptions.builder().protocolVersion(io.lettuce.core.protocol.ProtocolVersion.RESP2).build());
        RedisCodec<String, byte[]> codec = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
        try (StatefulRedisConnection<String, byte[]> reads = client.connect(codec);
             StatefulRedisConnection<String, byte[]> acks = client.connect(codec)) {
            acks.setAutoFlushCommands(false);
            reads.sync().xgroupCreate(io.lettuce.core.XReadArgs.StreamOffset.from(stream, "0-0"), group, io.lettuce.core.XGroupCreateArgs.Builder.mkstream());
            io.lettuce.core.Consumer<String> me = io.lettuce.core.Consumer.from(group, "raw");
            io.lettuce.core.XReadArgs args = io.lettuce.core.XReadArgs.Builder.count(DEPTH).block(100);
            io.lettuce.core.XReadArgs.StreamOffset<String> next = io.lettuce.core.XReadArgs.StreamOffset.lastConsumed(stream);
            int seen = 0;
            long t0 = 0;
            while (seen < total) {
                if (seen >= warmUp && t0 == 0) t0 = System.nanoTime();
                List<io.lettuce.core.StreamMessage<String, byte[]>> got = reads.async().xreadgroup(me, args, next).get(10, TimeUnit.SECONDS);
                if (got.isEmpty()) throw new IllegalStateException("raw consumer: stream ran dry after " + seen + " of " + total);
                if (multiXack) {
                    String[] ids = new String[got.size()];
                    for (int i = 0; i < ids.length; i++) ids[i] = got.get(i).getId();
                    RedisFuture<Long> f = acks.async().xack(stream, group, ids);
                    acks.flushCommands();
                    f.get(10, TimeUnit.SECONDS);
                } else {
                    List<RedisFuture<Long>> fs = new ArrayList<>(got.size());
                    for (io.lettuce.core.StreamMessage<String, byte[]> m : got) fs.add(acks.async().xack(stream, group, m.getId()));
                    acks.flushCommands();
                    for (RedisFuture<Long> f : fs) f.get(10, TimeUnit.SECONDS);
                }
                seen += got.size();
            }
            return (total - warmUp) / ((System.nanoTime() - t0) / 1e9);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** Receives batches of 100 and acknowledges each delivery in turn: one round trip per acknowledgement. */
    static double consumeAndAck(RedisStreamsTransport t, int n) {
        // The warm-up and the measured publish put 20,000 + n entries in the stream.
        int seen = 0;
        long t0 = System.nanoTime();
        while (seen < n) {
            List<Delivery> got = t.receive("bench", "c1", DEPTH, Duration.ofMillis(100));
            if (got.isEmpty()) break;
            for (Delivery d : got) d.ack();
            seen += got.size();
        }
        return seen / ((System.nanoTime() - t0) / 1e9);
    }

    /** Publishes at a fixed rate with the send time in the body; a consumer on its own connection measures arrival minus send. */
    static long[] latency(String uri, int rate, int seconds) throws Exception {
        int total = rate * seconds;
        List<Long> samples = java.util.Collections.synchronizedList(new ArrayList<>());
        try (RedisStreamsTransport pub = RedisStreamsTransport.builder(uri).stream("bench:latency").build();
             RedisStreamsTransport sub = RedisStreamsTransport.builder(uri).stream("bench:latency").build()) {
            sub.receive("latency", "c1", 1, Duration.ZERO); // the group exists before the first publish
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds + 30L);
            Thread consumer = Thread.ofVirtual().start(() -> {
                while (samples.size() < total && System.nanoTime() < deadline) {
                    for (Delivery d : sub.receive("latency", "c1", DEPTH, Duration.ofMillis(200))) {
                        long now = System.nanoTime();
                        String text = new String(d.message().body(), StandardCharsets.UTF_8);
                        samples.add(now - Long.parseLong(text.substring(2)));
                        d.ack();
                    }
                }
            });
            long interval = 1_000_000_000L / rate;
            long next = System.nanoTime();
            for (int i = 0; i < total; i++) {
                while (System.nanoTime() < next) Thread.onSpinWait();
                pub.publish(new TransportMessage(UUID.randomUUID().toString(), "bench.event", ("t=" + System.nanoTime()).getBytes(StandardCharsets.UTF_8)));
                next += interval;
            }
            consumer.join(Duration.ofSeconds(60));
        }
        long[] out = samples.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(out);
        return out;
    }
}
