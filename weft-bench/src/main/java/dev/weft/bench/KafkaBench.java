package dev.weft.bench;

import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.worker.Worker;
import dev.weft.kafka.KafkaCluster;
import dev.weft.kafka.KafkaTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Issue 15, item 5: the Kafka transport's publish and its worker's consume as ratios to raw
 * kafka-clients loops doing the same work, in one run against one KRaft broker (started here with
 * weft-kafka's KafkaCluster, in a JVM of its own, unless a bootstrap is given). Run by
 * {@code weft-bench/kafka-bench.sh}, which prints the ratios.
 *
 * <p>Publish: a raw {@link KafkaProducer} with the settings {@link KafkaTransport} uses
 * ({@code acks=all}, idempotence, {@code linger.ms=0}, 5 requests in flight, byte arrays), records
 * with the same key, value and headers, sent 100 at a time and waited for (what
 * {@code publishAll} of 100 does); Weft's {@code publishAll} in batches of 100; and the whole user
 * path, {@code EventBus.emit} of JSON events whose outbox publishes what queued up (up to 100 a
 * call). A warm-up round, then {@code rounds} rounds of (raw, Weft), the order swapped every
 * round, medians. For comparison only, the raw producer with no window at all (send everything,
 * then wait).
 *
 * <p>Consume: a raw {@link KafkaConsumer} loop (poll, no handler work, commit the batch's offsets
 * asynchronously, a synchronous commit at the end; same group settings as the transport's), and a
 * Weft {@link Worker} with a no-op handler (64 at a time, batches of 100) whose transport commits
 * past settled records. Each pass is a consumer group of its own over the same 20,000 + n JSON
 * records the bus wrote; the first 20,000 warm it up; a pass ends when the group's committed
 * offsets reach the end of the topic. A warm-up round, then {@code rounds} measured rounds
 * (raw, worker), medians.
 *
 * <p>Arguments: bootstrap servers or {@code -} (start a broker here), records per measurement, body
 * bytes, rounds. Prints one line per figure: {@code name value unit}; exit code 2 with a
 * {@code skipped:} line when no broker can be started here.
 */
public final class KafkaBench {
    private static final int DEPTH = 100;
    private static final int WARM_UP = 20_000;
    private static final int PARTITIONS = 3;

    private KafkaBench() {}

    public static void main(String[] args) throws Exception {
        String given = args.length > 0 ? args[0] : "-";
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        int bodyBytes = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        KafkaCluster cluster = null;
        String bootstrap = given;
        if (given.equals("-")) {
            try {
                cluster = KafkaCluster.start(1);
            } catch (org.opentest4j.TestAbortedException skipped) {
                System.out.println("skipped: " + skipped.getMessage());
                System.exit(2);
            }
            bootstrap = cluster.bootstrap();
        }
        try {
            run(bootstrap, n, bodyBytes, rounds);
        } finally {
            if (cluster != null) cluster.close();
        }
        System.exit(0); // the broker is gone: no client thread keeps the JVM waiting for it
    }

    static void run(String bootstrap, int n, int bodyBytes, int rounds) throws Exception {
        String run = Long.toString(System.currentTimeMillis(), 36);
        byte[] body = "x".repeat(bodyBytes).getBytes(StandardCharsets.UTF_8);

        // Publish: warm both paths up (JIT, connections, topics), then rounds of (raw, Weft), the
        // order swapped every round so that neither always runs first after the other's work.
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(producerSettings(bootstrap));
             KafkaTransport weft = KafkaTransport.builder(bootstrap).topic("bench.weft." + run).partitions(PARTITIONS).build()) {
            String rawTopic = "bench.raw." + run;
            createTopic(bootstrap, rawTopic);
            rawPublish(raw, rawTopic, body, WARM_UP, DEPTH);
            weftPublish(weft, body, WARM_UP);
            List<Double> rawRates = new ArrayList<>(), weftRates = new ArrayList<>();
            for (int round = 0; round <= rounds; round++) {
                double r, w;
                if (round % 2 == 0) {
                    r = rawPublish(raw, rawTopic, body, n, DEPTH);
                    w = weftPublish(weft, body, n);
                } else {
                    w = weftPublish(weft, body, n);
                    r = rawPublish(raw, rawTopic, body, n, DEPTH);
                }
                System.out.printf("%s %d: kafka_producer_send100_wait %.0f ops/s; weft_publishAll_100 %.0f ops/s%n", round == 0 ? "warm-up" : "round", round, r, w);
                if (round == 0) continue;
                rawRates.add(r);
                weftRates.add(w);
            }
            System.out.printf("kafka_producer_send100_wait %.0f ops/s%n", median(rawRates));
            System.out.printf("weft_publishAll_100 %.0f ops/s%n", median(weftRates));
            double unbounded = rawPublish(raw, rawTopic, body, n, Integer.MAX_VALUE);
            System.out.printf("kafka_producer_send_all_then_wait %.0f ops/s (no window; for comparison)%n", unbounded);
        }
        String busTopic = "bench.bus." + run;
        double busRate = busEmit(bootstrap, busTopic, bodyBytes, n);
        System.out.printf("weft_bus_emit_to_topic %.0f ops/s%n", busRate);

        // Consume: raw loop and worker alternating, each in a group of its own over the bus's records.
        List<Double> raws = new ArrayList<>(), workers = new ArrayList<>();
        for (int round = 0; round <= rounds; round++) {
            double r = rawConsume(bootstrap, busTopic, "raw-" + round, n);
            double w = workerConsume(bootstrap, busTopic, "weft-" + round, n);
            System.out.printf("%s %d: kafka_consumer_poll_commit %.0f ops/s; weft_worker_consume %.0f ops/s%n", round == 0 ? "warm-up" : "round", round, r, w);
            if (round == 0) continue;
            raws.add(r);
            workers.add(w);
        }
        System.out.printf("kafka_consumer_poll_commit %.0f ops/s%n", median(raws));
        System.out.printf("weft_worker_consume %.0f ops/s%n", median(workers));
    }

    static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The producer settings KafkaTransport uses (acks, idempotence, linger, in-flight requests, byte arrays). */
    static Properties producerSettings(String bootstrap) {
        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap);
        c.put("acks", "all");
        c.put("enable.idempotence", "true");
        c.put("linger.ms", "0");
        c.put("max.in.flight.requests.per.connection", "5");
        c.put("delivery.timeout.ms", "30000");
        c.put("request.timeout.ms", "15000");
        c.put("max.block.ms", "30000");
        c.put("key.serializer", ByteArraySerializer.class.getName());
        c.put("value.serializer", ByteArraySerializer.class.getName());
        return c;
    }

    static void createTopic(String bootstrap, String topic) throws Exception {
        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap);
        try (Admin a = Admin.create(c)) {
            a.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (a.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().stream()
                    .anyMatch(p -> p.leader() == null || p.leader().isEmpty())) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("topic " + topic + " has no leaders after 30 s");
                Thread.sleep(20); // a polling interval: the broker announces nothing to an admin client
            }
        }
    }

    /**
     * Records as Weft writes them (key: the event name; value: the body; headers weft.v, weft.id,
     * weft.name), {@code window} sent before waiting for their confirmations.
     */
    static double rawPublish(KafkaProducer<byte[], byte[]> p, String topic, byte[] body, int n, int window) throws Exception {
        byte[] key = "bench.event".getBytes(StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        List<Future<RecordMetadata>> fs = new ArrayList<>(Math.min(window, n));
        for (int i = 0; i < n; i += Math.min(window, n)) {
            fs.clear();
            for (int j = 0; j < window && i + j < n; j++) {
                RecordHeaders h = new RecordHeaders();
                h.add("weft.v", "1".getBytes(StandardCharsets.UTF_8));
                h.add("weft.id", UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
                h.add("weft.name", "bench.event".getBytes(StandardCharsets.UTF_8));
                fs.add(p.send(new ProducerRecord<>(topic, null, key, body, h)));
            }
            for (Future<RecordMetadata> f : fs) f.get(60, TimeUnit.SECONDS);
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    static double weftPublish(KafkaTransport t, byte[] body, int n) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i += DEPTH) {
            List<TransportMessage> batch = new ArrayList<>(DEPTH);
            for (int j = 0; j < DEPTH && i + j < n; j++) batch.add(new TransportMessage(UUID.randomUUID().toString(), "bench.event", body));
            t.publishAll(batch);
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    /** A JSON event; its text is sized so that the encoded body is about {@code bodyBytes}. */
    @EventName("bench.event")
    public record BenchEvent(String text) {}

    /**
     * Emits {@code 20,000 + n} events outside any scope on a bus whose only route is the topic (the
     * first 20,000 warm it up); returns the rate of the last n, once the outbox has published them.
     */
    static double busEmit(String bootstrap, String topic, int bodyBytes, int n) throws Exception {
        JacksonEventCodec codec = new JacksonEventCodec();
        int overhead = codec.encode(new Envelope<>(UUID.randomUUID(), "bench.event", Instant.now(), Map.of(), new BenchEvent(""))).length;
        String text = "x".repeat(Math.max(1, bodyBytes - overhead));
        try (KafkaTransport t = KafkaTransport.builder(bootstrap).topic(topic).partitions(PARTITIONS).recordKey(m -> m.id()).build()) {
            EventBus bus = EventBus.builder().declare(BenchEvent.class).codec(codec).transport(t).outboxBatchSize(DEPTH)
                    .capacity(Math.max(10_000, DEPTH * 4)).build();
            for (int i = 0; i < WARM_UP; i++) bus.emit(new BenchEvent(text));
            if (!bus.awaitIdle(Duration.ofSeconds(120))) throw new IllegalStateException("warm-up did not finish: " + bus.statistics());
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) bus.emit(new BenchEvent(text));
            if (!bus.awaitIdle(Duration.ofSeconds(300))) throw new IllegalStateException("publish did not finish: " + bus.statistics());
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            bus.close();
            return rate;
        }
    }

    /** The consumer settings of the transport's group members (byte arrays, no auto commit, from the earliest record). */
    static Properties consumerSettings(String bootstrap, String group) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", group);
        p.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        p.put("auto.offset.reset", "earliest");
        p.put("max.poll.records", "500");
        p.put("enable.auto.commit", "false");
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return p;
    }

    /**
     * The raw floor: poll, touch each record (no decoding, no handler), commit the batch's next
     * offsets asynchronously; once every record was seen, a synchronous commit. The rate is of the
     * records after the first 20,000, up to that last commit.
     */
    static double rawConsume(String bootstrap, String topic, String group, int n) {
        int total = WARM_UP + n;
        long seen = 0, bytes = 0, t0 = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerSettings(bootstrap, group))) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (seen < total) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("raw consumer saw " + seen + " of " + total + " in 300 s");
                ConsumerRecords<byte[], byte[]> got = c.poll(Duration.ofMillis(100));
                if (got.isEmpty()) continue;
                Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : got) {
                    bytes += r.value().length;
                    next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    if (++seen == WARM_UP) t0 = System.nanoTime();
                }
                c.commitAsync(next, null);
            }
            c.commitSync(Duration.ofSeconds(30));
        }
        if (bytes == 0) throw new IllegalStateException("no bytes read");
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    /**
     * A Worker (no-op handler, 64 in flight, batches of 100) over the same records; the rate is of
     * the records after the first 20,000, up to the moment the group's committed offsets reach the
     * end of the topic (every acknowledgement committed, as the raw loop's last commit).
     */
    static double workerConsume(String bootstrap, String topic, String group, int n) throws Exception {
        int total = WARM_UP + n;
        LongAdder handled = new LongAdder();
        AtomicLong measuredFrom = new AtomicLong();
        CountDownLatch all = new CountDownLatch(1);
        Properties ac = new Properties();
        ac.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(ac);
             KafkaTransport t = KafkaTransport.builder(bootstrap).topic(topic).createTopics(false).build()) {
            Worker worker = Worker.builder(t, new JacksonEventCodec()).group(group).consumer("w1")
                    .concurrency(Integer.getInteger("bench.worker.concurrency", 64)).batchSize(Integer.getInteger("bench.worker.batch", DEPTH))
                    .pollWait(Duration.ofMillis(100))
                    .on(BenchEvent.class, e -> {
                        handled.increment();
                        long h = handled.sum();
                        if (h >= WARM_UP) measuredFrom.compareAndSet(0, System.nanoTime());
                        if (h == total) all.countDown();
                    }).build();
            Thread runner = Thread.ofVirtual().name("bench-worker").start(worker::run);
            if (!all.await(300, TimeUnit.SECONDS)) throw new IllegalStateException("worker did not finish: " + worker.statistics());
            awaitCommitted(admin, topic, group, total);
            double rate = n / ((System.nanoTime() - measuredFrom.get()) / 1e9);
            worker.shutdown(Duration.ofSeconds(10));
            runner.join(Duration.ofSeconds(15));
            return rate;
        }
    }

    /** Asks the broker (every millisecond) until the group's committed offsets on the topic add up to {@code total}. */
    static void awaitCommitted(Admin admin, String topic, String group, long total) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            long sum = 0;
            for (var e : admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).entrySet()) {
                if (e.getKey().topic().equals(topic) && e.getValue() != null) sum += e.getValue().offset();
            }
            if (sum >= total) return;
            if (System.nanoTime() > deadline) {
                Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
                for (int p = 0; p < PARTITIONS; p++) ends.put(new TopicPartition(topic, p), OffsetSpec.latest());
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = admin.listOffsets(ends).all().get(30, TimeUnit.SECONDS);
                throw new IllegalStateException("group " + group + " committed " + sum + " of " + total + " after 60 s (topic ends: "
                        + Arrays.toString(end.values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).toArray()) + ")");
            }
            Thread.sleep(1); // a polling interval: the broker announces no commit
        }
    }
}
