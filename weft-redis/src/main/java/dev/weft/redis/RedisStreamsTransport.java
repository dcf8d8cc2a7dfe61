package dev.weft.redis;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.GroupLag;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.models.stream.PendingMessage;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A {@link Transport} on a Redis stream with consumer groups: at-least-once delivery between
 * processes and machines (rules R1, R2, R4).
 *
 * <pre>{@code
 * try (RedisStreamsTransport t = RedisStreamsTransport.builder("rediss://weft:secret@redis.internal:6380")
 *         .stream("sightings").maxDeliveries(5).redeliverAfter(Duration.ofMinutes(1)).build()) {
 *     EventBus bus = EventBus.builder().declare(...).codec(new JacksonEventCodec()).transport(t).build();
 *     ...
 * }
 * }</pre>
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li>{@link #publish} returns once Redis stored the entry ({@code XADD} with an approximate
 *   {@code MAXLEN}, so the stream stays bounded); how durable that is depends on Redis'
 *   persistence ({@code appendonly yes}, {@code appendfsync always} for no loss on a crash).</li>
 *   <li>Consumer groups are created on first use, idempotently ({@code MKSTREAM}; another
 *   process creating it first is fine), starting at the beginning of the stream, so events
 *   published before the first worker started are not missed. When Redis says a group no longer
 *   exists ({@code NOGROUP}: Redis restarted without its data, or the group was deleted), it is
 *   created again the same way, logged, and receiving goes on; what Redis lost is lost (see
 *   docs/REDIS-OPERATIONS.md).</li>
 *   <li>{@link #receive} hands out, in this order: the consumer's own pending entries left from
 *   an earlier run (once, on its first receive), entries idle longer than
 *   {@code redeliverAfter} on any consumer ({@code XAUTOCLAIM}, which also takes over entries of
 *   consumers that died) and rejected entries, then new entries ({@code XREADGROUP >}, blocking
 *   up to {@code wait}: a cancellation point). With a long pending list (more than ten times
 *   {@code max} entries), after a full {@code XAUTOCLAIM} pass that found nothing to take over,
 *   receives skip it for a tenth of {@code redeliverAfter} (at most 1 s), so an entry may be taken
 *   over that much later than it became due; a reject by this transport ends the pause.</li>
 *   <li>An entry is acknowledged ({@code XACK}) only by {@link Delivery#ack()}, which returns once
 *   Redis confirmed it; acknowledgements made at the same time (a {@link dev.weft.events.worker.Worker Worker} settling many
 *   deliveries) share one {@code XACK}. A delivery that
 *   reached {@code maxDeliveries} and is rejected or times out goes to the dead-letter stream
 *   {@code <stream>:dead} with the group, consumer, delivery count and error, then is
 *   acknowledged. An entry that is not a Weft event (docs/WIRE.md) or is over
 *   {@code maxPayloadBytes} goes there at once, with the reason. An entry trimmed away before it
 *   was handled (Redis returns no fields for it) is logged and acknowledged.</li>
 *   <li>TLS ({@code rediss://}) and ACL user and password come from the Redis URI; messages
 *   and {@link #toString()} name the server without the password.</li>
 *   <li>While Redis is unreachable, calls fail at once with a {@link TransportException} that
 *   says so (no silent queueing inside the client); the connection comes back by itself, at most
 *   {@code reconnectBackoff} (1 s) after Redis answers again. A Redis that accepts connections but
 *   does not answer fails calls after {@code commandTimeout}.</li>
 *   <li>Built with {@link Builder#partitions partitions(n)}, the stream is spread over n streams
 *   (on a Redis Cluster, over its masters), events routed by {@link Builder#partitionKey a key}
 *   so one key keeps its order, and each transport reading a group reads its share of the
 *   partitions (docs/adr/0064-partitioned-streams.md). Everything above holds per partition.</li>
 *   <li>Thread-safe.</li>
 * </ul>
 */
// Implementer's note. Redis keeps the state, this class keeps none that matters for delivery:
// another process with the same stream and group continues where this one stopped.
// - Delivery counts are Redis' own (the PEL's delivery counter): XREADGROUP > sets 1, XCLAIM and
//   XAUTOCLAIM add 1. Counts are read back with XPENDING for claimed entries.
// - Redis has no "negative acknowledgement". reject() claims the entry back with JUSTID (which
//   does not count a delivery), RETRYCOUNT (keeps the count) and IDLE set past redeliverAfter, so
//   the next XAUTOCLAIM of any consumer takes it at once; the reason is kept in the hash
//   <stream>:errors:<group> so a later dead letter carries it.
// - XAUTOCLAIM goes through Lettuce's raw dispatch because the typed reply drops the third element
//   (ids of entries deleted meanwhile, Redis 7), which we log.
// - Blocking reads run on a connection borrowed from RedisLink's pool; a read that is cancelled
//   closes its connection, since Redis may still answer it. Entries it delivered then stay
//   pending for this consumer and come back through the own-pending pass or XAUTOCLAIM: at least once.
// - Acks of a group go through StreamAcks, a group commit: one XACK in flight per group, acks that
//   arrive meanwhile share the next one. publishAll queues its XADDs on a connection that does not
//   flush per command (RedisLink.batching) and writes them in one go.
public final class RedisStreamsTransport implements Transport {
    private static final int OWN_PENDING_LIMIT = 10_000;

    private final String name;
    private final String stream;
    private final String deadStream;
    private final long maxLength;
    private final int maxDeliveries;
    private final Duration redeliverAfter;
    /** How long receives skip XAUTOCLAIM after a quiet full pass over a long pending list: a tenth of redeliverAfter, at most 1 s. */
    private final Duration claimPause;
    private final int maxPayloadBytes;
    private final Duration commandTimeout;
    private final RedisLink link;
    private final System.Logger log;
    private final Set<String> groups = ConcurrentHashMap.newKeySet();
    /** Per group and consumer: ids of its own pending entries found on its first receive, not yet handed out again. */
    private final Map<String, ConcurrentLinkedQueue<PendingMessage>> ownPending = new ConcurrentHashMap<>();
    /** Per group: acknowledgements, sent as a group commit (one XACK for all that arrive while one is under way). */
    private final Map<String, StreamAcks> acks = new ConcurrentHashMap<>();
    /** Per group: where the XAUTOCLAIM scan goes on. */
    private final Map<String, ClaimScan> claimScans = new ConcurrentHashMap<>();

    /**
     * Where a group's XAUTOCLAIM scan is, and whether it may pause. XAUTOCLAIM looks at up to ten
     * times COUNT pending entries per call, so with a long pending list (a slow group, many
     * deliveries in flight) running it on every receive costs the server up to a millisecond each
     * time. When a full pass over the list took more than one call and claimed nothing, receives
     * skip it for {@link #claimPause}; a reject by this transport ends the pause. Racy by design:
     * the worst a race does is one scan more or one pause less.
     */
    private static final class ClaimScan {
        volatile String cursor = "0-0";
        volatile int callsThisPass;
        volatile boolean claimedThisPass;
        volatile long pausedUntil; // System.nanoTime(); 0: not paused
    }
    private volatile boolean closed;
    /** The partitions, when built with {@code partitions(n > 1)}; null for one stream. */
    private final PartitionedStreams partitioned;
    /** False for a partition of a partitioned transport: the link is the partitioned transport's. */
    private final boolean ownsLink;

    private RedisStreamsTransport(Builder b) {
        this(b, null, null);
    }

    /** A transport on one stream; with {@code shared} non-null, partition {@code partitionStream} of a partitioned one. */
    private RedisStreamsTransport(Builder b, RedisLink shared, String partitionStream) {
        this.name = b.name != null ? b.name : "redis-streams:" + b.stream;
        this.ownsLink = shared == null;
        this.link = shared != null ? shared : new RedisLink(name, b.rawUri, b.target, b.commandTimeout, b.reconnectBackoff);
        // on a cluster {<stream>}: its dead letters and error hashes share its slot; a partition is {<stream>:<i>}
        this.stream = link.slotKey(partitionStream != null ? partitionStream : b.stream);
        this.deadStream = stream + ":dead";
        this.maxLength = b.maxLength;
        this.maxDeliveries = b.maxDeliveries;
        this.redeliverAfter = b.redeliverAfter;
        Duration tenth = b.redeliverAfter.dividedBy(10);
        this.claimPause = tenth.compareTo(Duration.ofSeconds(1)) < 0 ? tenth : Duration.ofSeconds(1);
        this.maxPayloadBytes = b.maxPayloadBytes;
        this.commandTimeout = b.commandTimeout;
        this.log = b.logger;
        if (shared == null && b.partitions > 1) {
            List<RedisStreamsTransport> ps = new ArrayList<>(b.partitions);
            for (int i = 0; i < b.partitions; i++) {
                String partition = link.cluster() ? PartitionedStreams.clusterName(b.stream, i, b.partitions) : b.stream + ":" + i;
                ps.add(new RedisStreamsTransport(b, link, partition));
            }
            Duration lease = b.memberLease != null ? b.memberLease : b.redeliverAfter;
            this.partitioned = new PartitionedStreams(stream, link, ps, b.partitionKey, name, lease, b.redeliverAfter, b.clock, b.logger);
        } else {
            this.partitioned = null;
        }
    }

    /**
     * A builder for a transport on the Redis at {@code redisUri}: {@code redis://host:port},
     * {@code rediss://host:port} for TLS, {@code redis://user:password@host:port/db} for an ACL
     * user (special characters in the user name and password percent-encoded: {@code %40} for
     * {@code @}). The port defaults to 6379. Nothing is connected until the first call.
     *
     * <p>A Redis Cluster: {@code redis-cluster://[user:password@]host:port,host:port} (some of its
     * nodes; the client learns the others), {@code rediss-cluster://...} for TLS, no database. On a
     * cluster the stream's key is hash-tagged, {@code {<stream>}} (unless the name has a tag of its
     * own), so that its dead letters ({@code {<stream>}:dead}) and error hashes share its slot
     * (docs/WIRE.md); one master holds the stream, its replica takes over if it dies. While a master
     * is unreachable, commands for its slots wait up to {@code commandTimeout} for it or its
     * replacement instead of failing at once.
     *
     * @throws IllegalArgumentException if it is not such a URI: another scheme (Sentinel and
     *         socket URIs are not supported), no host or a malformed one, a port that is not
     *         1 to 65535, a database that is not a number (not 0, on a cluster); the message names
     *         the problem and the fix, and never repeats the password
     */
    public static Builder builder(String redisUri) {
        return new Builder(redisUri);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * The stream's key: the name given, hash-tagged on a Redis Cluster ({@code {weft:events}}). For a
     * partitioned transport the key its partitions' keys and its {@code :meta} and
     * {@code :members:<group>} keys are made from; the streams themselves are {@link #streams()}.
     */
    public String stream() {
        return stream;
    }

    /**
     * The keys of the streams that hold the events: {@link #stream()} alone, or for a transport
     * built with {@link Builder#partitions partitions(n)} the n partitions, in order: on a single
     * Redis {@code <stream>:<i>} for i from 0 to n - 1, on a Redis Cluster {@code {<stream>:<i>:<j>}},
     * where j is the smallest number that puts the key's slot near the middle of the i-th of n
     * equal ranges of the slots, so the partitions spread evenly over the masters (docs/WIRE.md).
     */
    public List<String> streams() {
        return partitioned == null ? List.of(stream) : partitioned.parts().stream().map(p -> p.stream).toList();
    }

    /**
     * The number of partitions recorded for this stream in Redis ({@code <stream>:meta}, written by
     * the first transport built with {@link Builder#partitions partitions(n)} that used it), or
     * empty for a plain stream. For tools that open a stream as it was written, whatever this
     * transport was built with: {@code weft show} and {@code weft dead} reopen a partitioned
     * stream with its number of partitions. One round trip.
     */
    public java.util.OptionalInt recordedPartitions() {
        checkOpen();
        String meta = stream + ":meta";
        byte[] n = link.call("read the number of partitions", r -> r.hget(meta, "partitions"));
        return n == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(Integer.parseInt(StreamEntries.text(n)));
    }

    /**
     * The number of streams the events are spread over: 1, or n for a transport built with
     * {@link Builder#partitions partitions(n)}.
     */
    public int partitions() {
        return partitioned == null ? 1 : partitioned.count();
    }

    /**
     * The dead-letter stream's key: {@code <stream>:dead}, with {@code <stream>} as {@link #stream()}.
     * A partitioned transport has one per partition, {@code <partition>:dead} for each of
     * {@link #streams()}; this returns them as a pattern, {@code <stream>:*:dead} ({@code {<stream>:*}:dead}
     * on a cluster), for messages.
     */
    public String deadLetterStream() {
        if (partitioned == null) return deadStream;
        return link.cluster() ? "{" + stream.substring(1, stream.length() - 1) + ":*}:dead" : stream + ":*:dead";
    }

    /**
     * The partitions of {@link #streams()} this transport reads for {@code group} now (indexes from
     * 0): all of them for one stream; for a partitioned transport its share among the transports
     * reading the group, as of its last receive for the group (none before its first).
     */
    public List<Integer> ownedPartitions(String group) {
        Objects.requireNonNull(group, "group");
        if (partitioned == null) return List.of(0);
        return java.util.Arrays.stream(partitioned.ownedNow(group)).boxed().toList();
    }

    /**
     * Stores {@code message} as one stream entry ({@code XADD} with approximate {@code MAXLEN}).
     *
     * @throws IllegalArgumentException if the body is over {@code maxPayloadBytes}
     * @throws TransportException       if Redis did not confirm it (down, refused, closed)
     */
    @Override
    public void publish(TransportMessage message) {
        Objects.requireNonNull(message, "message");
        checkOpen();
        checkSize(message);
        if (partitioned != null) {
            partitioned.checkMeta();
            partitioned.parts().get(partitioned.partitionOf(message)).publishKeyed(message, partitioned.keyOf(message));
            return;
        }
        link.call("publish to stream '" + stream + "'", r -> r.xadd(stream, addArgs(), StreamEntries.fields(message)));
    }

    /** XADD of {@code message} with its partition key (none when null) to this stream. */
    private void publishKeyed(TransportMessage message, String key) {
        link.call("publish to stream '" + stream + "'", r -> r.xadd(stream, addArgs(), StreamEntries.fields(message, key)));
    }

    /** Queues the XADD of {@code m} (with its partition key, if any) on the batching connection {@code c}. */
    RedisFuture<String> queueAdd(RedisLink.Conn c, TransportMessage m, String key) {
        return c.async().xadd(stream, addArgs(), StreamEntries.fields(m, key));
    }

    /** Waits for the reply of a {@link #queueAdd}. */
    void awaitAdd(RedisFuture<String> reply) {
        link.await("publish to stream '" + stream + "'", reply, commandTimeout);
    }

    /**
     * Stores every message, pipelined (every {@code XADD} sent before the first reply is awaited),
     * and returns once Redis confirmed all of them, in order.
     *
     * @throws IllegalArgumentException if a body is over {@code maxPayloadBytes} (nothing is sent then)
     * @throws TransportException       if any was not confirmed; some may have been stored
     */
    @Override
    public void publishAll(List<TransportMessage> messages) {
        checkOpen();
        for (TransportMessage m : messages) checkSize(m);
        if (messages.isEmpty()) return;
        if (partitioned != null) {
            partitioned.publishAll(messages);
            return;
        }
        RedisLink.Conn c = link.batching();
        List<RedisFuture<String>> replies = new ArrayList<>(messages.size());
        XAddArgs args = addArgs();
        try {
            for (TransportMessage m : messages) replies.add(c.async().xadd(stream, args, StreamEntries.fields(m)));
        } catch (io.lettuce.core.RedisException e) {
            throw link.translate("publish to stream '" + stream + "'", e);
        } finally {
            c.flushCommands(); // one write for the whole batch
        }
        for (RedisFuture<String> f : replies) link.await("publish to stream '" + stream + "'", f, commandTimeout);
    }

    private XAddArgs addArgs() {
        return XAddArgs.Builder.maxlen(maxLength).approximateTrimming();
    }

    private void checkSize(TransportMessage m) {
        if (m.body().length > maxPayloadBytes) {
            throw new IllegalArgumentException("event '" + m.name() + "' " + m.id() + " is " + m.body().length + " bytes, over the limit of "
                    + maxPayloadBytes + " bytes of transport '" + name + "': send a reference to the data instead, or raise maxPayloadBytes");
        }
    }

    private void checkOpen() {
        if (closed) throw new TransportClosedException(name);
    }

    @Override
    public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
        return receive(group, consumer, max, wait, () -> {});
    }

    /**
     * As {@link #receive(String, String, int, Duration)}; {@code deadLettered} is run once for
     * every entry this call moves to the dead letters itself instead of handing it out (not a
     * Weft entry, over the payload limit, past {@code maxDeliveries}), so a {@link dev.weft.events.worker.Worker Worker} can
     * count them.
     */
    @Override
    public List<Delivery> receive(String group, String consumer, int max, Duration wait, Runnable deadLettered) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(wait, "wait");
        if (max < 0) throw new IllegalArgumentException("max is negative");
        checkOpen();
        if (partitioned != null) return partitioned.receive(group, consumer, max, wait, deadLettered);
        try {
            return receiveOnce(group, consumer, max, wait, deadLettered);
        } catch (RedisServerError e) {
            if (!e.is("NOGROUP")) throw e;
            groupLost(group);
            return receiveOnce(group, consumer, max, wait, deadLettered); // a second NOGROUP (deleted again at once) is the caller's to see
        }
    }

    private List<Delivery> receiveOnce(String group, String consumer, int max, Duration wait, Runnable deadLettered) {
        ensureGroup(group);
        List<Delivery> out = new ArrayList<>();
        if (max == 0) return out;
        ownPending(group, consumer, max, out, deadLettered);
        if (out.size() < max) autoclaim(group, consumer, max - out.size(), out, deadLettered);
        if (out.size() < max) readNew(group, consumer, max - out.size(), out.isEmpty() ? wait : Duration.ZERO, out, deadLettered);
        return out;
    }

    /** XGROUP CREATE <stream> <group> 0 MKSTREAM; BUSYGROUP (it exists) is success. */
    void ensureGroup(String group) {
        if (groups.contains(group)) return;
        try {
            link.call("create consumer group '" + group + "'", r -> r.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0-0"), group, XGroupCreateArgs.Builder.mkstream()));
        } catch (RedisServerError e) {
            if (!e.is("BUSYGROUP")) throw e;
        }
        groups.add(group);
    }

    /**
     * Redis said NOGROUP: the group (or the whole stream) is gone, because Redis restarted without
     * its data or someone deleted it. Forget what this transport knew of it, so the next
     * {@link #ensureGroup} makes it again, from the start of what the stream holds now.
     */
    private void groupLost(String group) {
        groups.remove(group);
        claimScans.remove(group);
        ownPending.keySet().removeIf(key -> key.startsWith(group + '\0'));
        log.log(Level.WARNING, "stream ''{0}'' group ''{1}'' no longer exists in Redis at {2} (restarted without its data, or deleted): "
                + "created it again, reading from the start of the stream. Entries Redis lost are not delivered; deliveries handed out "
                + "before cannot be acknowledged any more (their acknowledgements do nothing); see docs/REDIS-OPERATIONS.md",
                stream, group, link.where());
    }

    /** On a consumer's first receive: its entries still pending from an earlier run, claimed again (count + 1). */
    private void ownPending(String group, String consumer, int max, List<Delivery> out, Runnable deadLettered) {
        String key = group + '\0' + consumer;
        ConcurrentLinkedQueue<PendingMessage> left = ownPending.get(key);
        if (left == null) {
            // No I/O inside computeIfAbsent (it would hold a map lock); a race lists twice, one wins.
            List<PendingMessage> mine = link.call("list pending entries of " + consumer,
                    r -> r.xpending(stream, Consumer.from(group, consumer), Range.create("-", "+"), Limit.from(OWN_PENDING_LIMIT)));
            ConcurrentLinkedQueue<PendingMessage> fresh = new ConcurrentLinkedQueue<>(mine);
            left = ownPending.putIfAbsent(key, fresh);
            if (left == null) left = fresh;
        }
        if (left.isEmpty()) return;
        List<PendingMessage> batch = new ArrayList<>();
        PendingMessage p0;
        while (batch.size() < max && (p0 = left.poll()) != null) batch.add(p0);
        if (batch.isEmpty()) return;
        String[] ids = batch.stream().map(PendingMessage::getId).toArray(String[]::new);
        List<StreamMessage<String, byte[]>> got = link.call("claim own pending entries",
                r -> r.xclaim(stream, Consumer.from(group, consumer), XClaimArgs.Builder.minIdleTime(0), ids));
        Map<String, StreamMessage<String, byte[]>> byId = new HashMap<>();
        for (StreamMessage<String, byte[]> m : got) byId.put(m.getId(), m);
        for (PendingMessage p : batch) {
            StreamMessage<String, byte[]> m = byId.get(p.getId());
            if (m == null || m.getBody() == null || m.getBody().isEmpty()) {
                trimmed(group, consumer, p.getId());
                continue;
            }
            long count = p.getRedeliveryCount() + 1;
            // A consumer that keeps dying on its own pending entry must not loop on it forever.
            accept(group, consumer, m.getId(), m.getBody(), count, count > maxDeliveries ? "not acknowledged after " + maxDeliveries + (maxDeliveries == 1 ? " delivery" : " deliveries") : null, out, deadLettered);
        }
    }

    /** XAUTOCLAIM: entries idle past redeliverAfter on any consumer (dead ones, rejected ones) become ours. */
    private void autoclaim(String group, String consumer, int max, List<Delivery> out, Runnable deadLettered) {
        ClaimScan scan = claimScans.computeIfAbsent(group, g -> new ClaimScan());
        long paused = scan.pausedUntil;
        if (paused != 0 && System.nanoTime() - paused < 0) return;
        String cursor = scan.cursor;
        CommandArgs<String, byte[]> args = new CommandArgs<>(RedisLink.CODEC).addKey(stream).add(group).add(consumer)
                .add(redeliverAfter.toMillis()).add(cursor).add("COUNT").add(max);
        List<Object> reply = link.call("claim idle entries (XAUTOCLAIM)", r -> r.dispatch(CommandType.XAUTOCLAIM, new NestedMultiOutput<>(RedisLink.CODEC), args));
        String next = StreamEntries.text((byte[]) reply.get(0));
        scan.cursor = next;
        if (reply.size() > 2 && reply.get(2) instanceof List<?> deleted) {
            for (Object id : deleted) trimmed(group, consumer, StreamEntries.text((byte[]) id));
        }
        List<?> entries = (List<?>) reply.get(1);
        scan.callsThisPass++;
        if (!entries.isEmpty()) scan.claimedThisPass = true;
        if (next.equals("0-0")) { // a full pass over the pending list ended
            boolean quiet = !scan.claimedThisPass && scan.callsThisPass > 1;
            scan.pausedUntil = quiet ? System.nanoTime() + claimPause.toNanos() | 1 : 0;
            scan.callsThisPass = 0;
            scan.claimedThisPass = false;
        }
        if (entries.isEmpty()) return;
        LinkedHashMap<String, Map<String, byte[]>> claimed = new LinkedHashMap<>();
        for (Object o : entries) {
            List<?> e = (List<?>) o;
            String id = StreamEntries.text((byte[]) e.get(0));
            if (!(e.get(1) instanceof List<?> kv) || kv.isEmpty()) {
                trimmed(group, consumer, id);
                continue;
            }
            Map<String, byte[]> fields = new LinkedHashMap<>();
            for (int i = 0; i + 1 < kv.size(); i += 2) fields.put(StreamEntries.text((byte[]) kv.get(i)), (byte[]) kv.get(i + 1));
            claimed.put(id, fields);
        }
        if (claimed.isEmpty()) return;
        Map<String, Long> counts = deliveryCounts(group, consumer, claimed.keySet());
        for (var e : claimed.entrySet()) {
            Long count = counts.get(e.getKey());
            if (count == null) {
                // Claimed, then no longer pending for us a moment later: the delivery it was taken
                // from was acknowledged in between (a slow handler racing its own redelivery, or an
                // XACK that waited in a frozen Redis). It is done; handing it out again would only
                // duplicate it, and dead-lettering it (as before issue 10) was wrong.
                log.log(Level.DEBUG, "stream ''{0}'' group ''{1}'': entry {2} was acknowledged while {3} claimed it; skipped", stream, group, e.getKey(), consumer);
                continue;
            }
            String why = count > maxDeliveries ? "not acknowledged after " + maxDeliveries + (maxDeliveries == 1 ? " delivery" : " deliveries") : null;
            accept(group, consumer, e.getKey(), e.getValue(), count, why, out, deadLettered);
        }
    }

    /**
     * The delivery counts of {@code ids} among {@code consumer}'s pending entries: one
     * {@code XPENDING .. id id 1 consumer} per id, pipelined (one round trip). Exact per id, unlike
     * one range query with a limit, which other pending entries of the consumer between the ids
     * could fill up. An id missing from the result is no longer pending for the consumer.
     */
    private Map<String, Long> deliveryCounts(String group, String consumer, java.util.Collection<String> ids) {
        RedisLink.Conn c = link.shared();
        List<RedisFuture<List<PendingMessage>>> replies = new ArrayList<>(ids.size());
        try {
            for (String id : ids) replies.add(c.async().xpending(stream, Consumer.from(group, consumer), Range.create(id, id), Limit.from(1)));
        } catch (io.lettuce.core.RedisException e) {
            throw link.translate("read delivery counts", e);
        }
        Map<String, Long> counts = new HashMap<>();
        for (RedisFuture<List<PendingMessage>> f : replies) {
            for (PendingMessage p : link.await("read delivery counts", f, commandTimeout)) counts.put(p.getId(), p.getRedeliveryCount());
        }
        return counts;
    }

    /** XREADGROUP >: new entries, blocking up to {@code wait} on a connection of its own. */
    @SuppressWarnings("unchecked") // Lettuce's StreamOffset varargs
    private void readNew(String group, String consumer, int max, Duration wait, List<Delivery> out, Runnable deadLettered) {
        List<StreamMessage<String, byte[]>> got;
        long waitMs = wait.toMillis();
        if (waitMs <= 0) {
            got = link.call("read new entries", r -> r.xreadgroup(Consumer.from(group, consumer), XReadArgs.Builder.count(max), XReadArgs.StreamOffset.lastConsumed(stream)));
        } else {
            RedisLink.Conn c = link.borrow();
            boolean broken = true;
            try {
                RedisFuture<List<StreamMessage<String, byte[]>>> f;
                c.setTimeout(wait.plus(commandTimeout)); // Lettuce's own timeout must outlast the BLOCK
                try {
                    f = c.async().xreadgroup(Consumer.from(group, consumer), XReadArgs.Builder.count(max).block(waitMs), XReadArgs.StreamOffset.lastConsumed(stream));
                } catch (io.lettuce.core.RedisException e) {
                    throw link.translate("read new entries", e);
                }
                got = link.await("read new entries", f, wait.plus(commandTimeout));
                broken = false;
            } finally {
                link.release(c, broken);
            }
        }
        if (got == null) return;
        for (StreamMessage<String, byte[]> m : got) {
            if (m.getBody() == null || m.getBody().isEmpty()) trimmed(group, consumer, m.getId());
            else accept(group, consumer, m.getId(), m.getBody(), 1, null, out, deadLettered);
        }
    }

    /** Hands the entry out, or dead-letters it if it is malformed or {@code overLimit} says why. */
    private void accept(String group, String consumer, String entryId, Map<String, byte[]> fields, long count, String overLimit,
                        List<Delivery> out, Runnable deadLettered) {
        TransportMessage m;
        try {
            m = StreamEntries.message(fields, maxPayloadBytes);
        } catch (StreamEntries.Malformed bad) {
            deadLetter(group, consumer, entryId, fields, count, bad.getMessage());
            deadLettered.run();
            return;
        }
        if (overLimit != null) {
            byte[] last = link.call("read the last error", r -> r.hget(errorsKey(group), entryId));
            // The claim that found it over the limit counted a delivery that never happened.
            deadLetter(group, consumer, entryId, fields, count - 1, overLimit + (last != null ? "; last error: " + StreamEntries.text(last) : ""));
            deadLettered.run();
            return;
        }
        out.add(new StreamDelivery(this, group, consumer, entryId, fields, m, (int) Math.min(Integer.MAX_VALUE, count)));
    }

    private void trimmed(String group, String consumer, String entryId) {
        log.log(Level.WARNING, "stream ''{0}'' group ''{1}'': entry {2} was trimmed away or deleted before it was handled; acknowledging it (consumer {3})",
                stream, group, entryId, consumer);
        link.call("acknowledge a trimmed entry", r -> r.xack(stream, group, entryId));
    }

    String errorsKey(String group) {
        return stream + ":errors:" + group;
    }

    // ---------------------------------------------------------------- called by StreamDelivery

    void ack(String group, String entryId, boolean mayHaveError) {
        checkOpen();
        acks.computeIfAbsent(group, g -> new StreamAcks(stream, g, errorsKey(g), link, commandTimeout)).ack(entryId, mayHaveError);
    }

    void reject(String group, String consumer, String entryId, Map<String, byte[]> fields, int count, String reason) {
        checkOpen();
        if (count >= maxDeliveries) {
            deadLetter(group, consumer, entryId, fields, count, reason);
            return;
        }
        // Make it claimable by the next XAUTOCLAIM at once, keeping its delivery count.
        try {
            link.call("reject entry " + entryId, r -> {
                r.hset(errorsKey(group), entryId, StreamEntries.bytes(reason));
                return r.xclaim(stream, Consumer.from(group, consumer),
                        XClaimArgs.Builder.minIdleTime(0).idle(redeliverAfter.toMillis() + 1).retryCount(count).justid(), entryId);
            });
        } catch (RedisServerError e) {
            if (e.is("NOGROUP")) groupLost(group); // the next receive makes it again
            throw e;
        }
        ClaimScan scan = claimScans.get(group);
        if (scan != null) scan.pausedUntil = 0; // the next receive scans, and finds it
    }

    void deadLetter(String group, String consumer, String entryId, Map<String, byte[]> fields, long count, String error) {
        log.log(Level.WARNING, "stream ''{0}'' group ''{1}'': entry {2} goes to the dead letters after {3} deliveries: {4}",
                stream, group, entryId, count, error);
        // XADD before XACK: a crash in between leaves a duplicate dead letter, never a lost entry.
        link.call("dead-letter entry " + entryId, r -> {
            RedisClusterCommands<String, byte[]> c = r;
            c.xadd(deadStream, addArgs(), StreamEntries.deadLetter(entryId, fields, group, consumer, count, error));
            c.xack(stream, group, entryId);
            c.hdel(errorsKey(group), entryId);
            return null;
        });
    }

    /** The messages dead-lettered for {@code group}, oldest first (malformed entries as their raw fields are skipped). */
    @Override
    public List<TransportMessage> deadLetters(String group) {
        checkOpen();
        List<TransportMessage> out = new ArrayList<>();
        for (DeadLetterEntry d : deadLetterEntries(group, Integer.MAX_VALUE)) {
            if (d.message() != null) out.add(d.message());
        }
        return out;
    }

    /**
     * The dead-letter stream's entries for {@code group} (or every group when null), oldest first,
     * at most {@code limit}: with the reason, delivery count and the original entry's id.
     */
    public List<DeadLetterEntry> deadLetterEntries(String group, int limit) {
        checkOpen();
        if (partitioned != null) {
            List<DeadLetterEntry> all = new ArrayList<>();
            for (RedisStreamsTransport p : partitioned.parts()) all.addAll(p.deadLetterEntries(group, limit));
            all.sort(java.util.Comparator.comparing(DeadLetterEntry::deadLetterId, RedisStreamsTransport::compareIds));
            return List.copyOf(all.subList(0, Math.min(limit, all.size())));
        }
        List<StreamMessage<String, byte[]>> all = link.call("read the dead letters", r -> r.xrange(deadStream, Range.create("-", "+")));
        List<DeadLetterEntry> out = new ArrayList<>();
        for (StreamMessage<String, byte[]> m : all) {
            DeadLetterEntry d = DeadLetterEntry.of(m.getId(), m.getBody());
            if (group == null || group.equals(d.group())) out.add(d);
            if (out.size() >= limit) break;
        }
        return out;
    }

    /** What the stream looks like now: length, dead letters, groups with pending, lag and consumers. */
    public StreamInfo info() {
        checkOpen();
        if (partitioned != null) {
            List<StreamInfo> each = new ArrayList<>();
            for (RedisStreamsTransport p : partitioned.parts()) each.add(p.info());
            return StreamInfo.sum(stream, each);
        }
        long length = link.call("read the stream length", r -> r.xlen(stream));
        long dead = link.call("read the dead-letter length", r -> r.xlen(deadStream));
        List<StreamInfo.Group> groups = new ArrayList<>();
        List<Object> rawGroups = length == 0 && link.call("check the stream", r -> r.exists(stream)) == 0
                ? List.of() : link.call("read the groups", r -> r.xinfoGroups(stream));
        for (Object g : rawGroups) {
            Map<String, Object> f = pairs(g);
            String name = text(f.get("name"));
            List<StreamInfo.Consumer> consumers = new ArrayList<>();
            for (Object c : link.call("read the consumers of " + name, r -> r.xinfoConsumers(stream, name))) {
                Map<String, Object> cf = pairs(c);
                consumers.add(new StreamInfo.Consumer(text(cf.get("name")), number(cf.get("pending")), number(cf.get("idle"))));
            }
            groups.add(new StreamInfo.Group(name, number(f.get("pending")), f.get("lag") == null ? -1 : number(f.get("lag")),
                    text(f.get("last-delivered-id")), List.copyOf(consumers)));
        }
        return new StreamInfo(stream, length, dead, List.copyOf(groups));
    }

    /** True: Redis 7 and later tell a group's lag ({@code XINFO GROUPS}). */
    @Override
    public boolean reportsLag() {
        return true;
    }

    /**
     * The group's {@code lag} (entries not yet delivered to it) and {@code pending} from
     * {@code XINFO GROUPS}: two round trips per stream, summed over the partitions of a
     * partitioned stream. Empty when a stream or the group does not exist yet, or when Redis
     * cannot tell the lag (before Redis 7, or after entries were deleted from the middle of the
     * stream).
     */
    @Override
    public Optional<GroupLag> lag(String group) {
        Objects.requireNonNull(group, "group");
        checkOpen();
        // A partitioned stream's lag is the sum over its partitions; one that cannot tell makes it unknown.
        long undelivered = 0;
        long pending = 0;
        for (String s : streams()) {
            Optional<GroupLag> part = lagOf(s, group);
            if (part.isEmpty()) return Optional.empty();
            undelivered += part.get().undelivered();
            pending += part.get().pending();
        }
        return Optional.of(new GroupLag(undelivered, pending));
    }

    private Optional<GroupLag> lagOf(String s, String group) {
        if (link.call("check the stream", r -> r.exists(s)) == 0) return Optional.empty();
        for (Object g : link.call("read the groups", r -> r.xinfoGroups(s))) {
            Map<String, Object> f = pairs(g);
            if (!group.equals(text(f.get("name")))) continue;
            long undelivered = f.get("lag") == null ? -1 : number(f.get("lag"));
            long pending = number(f.get("pending"));
            return undelivered < 0 || pending < 0 ? Optional.empty() : Optional.of(new GroupLag(undelivered, pending));
        }
        return Optional.empty();
    }

    private static Map<String, Object> pairs(Object reply) {
        List<?> kv = (List<?>) reply;
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i + 1 < kv.size(); i += 2) m.put(text(kv.get(i)), kv.get(i + 1));
        return m;
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? StreamEntries.text(b) : String.valueOf(o);
    }

    private static long number(Object o) {
        if (o instanceof Number n) return n.longValue();
        try {
            return Long.parseLong(text(o));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Publishes dead letters of {@code group} (every group when null) again as new stream entries,
     * oldest first, and removes each from the dead-letter stream once it is stored (so a crash
     * replays one twice, never loses one). Every group of the stream sees a replayed event again;
     * consumers de-duplicate by id. Entries that were not Weft events stay where they are.
     *
     * @param limit    at most this many
     * @param progress told the number replayed so far after each one (for a progress bar); may be null
     * @return how many were replayed
     */
    public int replayDeadLetters(String group, int limit, java.util.function.IntConsumer progress) {
        checkOpen();
        if (partitioned != null) {
            int done = 0;
            for (RedisStreamsTransport p : partitioned.parts()) {
                if (done >= limit) break;
                int before = done;
                done += p.replayDeadLetters(group, limit - done, progress == null ? null : k -> progress.accept(before + k));
            }
            return done;
        }
        int n = 0;
        for (DeadLetterEntry d : deadLetterEntries(group, limit)) {
            if (d.message() == null) continue;
            TransportMessage m = d.message();
            link.call("replay dead letter " + d.deadLetterId(), r -> {
                r.xadd(stream, addArgs(), StreamEntries.fields(m));
                return r.xdel(deadStream, d.deadLetterId());
            });
            n++;
            if (progress != null) progress.accept(n);
        }
        return n;
    }

    /**
     * Deletes the dead letters of {@code group} (every group when null).
     *
     * @return how many were deleted
     */
    public int purgeDeadLetters(String group) {
        checkOpen();
        if (partitioned != null) {
            int n = 0;
            for (RedisStreamsTransport p : partitioned.parts()) n += p.purgeDeadLetters(group);
            return n;
        }
        List<DeadLetterEntry> all = deadLetterEntries(group, Integer.MAX_VALUE);
        if (all.isEmpty()) return 0;
        String[] ids = all.stream().map(DeadLetterEntry::deadLetterId).toArray(String[]::new);
        return link.call("purge dead letters", r -> r.xdel(deadStream, ids)).intValue();
    }

    /** Closes the connections; idempotent. A blocked {@link #receive} then throws {@link TransportClosedException}. */
    @Override
    public void close() {
        if (closed) return;
        if (partitioned != null && !link.closedNow()) partitioned.leave(); // hands its partitions and unacknowledged entries to the others
        closed = true;
        if (partitioned != null) for (RedisStreamsTransport p : partitioned.parts()) p.close();
        if (ownsLink) link.close();
    }

    /** Orders stream entry ids ({@code <ms>-<seq>}) by time. */
    static int compareIds(String a, String b) {
        int da = a.indexOf('-'), db = b.indexOf('-');
        try {
            int c = Long.compare(Long.parseLong(da < 0 ? a : a.substring(0, da)), Long.parseLong(db < 0 ? b : b.substring(0, db)));
            if (c != 0 || da < 0 || db < 0) return c;
            return Long.compare(Long.parseLong(a.substring(da + 1)), Long.parseLong(b.substring(db + 1)));
        } catch (NumberFormatException e) {
            return a.compareTo(b);
        }
    }

    /** Names the stream and the server, never the password. */
    @Override
    public String toString() {
        return "RedisStreamsTransport[" + name + ", stream " + stream + (partitioned == null ? "" : " in " + partitioned.count() + " partitions") + " at " + link.where() + "]";
    }

    /** Configures a {@link RedisStreamsTransport}. */
    public static final class Builder {
        private final String rawUri;
        private final RedisUris.Target target;
        private String stream = "weft:events";
        private String name;
        private long maxLength = 1_000_000;
        private int maxDeliveries = 5;
        private Duration redeliverAfter = Duration.ofSeconds(60);
        private int maxPayloadBytes = 1 << 20;
        private Duration commandTimeout = Duration.ofSeconds(10);
        private Duration reconnectBackoff = RedisLink.DEFAULT_RECONNECT_BACKOFF;
        private System.Logger logger = System.getLogger(RedisStreamsTransport.class.getName());
        private int partitions = 1;
        private java.util.function.Function<? super TransportMessage, String> partitionKey;
        private Duration memberLease;
        private java.time.Clock clock = java.time.Clock.systemUTC();

        private Builder(String redisUri) {
            this.target = RedisUris.target(redisUri);
            this.rawUri = redisUri;
        }

        /** The URI of the Redis, or of the first node named of a cluster. */
        RedisURI uri() {
            return target.first();
        }

        RedisUris.Target target() {
            return target;
        }

        /** The stream's key; default {@code weft:events}. */
        public Builder stream(String key) {
            Objects.requireNonNull(key, "key");
            if (key.isBlank()) throw new IllegalArgumentException("stream key is blank");
            this.stream = key;
            return this;
        }

        /**
         * Spreads the stream over {@code n} streams (docs/adr/0064-partitioned-streams.md): on a
         * Redis Cluster {@code {<stream>:<i>:<j>}} for i from 0 to n - 1, with j picked so the
         * partitions' slots are spread evenly over the slot space and so over the masters
         * ({@link RedisStreamsTransport#streams()}); on a single Redis {@code <stream>:0} and so on,
         * all on that Redis. Default 1: one stream, {@code <stream>} itself.
         *
         * <ul>
         *   <li>A message goes to partition {@code crc32(key) mod n} of its {@link #partitionKey key},
         *   so one key's messages keep their order; a message without a key goes to this transport's
         *   own partition (picked at random when it is built), so one publisher's messages without a
         *   key keep their order too, and several publishers spread over the partitions.</li>
         *   <li>Each transport that receives for a group is a member of it and reads its share of the
         *   partitions (about {@code n / members}); the shares move when a transport joins, closes
         *   (it hands its unacknowledged deliveries over at once) or stops renewing for
         *   {@link #memberLease} (they are taken over after {@code redeliverAfter}, as for one stream).
         *   While a share moves, two transports may read one partition for a moment: nothing is lost,
         *   but one key's order is kept only while no share moves. A transport is one member,
         *   whatever consumer names it receives with.</li>
         *   <li>On a cluster the throughput grows with the masters the partitions land on; on a single
         *   Redis there is no gain in throughput (one server holds them all), only the order per key
         *   with several workers reading in parallel.</li>
         *   <li>{@code n} is recorded in {@code <stream>:meta} on first use: a transport built with
         *   another number for the same stream fails its first publish or receive with an
         *   {@link IllegalStateException} naming both.</li>
         * </ul>
         *
         * @throws IllegalArgumentException if {@code n} is less than 1 or more than 1024
         */
        public Builder partitions(int n) {
            if (n < 1) throw new IllegalArgumentException("partitions is " + n + ": at least 1");
            if (n > 1024) throw new IllegalArgumentException("partitions is " + n + ": at most 1024 (a receive reads each partition it owns)");
            this.partitions = n;
            return this;
        }

        /**
         * The key a message is routed by on a partitioned transport ({@link #partitions}), or null
         * for none: messages with one key go to one partition and keep their order. Default: no key
         * for any message. Called on the publishing thread; it must be fast and not fail. The key
         * is also stored in the entry (field {@code key}, docs/WIRE.md). Ignored with one partition.
         */
        public Builder partitionKey(java.util.function.Function<? super TransportMessage, String> key) {
            this.partitionKey = Objects.requireNonNull(key, "key");
            return this;
        }

        /**
         * How long a partitioned transport stays a member of a group without receiving for it
         * (renewed every third of it while it receives); once it lapsed, the others take over its
         * partitions. Default {@code redeliverAfter}. The machines' clocks must agree to well within it.
         */
        public Builder memberLease(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("memberLease must be positive, is " + d);
            this.memberLease = d;
            return this;
        }

        /** The clock membership leases are read on; for tests. */
        Builder clock(java.time.Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The transport's name (default {@code redis-streams:<stream>}). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** The approximate length the stream is trimmed to on publish ({@code MAXLEN ~}); default 1,000,000. */
        public Builder maxLength(long entries) {
            if (entries < 1) throw new IllegalArgumentException("maxLength is " + entries + ": at least 1");
            this.maxLength = entries;
            return this;
        }

        /** Deliveries of one entry to one group before it goes to the dead-letter stream; default 5. */
        public Builder maxDeliveries(int n) {
            if (n < 1) throw new IllegalArgumentException("maxDeliveries is " + n + ": at least 1");
            this.maxDeliveries = n;
            return this;
        }

        /** How long a delivery may stay unacknowledged before another consumer takes it over; default 60 s. */
        public Builder redeliverAfter(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("redeliverAfter must be positive, is " + d);
            this.redeliverAfter = d;
            return this;
        }

        /** The largest body published or accepted, in bytes; default 1 MiB. */
        public Builder maxPayloadBytes(int n) {
            if (n < 1) throw new IllegalArgumentException("maxPayloadBytes is " + n + ": at least 1");
            this.maxPayloadBytes = n;
            return this;
        }

        /**
         * How long one command may take before it fails, and also one connect and its handshake
         * (so a Redis that accepts connections but does not answer, frozen or busy, fails calls
         * after this instead of hanging them); default 10 s.
         */
        public Builder commandTimeout(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("commandTimeout must be positive, is " + d);
            this.commandTimeout = d;
            return this;
        }

        /**
         * The longest wait between two tries to reconnect after Redis went away; default 1 s.
         * Connections are kept and reconnected by Lettuce, which waits about 1 ms after the
         * first failed try, then about twice as long each time (with random jitter, so many
         * clients do not reconnect in step), never more than this. So once Redis answers again,
         * this transport works again within this time plus one connect; a {@link dev.weft.events.worker.Worker Worker} adds its
         * own {@link dev.weft.events.worker.Worker.Builder#reconnectBackoff Worker.Builder.reconnectBackoff} (the recovery bound with both defaults is
         * about 2 s: docs/REDIS-OPERATIONS.md). While disconnected, calls fail at once.
         *
         * @throws IllegalArgumentException if not positive, or over 10 minutes
         */
        public Builder reconnectBackoff(Duration max) {
            Objects.requireNonNull(max, "max");
            if (max.isNegative() || max.isZero()) throw new IllegalArgumentException("reconnectBackoff must be positive, is " + max);
            if (max.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("reconnectBackoff is " + max + ": at most 10 minutes (it is how long a transport may stay disconnected after Redis is back)");
            }
            this.reconnectBackoff = max;
            return this;
        }

        /**
         * Where it reports what it handles by itself (trimmed entries, dead letters); default the
         * {@code System.Logger} named after this class. Never given a password.
         */
        public Builder logger(System.Logger logger) {
            this.logger = Objects.requireNonNull(logger, "logger");
            return this;
        }

        /**
         * The transport; connects on first use.
         *
         * @throws IllegalArgumentException with {@link #partitions partitions(n > 1)}, if the stream
         *         name has a hash tag ({@code {...}}): every partition would hash to its slot
         */
        public RedisStreamsTransport build() {
            if (partitions > 1 && !RedisLink.hashTagged(stream).equals("{" + stream + "}")) {
                throw new IllegalArgumentException("stream '" + stream + "' has a hash tag, so all its " + partitions
                        + " partitions would be in one slot of a cluster: name it without braces (the partitions get tags of their own, {<stream>:<i>:<j>})");
            }
            return new RedisStreamsTransport(this);
        }
    }
}
