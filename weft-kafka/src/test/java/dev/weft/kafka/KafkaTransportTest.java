package dev.weft.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.Envelope;
import dev.weft.events.worker.Worker;
import dev.weft.test.LogCapture;
import dev.weft.test.Poll;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the Kafka transport promises beyond the contract suites, on a real KRaft broker (ADR 0060). */
class KafkaTransportTest {
    static KafkaCluster kafka;
    final List<KafkaTransport> open = new ArrayList<>();
    final String topic = "t." + UUID.randomUUID();

    @BeforeAll
    static void startKafka() {
        kafka = KafkaCluster.shared();
    }

    @AfterEach
    void closeAll() {
        for (KafkaTransport t : open) t.close();
    }

    KafkaTransport.Builder builder() {
        return KafkaTransport.builder(kafka.bootstrap()).topic(topic);
    }

    KafkaTransport open(KafkaTransport.Builder b) {
        KafkaTransport t = b.build();
        open.add(t);
        return t;
    }

    static TransportMessage message(String text) {
        return new TransportMessage(UUID.randomUUID().toString(), "test.event", text.getBytes(StandardCharsets.UTF_8));
    }

    static String text(Delivery d) {
        return new String(d.message().body(), StandardCharsets.UTF_8);
    }

    static List<Delivery> receive(KafkaTransport t, String group, int n) {
        List<Delivery> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (out.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError(out.size() + " of " + n + " records arrived within 20 s: " + out);
            out.addAll(t.receive(group, "c1", n - out.size(), Duration.ofNanos(left)));
        }
        return out;
    }

    static Properties clientConfig() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrap());
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return p;
    }

    /** Every record of {@code t} now, read with a plain consumer (no group). */
    static List<ConsumerRecord<byte[], byte[]>> readTopic(String t, int expected) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(clientConfig())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo i : c.partitionsFor(t, Duration.ofSeconds(10))) tps.add(new TopicPartition(t, i.partition()));
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (out.size() < expected) {
                if (System.nanoTime() - deadline > 0) throw new AssertionError(out.size() + " of " + expected + " records in " + t);
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) out.add(r);
            }
        }
        return out;
    }

    static long committed(String group, String t) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrap());
        try (Admin a = Admin.create(p)) {
            long sum = 0;
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).entrySet()) {
                if (e.getKey().topic().equals(t) && e.getValue() != null) sum += e.getValue().offset();
            }
            return sum;
        }
    }

    static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        return r.headers().lastHeader(key) == null ? null : new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    @Test
    void theRecordKeyIsTheEventKeyAndEachKeyKeepsItsOrderAcrossPartitions() {
        KafkaTransport t = open(builder().partitions(4).recordKey(m -> new String(m.body(), StandardCharsets.UTF_8).split(" ")[0]));
        List<TransportMessage> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) sent.add(message("k" + (i % 5) + " " + i));
        t.publishAll(sent);

        Map<String, Integer> last = new HashMap<>();
        Set<String> ids = new HashSet<>();
        for (Delivery d : receive(t, "g", 100)) {
            String[] keyAndIndex = text(d).split(" ");
            int i = Integer.parseInt(keyAndIndex[1]);
            Integer before = last.put(keyAndIndex[0], i);
            assertThat(before == null || before < i).as("key %s: %s after %s", keyAndIndex[0], i, before).isTrue();
            assertThat(ids.add(d.message().id())).isTrue();
            d.ack();
        }
        assertThat(ids).hasSize(100);

        Set<Integer> partitions = new HashSet<>();
        Map<String, Integer> partitionOfKey = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readTopic(topic, 100)) {
            String key = new String(r.key(), StandardCharsets.UTF_8);
            assertThat(new String(r.value(), StandardCharsets.UTF_8)).startsWith(key + " ");
            assertThat(header(r, "weft.v")).isEqualTo("1");
            assertThat(header(r, "weft.name")).isEqualTo("test.event");
            assertThat(header(r, "weft.id")).isNotBlank();
            Integer p = partitionOfKey.putIfAbsent(key, r.partition());
            assertThat(p == null || p == r.partition()).as("key %s in two partitions", key).isTrue();
            partitions.add(r.partition());
        }
        assertThat(partitions).as("5 keys over 4 partitions use more than one").hasSizeGreaterThan(1);
    }

    @Test
    void aRecordWrittenByAPlainProducerWithTheWeftHeadersIsAnEvent() throws Exception {
        KafkaTransport t = open(builder().partitions(1));
        t.receive("g", "c1", 1, Duration.ZERO); // makes the topic
        String id = UUID.randomUUID().toString();
        byte[] body = "{\"name\":\"test.event\"}".getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(clientConfig())) {
            ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, "k".getBytes(StandardCharsets.UTF_8), body);
            r.headers().add("weft.id", id.getBytes(StandardCharsets.UTF_8)).add("weft.name", "test.event".getBytes(StandardCharsets.UTF_8));
            raw.send(r).get(10, TimeUnit.SECONDS);
        }
        Delivery d = receive(t, "g", 1).get(0);
        assertThat(d.message()).isEqualTo(new TransportMessage(id, "test.event", body));
        d.ack();
    }

    /** An event the worker test decodes (public: Jackson reads it). */
    public record JobSubmitted(int n) {}

    @Test
    void aWorkerHandlesEveryEventOnKafka() throws Exception {
        JacksonEventCodec codec = new JacksonEventCodec();
        KafkaTransport t = open(builder().partitions(3).recordKey(TransportMessage::id));
        List<TransportMessage> jobs = new ArrayList<>();
        for (int n = 0; n < 50; n++) {
            UUID id = UUID.randomUUID();
            jobs.add(new TransportMessage(id.toString(), "job.submitted",
                    codec.encode(new Envelope<>(id, "job.submitted", Instant.now(), Map.of(), new JobSubmitted(n)))));
        }
        t.publishAll(jobs);
        Set<Integer> handled = ConcurrentHashMap.newKeySet();
        AtomicBoolean failedOnce = new AtomicBoolean();
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").pollWait(Duration.ofMillis(50)).logger(new LogCapture())
                .on(JobSubmitted.class, job -> {
                    if (job.n() == 7 && failedOnce.compareAndSet(false, true)) throw new IllegalStateException("flaky once");
                    handled.add(job.n());
                }).build();
        Thread run = Thread.ofVirtual().start(w::run);
        try {
            Poll.until(() -> handled.size() == 50);
            Poll.until(() -> {
                try {
                    return committed("g", topic) == 50;
                } catch (Exception e) {
                    return false;
                }
            });
        } finally {
            w.shutdown(Duration.ofSeconds(1));
            run.join(Duration.ofSeconds(5));
        }
        assertThat(failedOnce).isTrue();
        assertThat(w.statistics().handled()).isEqualTo(50);
    }

    @Test
    void anOffsetIsCommittedOnlyOnceEveryEarlierRecordOfItsPartitionIsSettled() throws Exception {
        KafkaTransport t = open(builder().partitions(1));
        t.publishAll(List.of(message("a"), message("b"), message("c")));
        List<Delivery> got = receive(t, "g", 3);
        assertThat(got).extracting(KafkaTransportTest::text).containsExactly("a", "b", "c");
        got.get(0).ack();
        got.get(2).ack(); // b, before it, is not settled: the commit stops at b
        t.close(); // commits what it may, synchronously

        assertThat(committed("g", topic)).isEqualTo(1);
        KafkaTransport next = open(builder().partitions(1));
        List<Delivery> again = receive(next, "g", 2);
        assertThat(again).extracting(KafkaTransportTest::text).containsExactly("b", "c");
        assertThat(again.get(0).deliveryCount()).as("b's count went with the committed offset").isEqualTo(2);
        again.forEach(Delivery::ack);
        Poll.until(() -> {
            try {
                return committed("g", topic) == 3;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void anUnsettledOrRejectedRecordDoesNotHoldBackItsPartition() {
        KafkaTransport t = open(builder().partitions(1));
        t.publishAll(List.of(message("a"), message("b"), message("c")));
        Delivery a = receive(t, "g", 1).get(0);
        assertThat(text(a)).isEqualTo("a");
        List<Delivery> later = receive(t, "g", 2); // a is neither acknowledged nor rejected
        assertThat(later).extracting(KafkaTransportTest::text).containsExactly("b", "c");
        a.reject("not now");
        Delivery again = receive(t, "g", 1).get(0);
        assertThat(text(again)).isEqualTo("a");
        assertThat(again.deliveryCount()).isEqualTo(2);
    }

    @Test
    void deadLettersGoToTheDeadLetterTopicWithTheErrorInHeaders() throws Exception {
        KafkaTransport t = open(builder().partitions(1).maxDeliveries(2));
        TransportMessage poison = message("poison"), bad = message("bad");
        t.publishAll(List.of(poison, bad));
        List<Delivery> first = receive(t, "g", 2);
        first.get(0).reject("first try failed");
        first.get(1).deadLetter("does not decode");
        Delivery second = receive(t, "g", 1).get(0);
        assertThat(second.deliveryCount()).isEqualTo(2);
        second.reject("boom: bad input");

        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(clientConfig())) {
            raw.send(new ProducerRecord<>(topic, "x".getBytes(StandardCharsets.UTF_8), "not weft".getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
        }
        AtomicInteger buried = new AtomicInteger();
        Poll.until(() -> {
            t.receive("g", "c1", 10, Duration.ofMillis(100), buried::incrementAndGet);
            return buried.get() == 1;
        });

        List<DeadLetterRecord> dead = t.deadLetterRecords("g", 10);
        assertThat(dead).hasSize(3);
        assertThat(dead.get(0).message()).isEqualTo(bad);
        assertThat(dead.get(0).error()).isEqualTo("does not decode");
        assertThat(dead.get(0).deliveries()).isEqualTo(1);
        assertThat(dead.get(1).message()).isEqualTo(poison);
        assertThat(dead.get(1).error()).isEqualTo("boom: bad input");
        assertThat(dead.get(1).deliveries()).isEqualTo(2);
        assertThat(dead.get(1).group()).isEqualTo("g");
        assertThat(dead.get(1).consumer()).isEqualTo("c1");
        assertThat(dead.get(1).original()).isEqualTo(topic + "-0@0");
        assertThat(dead.get(2).message()).isNull();
        assertThat(dead.get(2).error()).contains("not a Weft event");
        assertThat(t.deadLetters("g")).containsExactly(bad, poison);
        assertThat(t.deadLetters("other")).isEmpty();

        List<ConsumerRecord<byte[], byte[]>> raw = readTopic(t.deadLetterTopic(), 3);
        ConsumerRecord<byte[], byte[]> r = raw.get(1);
        assertThat(header(r, "weft.error")).isEqualTo("boom: bad input");
        assertThat(header(r, "weft.group")).isEqualTo("g");
        assertThat(header(r, "weft.offset")).isEqualTo("0");
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("test.event");
        assertThat(r.value()).isEqualTo(poison.body());

        assertThat(t.replayDeadLetters("g", 10, null)).isEqualTo(2);
        assertThat(t.deadLetters("g")).isEmpty();
        assertThat(receive(t, "g", 2)).extracting(Delivery::message).containsExactly(bad, poison);
    }

    /** Receives on {@code t} in a virtual thread until stopped, acknowledging all, into {@code into}. */
    static Thread consume(KafkaTransport t, String consumer, Map<String, Integer> into, AtomicBoolean stop) {
        return Thread.ofVirtual().start(() -> {
            while (!stop.get()) {
                for (Delivery d : t.receive("g", consumer, 100, Duration.ofMillis(100))) {
                    into.merge(d.message().id(), d.deliveryCount(), Math::max);
                    d.ack();
                }
            }
        });
    }

    @Test
    void deliveriesInFlightWhenAPartitionIsRevokedFinishAndCommitBeforeItMoves() throws Exception {
        KafkaTransport.Builder b = builder().partitions(4).recordKey(TransportMessage::id).revokeGrace(Duration.ofSeconds(30));
        KafkaTransport one = open(b);
        List<TransportMessage> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) sent.add(message("m" + i));
        one.publishAll(sent);
        List<Delivery> held = receive(one, "g", 40); // in flight in process one

        KafkaTransport two = open(b);
        Map<String, Integer> atTwo = new ConcurrentHashMap<>(), atOne = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread c2 = consume(two, "c2", atTwo, stop); // joins the group: a rebalance moves partitions to it
        Poll.until(() -> one.memberOf("g").revokingPartitions() > 0, 30);
        held.forEach(Delivery::ack); // handled while the revoke waits
        Poll.until(() -> {
            try {
                return committed("g", topic) == 40;
            } catch (Exception e) {
                return false;
            }
        }, 30);
        Thread c1 = consume(one, "c1", atOne, stop);
        Poll.until(() -> two.memberOf("g") != null && two.memberOf("g").ownedPartitions() > 0 && one.memberOf("g").ownedPartitions() > 0, 30);
        List<TransportMessage> more = new ArrayList<>();
        for (int i = 0; i < 20; i++) more.add(message("n" + i));
        one.publishAll(more);
        Poll.until(() -> atOne.size() + atTwo.size() == 20, 30);
        stop.set(true);
        c1.join();
        c2.join();

        Set<String> handledFirst = new HashSet<>();
        for (TransportMessage m : sent) handledFirst.add(m.id());
        assertThat(atTwo.keySet()).as("handled and committed during the revoke: not delivered again").doesNotContainAnyElementsOf(handledFirst);
        assertThat(atTwo).as("the new member got partitions").isNotEmpty();
        Set<String> all = new HashSet<>(atOne.keySet());
        all.addAll(atTwo.keySet());
        assertThat(all).containsExactlyInAnyOrderElementsOf(more.stream().map(TransportMessage::id).toList());
    }

    @Test
    void deliveriesStillInFlightAfterTheRevokeGraceAreHandedBackToTheNextOwner() throws Exception {
        KafkaTransport.Builder b = builder().partitions(4).recordKey(TransportMessage::id).revokeGrace(Duration.ofMillis(500));
        KafkaTransport one = open(b);
        List<TransportMessage> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) sent.add(message("m" + i));
        one.publishAll(sent);
        List<Delivery> held = receive(one, "g", 40); // never settled in time: the handler is stuck

        KafkaTransport two = open(b);
        Map<String, Integer> atTwo = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread c2 = consume(two, "c2", atTwo, stop);
        Poll.until(() -> !atTwo.isEmpty(), 30);
        held.forEach(Delivery::ack); // late: what moved is ignored here, the rest is committed
        Poll.until(() -> {
            try {
                return committed("g", topic) == 40;
            } catch (Exception e) {
                return false;
            }
        }, 30);
        stop.set(true);
        c2.join();
        assertThat(atTwo.values()).as("delivered again, counting on from the first owner's count").allMatch(count -> count == 2);
    }
}
