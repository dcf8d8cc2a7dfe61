package dev.weft.redis;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportMessage;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.models.stream.PendingMessage;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.zip.CRC32;

/**
 * The partitions of a partitioned {@link RedisStreamsTransport} (docs/adr/0064): N single-stream
 * transports on one {@link RedisLink}, the routing of published messages by key, and this
 * transport's membership in each group it reads, from which its share of the partitions follows.
 */
// Implementer's note.
// - Each partition is a RedisStreamsTransport of its own (stream {s:i:j} on a cluster, see
//   clusterName; s:i on a single Redis) sharing this link: pending lists, XAUTOCLAIM, rejects, dead letters and acks
//   are the single-stream code, unchanged.
// - A member is a transport instance (a process), not a consumer name: every consumer that
//   receives through this instance reads this instance's share. Membership is a sorted set
//   <s>:members:<group>, member id -> lease end (ms of the transport's clock), renewed on receive
//   every lease/3 and dropped by whoever renews after it lapsed.
// - The share is computed by every member alike from the sorted list of live members: each gets
//   a quota (N / members, the first N mod members one more), and each partition in turn goes to
//   the member with quota left that scores highest for it (rendezvous hashing). Balanced, and a
//   join or leave moves few partitions.
// - Until every member has renewed, two may read one partition (both think they own it): safe
//   for at-least-once (Redis gives an entry to one consumer of a group), but one key's order is
//   kept only while no move is under way.
// - A receive reads the owned partitions without blocking, starting at a rotating one; when none
//   has anything it blocks on one owned partition at a time for a short slice (there is no
//   blocking read over keys of several slots), so with several owned partitions an idle worker
//   sees a new entry up to one slice late.
final class PartitionedStreams {
    /** The longest a blocking read waits on one partition while this instance owns several. */
    static final Duration SLICE = Duration.ofMillis(50);
    private static final int PENDING_LIMIT = 10_000;

    private final String base;
    private final String metaKey;
    private final List<RedisStreamsTransport> parts;
    private final RedisLink link;
    private final Function<? super TransportMessage, String> keyOf;
    private final int home;
    private final String memberId;
    private final Duration lease;
    private final Duration redeliverAfter;
    private final Clock clock;
    private final System.Logger log;
    private final Map<String, Membership> groups = new ConcurrentHashMap<>();
    private final AtomicInteger rotate = new AtomicInteger();
    private volatile boolean metaChecked;

    /** This instance's membership in one group. */
    private static final class Membership {
        final Set<String> consumers = ConcurrentHashMap.newKeySet();
        volatile long renewAt; // clock millis; 0: now
        volatile int[] owned = new int[0];
        volatile List<String> members = List.of();
        boolean created; // groups created on every partition (guarded by this)
    }

    PartitionedStreams(String base, RedisLink link, List<RedisStreamsTransport> parts, Function<? super TransportMessage, String> keyOf,
                       String name, Duration lease, Duration redeliverAfter, Clock clock, System.Logger log) {
        this.base = base;
        this.metaKey = base + ":meta";
        this.link = link;
        this.parts = List.copyOf(parts);
        this.keyOf = keyOf;
        this.home = ThreadLocalRandom.current().nextInt(parts.size());
        this.memberId = name + "/" + UUID.randomUUID();
        this.lease = lease;
        this.redeliverAfter = redeliverAfter;
        this.clock = clock;
        this.log = log;
    }

    /**
     * The name of partition {@code i} of {@code n} of {@code stream} on a Redis Cluster, to be
     * hash-tagged whole: {@code <stream>:<i>:<j>} with the smallest {@code j >= 0} whose slot is
     * near the middle of the i-th of n equal ranges of the 16384 slots. So the partitions are spread
     * evenly over the slot space, and so over the masters (redis-cli gives each master an equal
     * range). Plain {@code <stream>:<i>} would not do: CRC16 is linear, so names that differ in
     * their last digit land in a few related slots, which for 4 partitions on 3 masters often
     * leaves a master without any. The same in every process: it depends on nothing but the three.
     */
    static String clusterName(String stream, int i, int n) {
        int width = 16384 / n;
        int centre = i * 16384 / n + width / 2;
        int half = Math.max(1, width / 16);
        for (int j = 0; ; j++) {
            String name = stream + ":" + i + ":" + j;
            int slot = io.lettuce.core.cluster.SlotHash.getSlot("{" + name + "}");
            if (Math.abs(slot - centre) <= half) return name;
        }
    }

    int count() {
        return parts.size();
    }

    List<RedisStreamsTransport> parts() {
        return parts;
    }

    String memberId() {
        return memberId;
    }

    String membersKey(String group) {
        return base + ":members:" + group;
    }

    // ------------------------------------------------------------------------------ routing

    /** The partition of {@code m}: crc32 of its key mod N; this instance's home partition when it has none. */
    int partitionOf(TransportMessage m) {
        String key = keyOf == null ? null : keyOf.apply(m);
        return key == null ? home : partitionOfKey(key, parts.size());
    }

    /** {@code crc32(UTF-8 key) mod n}: the same in every process and language. */
    static int partitionOfKey(String key, int n) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % n);
    }

    String keyOf(TransportMessage m) {
        return keyOf == null ? null : keyOf.apply(m);
    }

    /**
     * On first use: records N in {@code <s>:meta} if no one did, and refuses to go on if another
     * number is recorded (the keys would go to other partitions, breaking one key's order).
     */
    void checkMeta() {
        if (metaChecked) return;
        byte[] n = StreamEntries.bytes(Integer.toString(parts.size()));
        byte[] recorded = link.call("record the number of partitions", r -> {
            r.hsetnx(metaKey, "partitions", n);
            return r.hget(metaKey, "partitions");
        });
        if (recorded != null && !Arrays.equals(recorded, n)) {
            throw new IllegalStateException("stream '" + base + "' has " + StreamEntries.text(recorded) + " partitions (recorded in " + metaKey
                    + "), this transport was built with partitions(" + parts.size() + "): build it with partitions(" + StreamEntries.text(recorded)
                    + "), or drain the stream and delete its keys to change the number (docs/adr/0064-partitioned-streams.md)");
        }
        metaChecked = true;
    }

    // ------------------------------------------------------------------------------ shares

    /** The partitions this instance owns in {@code group} now, renewing its membership if due. */
    int[] owned(String group, String consumer) {
        Membership m = groups.computeIfAbsent(group, g -> new Membership());
        m.consumers.add(consumer);
        synchronized (m) {
            if (!m.created) {
                for (RedisStreamsTransport p : parts) p.ensureGroup(group); // from 0-0 on every partition, so no entry is missed whoever reads it later
                m.created = true;
            }
        }
        long now = clock.millis();
        if (now >= m.renewAt) renew(group, m, now);
        return m.owned;
    }

    private void renew(String group, Membership m, long now) {
        String key = membersKey(group);
        long end = now + lease.toMillis();
        List<byte[]> raw = link.call("renew membership of group '" + group + "'", r -> {
            r.zadd(key, (double) end, StreamEntries.bytes(memberId));
            r.zremrangebyscore(key, Range.from(Range.Boundary.unbounded(), Range.Boundary.excluding((double) now)));
            r.pexpire(key, lease.toMillis() * 2);
            return r.zrange(key, 0, -1);
        });
        List<String> members = new ArrayList<>(raw.size());
        for (byte[] b : raw) members.add(StreamEntries.text(b));
        members.sort(Comparator.naturalOrder());
        if (!members.contains(memberId)) members.add(memberId); // another member's clock ran ahead: we are here all the same
        int[] owned = assign(members, parts.size()).getOrDefault(memberId, new int[0]);
        if (!members.equals(m.members)) {
            log.log(Level.DEBUG, "stream ''{0}'' group ''{1}'': {2} members; {3} reads partitions {4}",
                    base, group, members.size(), memberId, Arrays.toString(owned));
        }
        m.members = List.copyOf(members);
        m.owned = owned;
        m.renewAt = now + Math.max(1, lease.toMillis() / 3);
    }

    /**
     * Every member's partitions: member k of the sorted list gets {@code n / members} of them
     * ({@code +1} for the first {@code n mod members}); the (member, partition) pairs are taken in
     * order of their score, highest first, and a pair is kept when its partition is still free and
     * its member has quota left. The same result in every process for the same members; a member
     * that joins takes the partitions it scores highest on, so most others stay where they were.
     */
    static Map<String, int[]> assign(List<String> members, int n) {
        List<String> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.naturalOrder());
        int size = sorted.size();
        int[] quota = new int[size];
        for (int k = 0; k < size; k++) quota[k] = n / size + (k < n % size ? 1 : 0);
        int scored = Math.min(size, n); // members past n have no quota (n <= 1024, so k fits in 10 bits)
        long[] pairs = new long[scored * n]; // score << 20 | member << 10 | partition, taken highest first
        for (int k = 0; k < scored; k++) {
            for (int i = 0; i < n; i++) pairs[k * n + i] = score(sorted.get(k), i) << 20 | (long) k << 10 | i;
        }
        Arrays.sort(pairs);
        boolean[] taken = new boolean[n];
        List<List<Integer>> got = new ArrayList<>();
        for (int k = 0; k < size; k++) got.add(new ArrayList<>());
        for (int x = pairs.length - 1; x >= 0; x--) {
            int k = (int) (pairs[x] >>> 10 & 1023), i = (int) (pairs[x] & 1023);
            if (taken[i] || quota[k] == 0) continue;
            taken[i] = true;
            quota[k]--;
            got.get(k).add(i);
        }
        Map<String, int[]> out = new LinkedHashMap<>();
        for (int k = 0; k < size; k++) out.put(sorted.get(k), got.get(k).stream().mapToInt(Integer::intValue).sorted().toArray());
        return out;
    }

    private static long score(String member, int partition) {
        CRC32 crc = new CRC32();
        crc.update((member + "#" + partition).getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }

    /** The partitions this instance reads in {@code group}, as of its last renewal (empty before its first receive). */
    int[] ownedNow(String group) {
        Membership m = groups.get(group);
        return m == null ? new int[0] : m.owned.clone();
    }

    // ------------------------------------------------------------------------------ receive

    List<Delivery> receive(String group, String consumer, int max, Duration wait, Runnable deadLettered) {
        checkMeta();
        int[] owned = owned(group, consumer);
        List<Delivery> out = new ArrayList<>();
        if (max == 0 || owned.length == 0 && wait.isZero()) return out;
        pass(group, consumer, max, owned, out, deadLettered);
        if (!out.isEmpty() || wait.isZero()) return out;
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return out;
            owned = owned(group, consumer); // renews the lease while waiting; a share may have moved
            long sliceNanos = Math.min(left, Math.max(1, lease.toNanos() / 3));
            if (owned.length != 1) sliceNanos = Math.min(sliceNanos, SLICE.toNanos());
            if (owned.length == 0) {
                // More members than partitions: this one has none now; wait a slice and look again.
                waitSlice(sliceNanos);
                continue;
            }
            int first = owned[Math.floorMod(rotate.getAndIncrement(), owned.length)];
            out.addAll(parts.get(first).receive(group, consumer, max, Duration.ofNanos(Math.max(1_000_000, sliceNanos)), deadLettered));
            if (out.isEmpty() && owned.length > 1) pass(group, consumer, max, owned, out, deadLettered);
            if (!out.isEmpty()) return out;
        }
    }

    /** One non-blocking read of each owned partition, from a rotating start, until {@code max} are out. */
    private void pass(String group, String consumer, int max, int[] owned, List<Delivery> out, Runnable deadLettered) {
        int start = Math.floorMod(rotate.getAndIncrement(), owned.length);
        for (int k = 0; k < owned.length && out.size() < max; k++) {
            out.addAll(parts.get(owned[(start + k) % owned.length]).receive(group, consumer, max - out.size(), Duration.ZERO, deadLettered));
        }
    }

    private static void waitSlice(long nanos) {
        dev.weft.Weft.checkpoint();
        try {
            Thread.sleep(Duration.ofNanos(nanos)); // a cancellation point, like a blocking read
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dev.weft.Weft.checkpoint();
            throw new dev.weft.events.transport.TransportException("interrupted while waiting for a share of the partitions", e);
        }
    }

    // ------------------------------------------------------------------------------ publish

    void publishAll(List<TransportMessage> messages) {
        checkMeta();
        RedisLink.Conn c = link.batching();
        List<RedisFuture<String>> replies = new ArrayList<>(messages.size());
        List<RedisStreamsTransport> to = new ArrayList<>(messages.size());
        try {
            for (TransportMessage m : messages) {
                RedisStreamsTransport p = parts.get(partitionOf(m));
                to.add(p);
                replies.add(p.queueAdd(c, m, keyOf(m)));
            }
        } catch (io.lettuce.core.RedisException e) {
            throw link.translate("publish to stream '" + base + "'", e);
        } finally {
            c.flushCommands(); // one write for the whole batch, whatever the partitions
        }
        for (int i = 0; i < replies.size(); i++) to.get(i).awaitAdd(replies.get(i));
    }

    // ------------------------------------------------------------------------------ leave

    /**
     * Leaves every group this instance joined: removes it from the members and makes the entries
     * its consumers hold unacknowledged claimable at once ({@code XCLAIM} with {@code IDLE} past
     * {@code redeliverAfter}, {@code JUSTID} and {@code RETRYCOUNT}, so the count stays), so the
     * members that take over its partitions hand them out on their next receive rather than after
     * {@code redeliverAfter}. Failures are logged: a lease that lapses does the same, later.
     */
    void leave() {
        for (var e : groups.entrySet()) {
            String group = e.getKey();
            try {
                link.call("leave group '" + group + "'", r -> r.zrem(membersKey(group), StreamEntries.bytes(memberId)));
                int released = 0;
                for (RedisStreamsTransport p : parts) {
                    for (String consumer : e.getValue().consumers) released += release(p.stream(), group, consumer);
                }
                if (released > 0) {
                    log.log(Level.DEBUG, "stream ''{0}'' group ''{1}'': {2} left, releasing {3} unacknowledged entries", base, group, memberId, released);
                }
            } catch (RuntimeException ex) {
                log.log(Level.WARNING, "stream ''{0}'' group ''{1}'': could not leave cleanly ({2}); the others take over this member''s partitions "
                        + "when its lease lapses, and its unacknowledged entries after redeliverAfter", base, group, ex.getMessage());
            }
        }
    }

    private int release(String stream, String group, String consumer) {
        List<PendingMessage> mine = link.call("list pending entries of " + consumer,
                r -> r.xpending(stream, Consumer.from(group, consumer), Range.create("-", "+"), Limit.from(PENDING_LIMIT)));
        for (PendingMessage p : mine) {
            link.call("release entry " + p.getId(), r -> r.xclaim(stream, Consumer.from(group, consumer),
                    XClaimArgs.Builder.minIdleTime(0).idle(redeliverAfter.toMillis() + 1).retryCount(p.getRedeliveryCount()).justid(), p.getId()));
        }
        return mine.size();
    }
}
