package dev.weft.kafka;

import dev.weft.Weft;
import dev.weft.WeftClock;
import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A {@link Transport} on an Apache Kafka topic with consumer groups: at-least-once delivery
 * between processes, ordered per record key (ADR 0060).
 *
 * <pre>{@code
 * try (KafkaTransport t = KafkaTransport.builder("kafka-1:9092,kafka-2:9092")
 *         .topic("sightings").partitions(12).maxDeliveries(5).redeliverAfter(Duration.ofMinutes(1))
 *         .property("security.protocol", "SASL_SSL").property("sasl.mechanism", "SCRAM-SHA-512")
 *         .property("sasl.jaas.config", jaas)   // never logged nor put in a message
 *         .build()) {
 *     EventBus bus = EventBus.builder().declare(...).codec(new JacksonEventCodec()).transport(t).build();
 *     Worker worker = Worker.builder(t, codec).group("mail").on(...).build();
 * }
 * }</pre>
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li>{@link #publish} and {@link #publishAll} return once every record was written to the
 *   partition's in-sync replicas: an idempotent producer with {@code acks=all}, so retries inside
 *   the client neither duplicate nor reorder records. How many replicas that is depends on the
 *   topic ({@code replication.factor}, {@code min.insync.replicas}: with 3 and 2, a publish
 *   survives the loss of any one broker).</li>
 *   <li>The record key is the event's name unless {@link Builder#recordKey} says otherwise: records
 *   of one key go to one partition and keep their publish order there. Records of different keys
 *   in different partitions have no order between them.</li>
 *   <li>A consumer group is a Kafka consumer group; this transport is one member of each group it
 *   receives for (one {@code KafkaConsumer} per group), and hands the records of the partitions it
 *   holds to the process's consumers (the {@code consumer} argument names them in logs and dead
 *   letters). A new group starts at the earliest retained record
 *   ({@code auto.offset.reset=earliest}), so events published before the first worker started are
 *   not missed.</li>
 *   <li>A partition's offset is committed only up to its first record not yet settled: an
 *   acknowledged record is committed once every earlier record of its partition is acknowledged
 *   or dead-lettered. {@link Delivery#ack()} returns at once; the commit follows within about
 *   100 ms. After a crash, what was acknowledged and not committed is delivered again.</li>
 *   <li>A reject, or a delivery not settled within {@code redeliverAfter} (on this transport's
 *   clock), makes the record due again in this process: it is handed out before new records,
 *   with {@link Delivery#deliveryCount()} + 1, while later records of the partition go on being
 *   handed out. After {@code maxDeliveries} it goes to the dead-letter topic
 *   {@code <topic>.dead} with the error in its headers, then counts as settled. A partition with
 *   {@code maxUnsettledPerPartition} records fetched and not settled stops being fetched until
 *   half of them are (the bound on what a stuck record holds back).</li>
 *   <li>A record that is not a Weft event (docs/WIRE.md) or is over {@code maxPayloadBytes} goes to
 *   the dead-letter topic at once, with the reason.</li>
 *   <li>When a rebalance takes a partition away, its records are handed out no more; the revoke
 *   waits up to {@code revokeGrace} for those in flight to be settled and commits them; what is
 *   still in flight then is handed back to the new owner (its settlement is ignored here), who
 *   delivers it again. Nothing is lost.</li>
 *   <li>While Kafka is unreachable, a publish fails with a {@link TransportException} after
 *   {@code publishTimeout}; receives hand out what was fetched and then wait; the client
 *   reconnects by itself.</li>
 *   <li>Client settings ({@link Builder#property}), SASL passwords among them, are never logged
 *   nor put in a message or {@link #toString()}.</li>
 *   <li>Thread-safe.</li>
 * </ul>
 */
// Implementer's note. Kafka keeps the log and the committed offsets; this transport keeps, per
// group, what its GroupMember fetched and handed out (GroupMember's note has the details). The
// choice ADR 0060 makes: redelivery in memory, bounded per partition, instead of a retry topic,
// because a retry topic would hand a rejected record out after records published later (the
// contract's fence) and give it a second offset to commit; delivery counts travel to the next
// owner of a partition as the committed offset's metadata.
public final class KafkaTransport implements Transport {
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    /** Client settings the transport sets itself, because its guarantees rest on them. */
    private static final Map<String, String> RESERVED = Map.ofEntries(
            Map.entry("bootstrap.servers", "it is the builder's argument"),
            Map.entry("key.serializer", "records are bytes"),
            Map.entry("value.serializer", "records are bytes"),
            Map.entry("key.deserializer", "records are bytes"),
            Map.entry("value.deserializer", "records are bytes"),
            Map.entry("enable.auto.commit", "offsets are committed only past settled records"),
            Map.entry("group.id", "it is the group argument of receive"),
            Map.entry("acks", "publish returns once all in-sync replicas have the record (acks=all)"),
            Map.entry("enable.idempotence", "retries must not duplicate or reorder records"),
            Map.entry("transactional.id", "the transport does not use transactions"));

    private final String name;
    private final String topic;
    private final String deadTopic;
    private final String bootstrap;
    private final int partitions;
    private final Optional<Short> replicationFactor;
    private final Map<String, String> topicConfig;
    private final boolean createTopics;
    final int maxDeliveries;
    final Duration redeliverAfter;
    final int maxPayloadBytes;
    final int maxUnsettled;
    final Duration revokeGrace;
    final Duration closeTimeout;
    private final Duration publishTimeout;
    private final Function<TransportMessage, String> recordKey;
    private final Map<String, String> properties;
    final WeftClock clock;
    final System.Logger log;

    private final Map<String, GroupMember> members = new ConcurrentHashMap<>();
    private final Object lifecycle = new Object(); // guards the lazily made clients and member creation
    private volatile KafkaProducer<byte[], byte[]> producer;
    private volatile Admin admin;
    private volatile boolean topicsReady;
    private volatile boolean closed;

    private KafkaTransport(Builder b) {
        this.bootstrap = b.bootstrap;
        this.topic = b.topic;
        this.deadTopic = b.deadTopic != null ? b.deadTopic : b.topic + ".dead";
        this.name = b.name != null ? b.name : "kafka:" + b.topic;
        this.partitions = b.partitions;
        this.replicationFactor = b.replicationFactor;
        this.topicConfig = Map.copyOf(b.topicConfig);
        this.createTopics = b.createTopics;
        this.maxDeliveries = b.maxDeliveries;
        this.redeliverAfter = b.redeliverAfter;
        this.maxPayloadBytes = b.maxPayloadBytes;
        this.maxUnsettled = b.maxUnsettled;
        this.revokeGrace = b.revokeGrace;
        this.closeTimeout = b.closeTimeout;
        this.publishTimeout = b.publishTimeout;
        this.recordKey = b.recordKey;
        this.properties = Map.copyOf(b.properties);
        this.clock = b.clock;
        this.log = b.logger;
    }

    /**
     * A builder for a transport on the Kafka cluster at {@code bootstrapServers}
     * ({@code host:port}, several separated by commas). Nothing is connected until the first call.
     *
     * @throws IllegalArgumentException if it is blank or an entry is not {@code host:port} with a port of 1 to 65535
     */
    public static Builder builder(String bootstrapServers) {
        return new Builder(bootstrapServers);
    }

    @Override
    public String name() {
        return name;
    }

    /** The topic events are published to. */
    public String topic() {
        return topic;
    }

    /** The dead-letter topic: {@code <topic>.dead} unless the builder named another. */
    public String deadLetterTopic() {
        return deadTopic;
    }

    // ------------------------------------------------------------------ publishing

    /**
     * Stores {@code message} as one record and returns once the partition's in-sync replicas have it.
     *
     * @throws IllegalArgumentException if the body is over {@code maxPayloadBytes}
     * @throws TransportException       if Kafka did not confirm it within {@code publishTimeout}
     */
    @Override
    public void publish(TransportMessage message) {
        Objects.requireNonNull(message, "message");
        publishAll(List.of(message));
    }

    /**
     * Sends every message before waiting for the first confirmation (the producer batches what is
     * sent while a request is under way), and returns once Kafka confirmed all of them. Records of
     * one key keep the list's order.
     *
     * @throws IllegalArgumentException if a body is over {@code maxPayloadBytes} (nothing is sent then)
     * @throws TransportException       if any was not confirmed; some may have been stored
     */
    @Override
    public void publishAll(List<TransportMessage> messages) {
        checkOpen();
        for (TransportMessage m : messages) checkSize(m);
        if (messages.isEmpty()) return;
        ensureTopics();
        KafkaProducer<byte[], byte[]> p = producer();
        List<Future<RecordMetadata>> sent = new ArrayList<>(messages.size());
        try {
            for (TransportMessage m : messages) {
                String key = recordKey.apply(m);
                sent.add(p.send(Records.event(topic, key == null ? null : Records.bytes(key), m)));
            }
        } catch (KafkaException e) {
            throw failed("publish to topic '" + topic + "'", e);
        }
        long deadline = System.nanoTime() + publishTimeout.toNanos() + TimeUnit.SECONDS.toNanos(1);
        for (Future<RecordMetadata> f : sent) await("publish to topic '" + topic + "'", f, deadline);
    }

    void produceDeadLetter(ProducerRecord<byte[], byte[]> record) {
        checkOpen();
        ensureTopics();
        Future<RecordMetadata> f;
        try {
            f = producer().send(record);
        } catch (KafkaException e) {
            throw failed("write a dead letter to topic '" + deadTopic + "'", e);
        }
        await("write a dead letter to topic '" + deadTopic + "'", f, System.nanoTime() + publishTimeout.toNanos() + TimeUnit.SECONDS.toNanos(1));
    }

    private <T> T await(String what, Future<T> f, long deadlineNanos) {
        try {
            return f.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Weft.checkpoint();
            throw new TransportException("interrupted while waiting to " + what + " (transport '" + name + "')", e);
        } catch (ExecutionException e) {
            throw failed(what, e.getCause());
        } catch (TimeoutException e) {
            throw new TransportException("cannot " + what + ": Kafka at " + bootstrap + " did not confirm within " + publishTimeout
                    + " (transport '" + name + "'); is it up and reachable?", e);
        }
    }

    private TransportException failed(String what, Throwable cause) {
        if (closed) return new TransportClosedException(name);
        String hint = cause instanceof org.apache.kafka.common.errors.TimeoutException
                ? "; is Kafka at " + bootstrap + " up and reachable, and does the topic exist?"
                : cause instanceof org.apache.kafka.common.errors.AuthenticationException
                ? "; check the SASL/SSL client settings" : cause instanceof org.apache.kafka.common.errors.AuthorizationException
                ? "; the principal needs WRITE and DESCRIBE on the topic, READ on the group"
                : cause instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException
                ? "; the topic does not exist on Kafka at " + bootstrap + " (a transport creates it on first use unless createTopics(false))" : "";
        return new TransportException("cannot " + what + " (transport '" + name + "'): " + cause + hint, cause);
    }

    private void checkSize(TransportMessage m) {
        if (m.body().length > maxPayloadBytes) {
            throw new IllegalArgumentException("event '" + m.name() + "' " + m.id() + " is " + m.body().length + " bytes, over the limit of "
                    + maxPayloadBytes + " bytes of transport '" + name + "': send a reference to the data instead, or raise maxPayloadBytes "
                    + "(and the topic's max.message.bytes)");
        }
    }

    void checkOpen() {
        if (closed) throw new TransportClosedException(name);
    }

    // ------------------------------------------------------------------ receiving

    @Override
    public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
        return receive(group, consumer, max, wait, () -> {});
    }

    /**
     * As {@link #receive(String, String, int, Duration)}; {@code deadLettered} is run once for
     * every record this call moves to the dead-letter topic itself instead of handing it out (not a
     * Weft event, over the payload limit, past {@code maxDeliveries} by timeouts).
     *
     * <p>The first receive for a group makes this transport a member of it; the group's partitions
     * are assigned in the background, so that call may return nothing even when there are records.
     */
    @Override
    public List<Delivery> receive(String group, String consumer, int max, Duration wait, Runnable deadLettered) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(wait, "wait");
        Objects.requireNonNull(deadLettered, "deadLettered");
        if (max < 0) throw new IllegalArgumentException("max is negative");
        if (group.isBlank()) throw new IllegalArgumentException("group is blank");
        checkOpen();
        ensureTopics();
        return member(group).receive(consumer, max, wait.isNegative() ? Duration.ZERO : wait, deadLettered);
    }

    private GroupMember member(String group) {
        GroupMember m = members.get(group);
        if (m != null) return m;
        synchronized (lifecycle) {
            checkOpen();
            m = members.get(group);
            if (m != null) return m;
            Properties p = clientProperties();
            p.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
            p.put("auto.offset.reset", "earliest");
            p.put("max.poll.records", Integer.toString(Math.min(500, maxUnsettled)));
            p.putAll(properties);
            if ("consumer".equalsIgnoreCase(properties.get("group.protocol"))) p.remove("partition.assignment.strategy"); // the broker assigns
            p.put("group.id", group);
            p.put("enable.auto.commit", "false");
            p.put("key.deserializer", ByteArrayDeserializer.class.getName());
            p.put("value.deserializer", ByteArrayDeserializer.class.getName());
            KafkaConsumer<byte[], byte[]> c;
            try {
                c = new KafkaConsumer<>(p);
            } catch (KafkaException e) {
                throw failed("join consumer group '" + group + "'", e);
            }
            m = new GroupMember(this, group, c);
            members.put(group, m);
            m.start();
            return m;
        }
    }

    /** This transport's member of {@code group}, or null: for the tests in this package. */
    GroupMember memberOf(String group) {
        return members.get(group);
    }

    /** A member's poll thread ended (closed, or failed: the next receive starts a new one). */
    void memberStopped(String group, GroupMember m) {
        members.remove(group, m);
    }

    // ------------------------------------------------------------------ dead letters

    /** The messages of {@code group} in the dead-letter topic, oldest first (records that were not Weft events are skipped). */
    @Override
    public List<TransportMessage> deadLetters(String group) {
        Objects.requireNonNull(group, "group");
        List<TransportMessage> out = new ArrayList<>();
        for (DeadLetterRecord d : deadLetterRecords(group, Integer.MAX_VALUE)) {
            if (d.message() != null) out.add(d.message());
        }
        return out;
    }

    /**
     * The dead letters of {@code group} (every group when null) not yet replayed or purged, oldest
     * first, at most {@code limit}: with the reason, delivery count and the original record's place.
     * Reads the dead-letter topic from its start.
     */
    public List<DeadLetterRecord> deadLetterRecords(String group, int limit) {
        checkOpen();
        ensureTopics();
        List<ConsumerRecord<byte[], byte[]>> all = readAll(deadTopic);
        Set<String> settled = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : all) {
            String s = Records.header(r.headers(), Records.REPLAYS);
            if (s != null) settled.add(s);
        }
        List<DeadLetterRecord> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : all) {
            if (out.size() >= limit) break;
            if (r.headers().lastHeader(Records.REPLAYS) != null || settled.contains(r.partition() + "@" + r.offset())) continue;
            DeadLetterRecord d = DeadLetterRecord.of(r);
            if (group == null || group.equals(d.group())) out.add(d);
        }
        return out;
    }

    /**
     * Publishes the dead letters of {@code group} (every group when null) again to the topic,
     * oldest first, and marks each as replayed once the publish is confirmed (so a crash replays
     * one twice, never loses one). Kafka cannot delete a single record: the mark is a small record
     * in the dead-letter topic that hides the dead letter from {@link #deadLetterRecords}; the
     * topic's retention removes both. Every group sees a replayed event again; consumers
     * de-duplicate by id. Dead letters that were not Weft events stay where they are.
     *
     * @param limit    at most this many
     * @param progress told the number replayed so far after each one; may be null
     * @return how many were replayed
     */
    public int replayDeadLetters(String group, int limit, IntConsumer progress) {
        int n = 0;
        for (DeadLetterRecord d : deadLetterRecords(group, limit)) {
            if (d.message() == null) continue;
            publish(d.message());
            settleDeadLetter(d, "replayed");
            n++;
            if (progress != null) progress.accept(n);
        }
        return n;
    }

    /**
     * Hides the dead letters of {@code group} (every group when null) from now on, as
     * {@link #replayDeadLetters} does after a replay, without publishing them.
     *
     * @return how many were purged
     */
    public int purgeDeadLetters(String group) {
        int n = 0;
        for (DeadLetterRecord d : deadLetterRecords(group, Integer.MAX_VALUE)) {
            settleDeadLetter(d, "purged");
            n++;
        }
        return n;
    }

    private void settleDeadLetter(DeadLetterRecord d, String how) {
        RecordHeaders h = new RecordHeaders();
        h.add(Records.REPLAYS, Records.bytes(d.partition() + "@" + d.offset()));
        h.add("weft.how", Records.bytes(how));
        produceDeadLetter(new ProducerRecord<byte[], byte[]>(deadTopic, d.partition(), (byte[]) null, new byte[0], h));
    }

    /** Every record of {@code t} from its start to its end now, by partition, in offset order. */
    private List<ConsumerRecord<byte[], byte[]>> readAll(String t) {
        Properties p = clientProperties();
        p.putAll(properties);
        p.remove("group.id");
        p.put("enable.auto.commit", "false");
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo i : c.partitionsFor(t, publishTimeout)) tps.add(new TopicPartition(t, i.partition()));
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps, publishTimeout);
            long deadline = System.nanoTime() + publishTimeout.toNanos();
            while (true) {
                boolean done = true;
                for (TopicPartition tp : tps) if (c.position(tp, publishTimeout) < end.get(tp)) done = false;
                if (done) break;
                if (System.nanoTime() - deadline > 0) throw new TransportException("cannot read topic '" + t + "' to its end within " + publishTimeout);
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) out.add(r);
                }
            }
        } catch (KafkaException e) {
            throw failed("read topic '" + t + "'", e);
        }
        out.sort(Comparator.<ConsumerRecord<byte[], byte[]>>comparingInt(ConsumerRecord::partition).thenComparingLong(ConsumerRecord::offset));
        return out;
    }

    // ------------------------------------------------------------------ administration

    /**
     * What the topic looks like now: partitions with their offsets and replicas, dead letters, and
     * the groups that consume it with their committed offsets and lag. Reads the dead-letter topic
     * from its start to count the dead letters.
     */
    public TopicInfo info() {
        checkOpen();
        Admin a = admin();
        String what = "describe topic '" + topic + "'";
        try {
            TopicDescription d = a.describeTopics(List.of(topic)).allTopicNames().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS).get(topic);
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>(), latest = new HashMap<>();
            for (TopicPartitionInfo p : d.partitions()) {
                earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
                latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
            }
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> first = a.listOffsets(earliest).all().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = a.listOffsets(latest).all().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
            List<TopicInfo.Partition> parts = new ArrayList<>();
            for (TopicPartitionInfo p : d.partitions()) {
                TopicPartition tp = new TopicPartition(topic, p.partition());
                parts.add(new TopicInfo.Partition(p.partition(), first.get(tp).offset(), end.get(tp).offset(), p.leader() == null ? -1 : p.leader().id(),
                        p.replicas().stream().map(Node::id).toList(), p.isr().stream().map(Node::id).toList()));
            }
            Map<String, List<TopicInfo.Committed>> commits = new LinkedHashMap<>();
            for (GroupListing g : a.listGroups(ListGroupsOptions.forConsumerGroups()).all().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets(g.groupId()).partitionsToOffsetAndMetadata()
                        .get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
                List<TopicInfo.Committed> mine = new ArrayList<>();
                for (var e : committed.entrySet()) {
                    if (!e.getKey().topic().equals(topic) || e.getValue() == null) continue;
                    var endOffset = end.get(e.getKey());
                    long lag = endOffset == null ? -1 : Math.max(0, endOffset.offset() - e.getValue().offset());
                    mine.add(new TopicInfo.Committed(e.getKey().partition(), e.getValue().offset(), lag));
                }
                if (!mine.isEmpty()) {
                    mine.sort(Comparator.comparingInt(TopicInfo.Committed::partition));
                    commits.put(g.groupId(), List.copyOf(mine));
                }
            }
            List<TopicInfo.Group> groups = new ArrayList<>();
            if (!commits.isEmpty()) {
                Map<String, ConsumerGroupDescription> described = a.describeConsumerGroups(commits.keySet()).all().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
                for (var e : commits.entrySet()) {
                    ConsumerGroupDescription g = described.get(e.getKey());
                    List<TopicInfo.Member> ms = new ArrayList<>();
                    if (g != null) {
                        for (MemberDescription m : g.members()) {
                            List<Integer> mine = m.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(topic))
                                    .map(TopicPartition::partition).sorted().toList();
                            ms.add(new TopicInfo.Member(m.clientId(), m.host(), mine));
                        }
                    }
                    long lag = e.getValue().stream().mapToLong(c -> Math.max(0, c.lag())).sum();
                    groups.add(new TopicInfo.Group(e.getKey(), g == null ? "unknown" : g.groupState().toString(), lag, List.copyOf(ms), e.getValue()));
                }
            }
            long dead = deadLetterRecords(null, Integer.MAX_VALUE).size();
            long deadRecords = 0;
            Map<TopicPartition, OffsetSpec> deadFirst = new HashMap<>(), deadEnd = new HashMap<>();
            for (TopicPartitionInfo p : a.describeTopics(List.of(deadTopic)).allTopicNames().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .get(deadTopic).partitions()) {
                deadFirst.put(new TopicPartition(deadTopic, p.partition()), OffsetSpec.earliest());
                deadEnd.put(new TopicPartition(deadTopic, p.partition()), OffsetSpec.latest());
            }
            var f = a.listOffsets(deadFirst).all().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
            for (var e : a.listOffsets(deadEnd).all().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS).entrySet()) {
                deadRecords += e.getValue().offset() - f.get(e.getKey()).offset();
            }
            return new TopicInfo(topic, List.copyOf(parts), dead, List.copyOf(groups), deadTopic, deadRecords);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Weft.checkpoint();
            throw new TransportException("interrupted while trying to " + what, e);
        } catch (ExecutionException e) {
            throw failed(what, e.getCause());
        } catch (TimeoutException e) {
            throw new TransportException("cannot " + what + ": Kafka at " + bootstrap + " did not answer within " + publishTimeout, e);
        } catch (KafkaException e) {
            throw failed(what, e);
        }
    }

    /** Creates the topic and the dead-letter topic if they do not exist (and the builder allows it); once per transport. */
    private void ensureTopics() {
        if (topicsReady) return;
        synchronized (lifecycle) {
            if (topicsReady) return;
            checkOpen();
            Admin a = admin();
            String what = "check topics '" + topic + "' and '" + deadTopic + "'";
            try {
                Set<String> missing = new HashSet<>(List.of(topic, deadTopic));
                missing.removeAll(a.listTopics().names().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS));
                if (!missing.isEmpty() && !createTopics) {
                    throw new TransportException("topic(s) " + missing + " do not exist on Kafka at " + bootstrap + ": create them (kafka-topics.sh "
                            + "--create --topic " + missing.iterator().next() + " ...), or let the transport create them (createTopics(true))");
                }
                List<NewTopic> create = new ArrayList<>();
                for (String t : missing) {
                    NewTopic n = new NewTopic(t, Optional.of(t.equals(topic) ? partitions : 1), replicationFactor);
                    if (!topicConfig.isEmpty()) n.configs(topicConfig);
                    create.add(n);
                }
                if (!create.isEmpty()) {
                    try {
                        a.createTopics(create).all().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) throw e; // another process made it first: fine
                    }
                    awaitLeaders(a, missing);
                }
                topicsReady = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Weft.checkpoint();
                throw new TransportException("interrupted while trying to " + what, e);
            } catch (ExecutionException e) {
                throw failed(what, e.getCause());
            } catch (TimeoutException e) {
                throw new TransportException("cannot " + what + ": Kafka at " + bootstrap + " did not answer within " + publishTimeout
                        + " (transport '" + name + "'); is it up and reachable?", e);
            } catch (KafkaException e) {
                throw failed(what, e);
            }
        }
    }

    /**
     * Waits (up to {@code publishTimeout}) until every partition of the new topics has a leader:
     * a topic is created before its partitions are led, and a producer that looks it up in
     * between was seen to let its first records expire instead of finding the leaders later.
     */
    private void awaitLeaders(Admin a, Set<String> created) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + publishTimeout.toNanos();
        while (true) {
            boolean led = true;
            try {
                for (TopicDescription d : a.describeTopics(created).allTopicNames().get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS).values()) {
                    for (TopicPartitionInfo p : d.partitions()) if (p.leader() == null || p.leader().isEmpty()) led = false;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) throw e;
                led = false; // not known to this broker yet
            }
            if (led) return;
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("the partitions of " + created + " have no leader after " + publishTimeout);
            }
            Thread.sleep(20); // a polling interval: the brokers announce nothing to an admin client
        }
    }

    private KafkaProducer<byte[], byte[]> producer() {
        KafkaProducer<byte[], byte[]> p = producer;
        if (p != null) return p;
        synchronized (lifecycle) {
            checkOpen();
            if (producer != null) return producer;
            Properties c = clientProperties();
            long timeout = publishTimeout.toMillis();
            c.put("linger.ms", "0"); // batches form while a request is under way (ADR 0024): no waiting to fill them
            c.put("max.in.flight.requests.per.connection", "5"); // the most that keeps order with idempotence
            c.put("delivery.timeout.ms", Long.toString(timeout));
            c.put("request.timeout.ms", Long.toString(Math.max(1, timeout / 2)));
            c.put("max.block.ms", Long.toString(timeout));
            c.putAll(properties);
            c.put("acks", "all");
            c.put("enable.idempotence", "true");
            c.put("key.serializer", ByteArraySerializer.class.getName());
            c.put("value.serializer", ByteArraySerializer.class.getName());
            try {
                producer = new KafkaProducer<>(c);
            } catch (KafkaException e) {
                throw failed("start the producer", e);
            }
            return producer;
        }
    }

    private Admin admin() {
        Admin a = admin;
        if (a != null) return a;
        synchronized (lifecycle) {
            checkOpen();
            if (admin != null) return admin;
            Properties c = clientProperties();
            c.putAll(properties);
            c.put("default.api.timeout.ms", Long.toString(publishTimeout.toMillis()));
            c.put("request.timeout.ms", Long.toString(Math.max(1, publishTimeout.toMillis() / 2)));
            try {
                admin = Admin.create(c);
            } catch (KafkaException e) {
                throw failed("start the admin client", e);
            }
            return admin;
        }
    }

    private Properties clientProperties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        return p;
    }

    /**
     * Closes the clients; idempotent. Each group member stops handing out, commits what is settled
     * and leaves its group (its partitions go to the other members at once); deliveries not settled
     * are delivered again by the next owner. A blocked {@link #receive} throws {@link TransportClosedException}.
     */
    @Override
    public void close() {
        List<GroupMember> ms;
        synchronized (lifecycle) {
            if (closed) return;
            closed = true;
            ms = List.copyOf(members.values());
        }
        for (GroupMember m : ms) m.close();
        KafkaProducer<byte[], byte[]> p = producer;
        if (p != null) {
            try {
                p.close(closeTimeout);
            } catch (KafkaException e) {
                log.log(System.Logger.Level.DEBUG, "closing the producer failed", e);
            }
        }
        Admin a = admin;
        if (a != null) a.close(closeTimeout);
    }

    /** Names the topic and the servers, never a client setting's value. */
    @Override
    public String toString() {
        return "KafkaTransport[" + name + ", topic " + topic + " at " + bootstrap + "]";
    }

    /** Configures a {@link KafkaTransport}. */
    public static final class Builder {
        private final String bootstrap;
        private String topic = "weft.events";
        private String deadTopic;
        private String name;
        private int partitions = 3;
        private Optional<Short> replicationFactor = Optional.empty();
        private final Map<String, String> topicConfig = new LinkedHashMap<>();
        private boolean createTopics = true;
        private int maxDeliveries = 5;
        private Duration redeliverAfter = Duration.ofSeconds(60);
        private int maxPayloadBytes = 1 << 20;
        private int maxUnsettled = 1_000;
        private Duration revokeGrace = Duration.ofSeconds(10);
        private Duration publishTimeout = Duration.ofSeconds(30);
        private Duration closeTimeout = Duration.ofSeconds(5);
        private Function<TransportMessage, String> recordKey = TransportMessage::name;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private WeftClock clock = WeftClock.system();
        private System.Logger logger = System.getLogger(KafkaTransport.class.getName());

        private Builder(String bootstrapServers) {
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            if (bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("bootstrap servers are blank: give host:port of one or more brokers, separated by commas (e.g. localhost:9092)");
            }
            for (String s : bootstrapServers.split(",")) {
                String e = s.trim();
                int colon = e.lastIndexOf(':');
                String problem = null;
                if (colon <= 0 || colon == e.length() - 1) problem = "has no port";
                else {
                    try {
                        int port = Integer.parseInt(e.substring(colon + 1));
                        if (port < 1 || port > 65535) problem = "has port " + port + ", not 1 to 65535";
                    } catch (NumberFormatException x) {
                        problem = "has a port that is not a number";
                    }
                }
                if (e.contains("://")) problem = "is a URI; Kafka takes host:port (security goes in property(\"security.protocol\", ...))";
                if (problem != null) {
                    throw new IllegalArgumentException("bootstrap server '" + e + "' " + problem + ": give host:port of one or more brokers, separated by commas (e.g. localhost:9092)");
                }
            }
            this.bootstrap = bootstrapServers.trim();
        }

        /** The topic events go to; default {@code weft.events}. */
        public Builder topic(String topic) {
            this.topic = checkTopic(topic, "topic");
            return this;
        }

        /** The dead-letter topic; default {@code <topic>.dead}. */
        public Builder deadLetterTopic(String topic) {
            this.deadTopic = checkTopic(topic, "deadLetterTopic");
            return this;
        }

        private static String checkTopic(String t, String what) {
            Objects.requireNonNull(t, what);
            if (!TOPIC_NAME.matcher(t).matches() || t.equals(".") || t.equals("..")) {
                throw new IllegalArgumentException(what + " '" + t + "' is not a Kafka topic name: use 1 to 249 of a-z, A-Z, 0-9, '.', '_' and '-'");
            }
            return t;
        }

        /** The transport's name (default {@code kafka:<topic>}). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Partitions of the topic when the transport creates it; default 3. A topic that exists keeps its own. */
        public Builder partitions(int n) {
            if (n < 1) throw new IllegalArgumentException("partitions is " + n + ": at least 1");
            this.partitions = n;
            return this;
        }

        /** Replicas of each partition when the transport creates the topics; default the broker's {@code default.replication.factor}. */
        public Builder replicationFactor(int n) {
            if (n < 1 || n > Short.MAX_VALUE) throw new IllegalArgumentException("replicationFactor is " + n + ": at least 1");
            this.replicationFactor = Optional.of((short) n);
            return this;
        }

        /**
         * A setting of the topics when the transport creates them, e.g. {@code min.insync.replicas}
         * {@code 2} (with replication factor 3: a publish is confirmed by at least two brokers) or
         * {@code retention.ms}.
         */
        public Builder topicConfig(String key, String value) {
            topicConfig.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Whether the transport creates missing topics on first use; default true. When false, a missing topic fails the first call with a message naming it. */
        public Builder createTopics(boolean create) {
            this.createTopics = create;
            return this;
        }

        /** Deliveries of one record to one group before it goes to the dead-letter topic; default 5. */
        public Builder maxDeliveries(int n) {
            if (n < 1) throw new IllegalArgumentException("maxDeliveries is " + n + ": at least 1");
            this.maxDeliveries = n;
            return this;
        }

        /** How long a delivery may stay unsettled before it is handed out again; default 60 s. */
        public Builder redeliverAfter(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("redeliverAfter must be positive, is " + d);
            this.redeliverAfter = d;
            return this;
        }

        /** The largest body published or accepted, in bytes; default 1 MiB (the broker's own limit is {@code max.message.bytes}). */
        public Builder maxPayloadBytes(int n) {
            if (n < 1) throw new IllegalArgumentException("maxPayloadBytes is " + n + ": at least 1");
            this.maxPayloadBytes = n;
            return this;
        }

        /**
         * The bound on what one stuck record holds back: once a partition has this many records
         * fetched and not settled, nothing more is fetched from it until half of them are; default
         * 1,000. The commit of a partition waits for its first unsettled record; later records are
         * handed out meanwhile, up to this bound.
         */
        public Builder maxUnsettledPerPartition(int n) {
            if (n < 2) throw new IllegalArgumentException("maxUnsettledPerPartition is " + n + ": at least 2");
            this.maxUnsettled = n;
            return this;
        }

        /**
         * How long a rebalance that takes a partition away waits for its deliveries in flight to be
         * settled before it hands them back to the next owner; default 10 s. Must stay well under
         * the consumer's {@code max.poll.interval.ms} (5 minutes by default).
         */
        public Builder revokeGrace(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative()) throw new IllegalArgumentException("revokeGrace is negative: " + d);
            if (d.compareTo(Duration.ofMinutes(4)) > 0) throw new IllegalArgumentException("revokeGrace is " + d + ": at most 4 minutes, under max.poll.interval.ms");
            this.revokeGrace = d;
            return this;
        }

        /** How long a publish may wait for Kafka's confirmation (the producer's {@code delivery.timeout.ms}); default 30 s. */
        public Builder publishTimeout(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.toMillis() < 10) throw new IllegalArgumentException("publishTimeout is " + d + ": at least 10 ms");
            this.publishTimeout = d;
            return this;
        }

        /** How long {@link KafkaTransport#close()} waits for the clients to commit and leave; default 5 s. */
        public Builder closeTimeout(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative()) throw new IllegalArgumentException("closeTimeout is negative: " + d);
            this.closeTimeout = d;
            return this;
        }

        /**
         * The record key of a message (records of one key keep their order); default the event's
         * name. Return null for no key: records then spread over the partitions with no order.
         */
        public Builder recordKey(Function<TransportMessage, String> key) {
            this.recordKey = Objects.requireNonNull(key, "key");
            return this;
        }

        /**
         * A kafka-clients setting for the producer, the consumers and the admin client, e.g.
         * {@code security.protocol}, {@code sasl.mechanism}, {@code sasl.jaas.config},
         * {@code ssl.truststore.location}, {@code compression.type}, {@code client.id}. Values are
         * never logged or shown.
         *
         * @throws IllegalArgumentException for a setting the transport makes itself (serializers,
         *         {@code acks}, idempotence, auto commit, {@code group.id}, {@code bootstrap.servers}),
         *         with the reason
         */
        public Builder property(String key, String value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            String why = RESERVED.get(key);
            if (why != null) throw new IllegalArgumentException("property '" + key + "' is set by KafkaTransport itself: " + why);
            properties.put(key, value);
            return this;
        }

        /** The clock for redelivery timeouts; default the system clock ({@link dev.weft.FakeClock} in tests). */
        public Builder clock(WeftClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Where it reports what it handles by itself (dead letters, failed commits); never given a client setting's value. */
        public Builder logger(System.Logger logger) {
            this.logger = Objects.requireNonNull(logger, "logger");
            return this;
        }

        /** The transport; connects on first use. */
        public KafkaTransport build() {
            return new KafkaTransport(this);
        }
    }
}
