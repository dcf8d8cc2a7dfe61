package dev.weft.kafka;

import dev.weft.Weft;
import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * This process's member of one consumer group: one {@code KafkaConsumer}, owned by one platform
 * thread that polls, commits, pauses and resumes, and runs the rebalance callbacks; and the
 * records it fetched, which {@link #receive} hands out to any number of the process's consumers
 * (threads, workers) and which they settle from any thread.
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li>A partition's committed offset never passes a record that is not settled (acknowledged,
 *   or written to the dead-letter topic): it is the offset of the partition's first unsettled
 *   record, or the one after the last fetched record when all are settled. So whatever this
 *   process loses (a crash, a partition taken away), the next owner starts at or before every
 *   record not yet handled: at least once.</li>
 *   <li>A reject or a timeout does not stop the partition: the record goes to the front of the
 *   queue again (count + 1) and later records are handed out meanwhile; only the commit waits for
 *   it. The bound: a partition with {@code maxUnsettled} records fetched and not settled is paused
 *   (nothing more is fetched from it) until half of them are settled.</li>
 *   <li>On a rebalance, a partition being taken away is first handed out no more; the revoke waits
 *   up to {@code revokeGrace} for its records in flight to be settled, commits what is settled,
 *   then lets the partition go. What was still in flight is handed back: its settlement is
 *   ignored and the next owner delivers it again from the committed offset. Nothing is lost, and
 *   at worst duplicated.</li>
 *   <li>Delivery counts live here, and go with the committed offset as its metadata (offset and
 *   count of each record delivered and not settled, as many as fit), so the next owner of a
 *   partition continues counting where this member stopped, as far as its last commit saw.</li>
 * </ul>
 */
// Implementer's note. kafka-clients' consumer is single-threaded: only the poll thread touches it
// (except wakeup(), which is thread-safe). Everything else is state under `lock`, which no one
// holds across I/O: receive, ack and reject only change memory and signal; the poll thread turns
// that into commits, pauses and resumes on its next turn (it polls at most POLL apart, sooner when
// woken). Dead letters are produced by the settling thread, outside the lock, while the record is
// BURYING (neither handed out nor settled).
//
// Records are Entries. An entry is in its partition's `unsettled` map from fetch to settlement; in
// `fresh` (fetched, never handed out) or `due` (rejected or timed out: handed out first) while it
// waits; in the intrusive `out` list (hand-out order = deadline order, since redeliverAfter is one
// value) while handed out. fresh and due are cleaned lazily: an entry's state says whether it
// still belongs there.
final class GroupMember implements ConsumerRebalanceListener {
    private static final Duration POLL = Duration.ofMillis(100);
    /** A member writes its delivery counts into the committed offset's metadata at most this often when the offset did not move. */
    private static final long COUNTS_COMMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** Brokers keep up to offset.metadata.max.bytes (4096 by default) of metadata per offset. */
    private static final int MAX_METADATA_CHARS = 3_000;

    enum State { QUEUED, OUT, DUE, BURYING, SETTLED, DROPPED }

    /** One fetched record; every field is guarded by the member's lock. */
    static final class Entry {
        final Partition partition;
        final ConsumerRecord<byte[], byte[]> record;
        final TransportMessage message; // null: not a Weft event (see malformed)
        final String malformed;
        int count; // deliveries so far (seeded from the committed metadata)
        int seq;   // which hand-out is the current one
        State state = State.QUEUED;
        long dueAt;
        String lastError;
        Entry outPrev, outNext;

        Entry(Partition partition, ConsumerRecord<byte[], byte[]> record, TransportMessage message, String malformed, int count) {
            this.partition = partition;
            this.record = record;
            this.message = message;
            this.malformed = malformed;
            this.count = count;
        }

        long offset() {
            return record.offset();
        }
    }

    /** One assigned partition; guarded by the member's lock. */
    static final class Partition {
        final TopicPartition tp;
        final TreeMap<Long, Entry> unsettled = new TreeMap<>();
        final Map<Long, Integer> seeded; // offset -> deliveries an earlier owner counted
        long next = -1;      // the offset after the last fetched record; -1: nothing fetched yet
        long committed = -1; // the last offset handed to a commit
        boolean countsDirty;
        long countsCommittedAt;
        boolean paused;
        boolean revoking;
        boolean gone;

        Partition(TopicPartition tp, Map<Long, Integer> seeded) {
            this.tp = tp;
            this.seeded = seeded;
        }

        /** The offset a commit may name now: the first unsettled record, else the one after the last fetched. */
        long commitPoint() {
            return unsettled.isEmpty() ? next : unsettled.firstKey();
        }
    }

    private final KafkaTransport transport;
    private final String group;
    private final Consumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final System.Logger log;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<TopicPartition, Partition> owned = new HashMap<>();
    private final ArrayDeque<Entry> fresh = new ArrayDeque<>();
    private final ArrayDeque<Entry> due = new ArrayDeque<>();
    private Entry outHead, outTail;
    private boolean stopping, stopped;
    private RuntimeException failure;
    private boolean wakeAsked;

    GroupMember(KafkaTransport transport, String group, Consumer<byte[], byte[]> consumer) {
        this.transport = transport;
        this.group = group;
        this.consumer = consumer;
        this.log = transport.log;
        this.thread = Thread.ofPlatform().daemon().name("weft-kafka-" + transport.topic() + "-" + group).unstarted(this::pollLoop);
    }

    void start() {
        thread.start();
    }

    // ------------------------------------------------------------------ receiving (any thread)

    /** Hands out up to {@code max} records: due ones first, then fresh ones; waits up to {@code wait}. A cancellation point. */
    List<Delivery> receive(String consumerName, int max, Duration wait, Runnable deadLettered) {
        List<Delivery> got = new ArrayList<>();
        List<Entry> bury = new ArrayList<>();
        List<String> why = new ArrayList<>();
        long waitNanos = wait.compareTo(Duration.ofDays(365)) > 0 ? Long.MAX_VALUE / 4 : wait.toNanos();
        long deadline = System.nanoTime() + waitNanos;
        lock.lock();
        try {
            while (true) {
                transport.checkOpen();
                if (failure != null) throw failure;
                if (stopped) throw new TransportException("consumer group '" + group + "' of transport '" + transport.name() + "' stopped");
                expire(bury, why);
                take(consumerName, max, got, bury, why);
                if (!got.isEmpty() || !bury.isEmpty() || max == 0) break;
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                try {
                    changed.awaitNanos(Math.min(left, nanosUntilFirstDue()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    Weft.checkpoint();
                    throw new TransportException("interrupted while receiving from transport '" + transport.name() + "'", e);
                }
            }
        } finally {
            lock.unlock();
        }
        for (int i = 0; i < bury.size(); i++) {
            try {
                bury(bury.get(i), consumerName, why.get(i));
                deadLettered.run();
            } catch (TransportException e) {
                log.log(Level.WARNING, "topic ''{0}'' group ''{1}'': cannot write a dead letter now ({2}); the record is delivered again",
                        transport.topic(), group, e.getMessage());
            }
        }
        return got;
    }

    private long nanosUntilFirstDue() { // lock held
        if (outHead == null) return Long.MAX_VALUE;
        // A fake clock does not move in real time: what moves it also publishes (the contract's
        // fence) or receives again, and every arrival signals, so this bound is for the real clock.
        return Math.max(TimeUnit.MILLISECONDS.toNanos(1), outHead.dueAt - transport.clock.nanoTime());
    }

    /** Deliveries past their deadline become due again, or go to the dead letters at the maximum. */
    private void expire(List<Entry> bury, List<String> why) { // lock held
        long now = transport.clock.nanoTime();
        while (outHead != null && now - outHead.dueAt >= 0) {
            Entry e = outHead;
            unlinkOut(e);
            if (e.count >= transport.maxDeliveries) {
                e.state = State.BURYING;
                bury.add(e);
                why.add(notAcknowledged(e));
            } else {
                e.state = State.DUE;
                due.add(e);
            }
        }
    }

    private String notAcknowledged(Entry e) {
        int n = transport.maxDeliveries;
        return "not acknowledged after " + n + (n == 1 ? " delivery" : " deliveries") + (e.lastError != null ? "; last error: " + e.lastError : "");
    }

    private void take(String consumerName, int max, List<Delivery> got, List<Entry> bury, List<String> why) { // lock held
        long now = transport.clock.nanoTime();
        long after = transport.redeliverAfter.toNanos();
        while (got.size() < max) {
            Entry e = due.poll();
            if (e == null) e = fresh.poll();
            if (e == null) return;
            if ((e.state != State.QUEUED && e.state != State.DUE) || e.partition.revoking || e.partition.gone) continue;
            if (e.malformed != null || e.count >= transport.maxDeliveries) {
                e.state = State.BURYING;
                bury.add(e);
                why.add(e.malformed != null ? e.malformed : notAcknowledged(e));
                continue;
            }
            e.count++;
            e.seq++;
            e.state = State.OUT;
            e.dueAt = now + after;
            linkOut(e);
            e.partition.countsDirty = true;
            got.add(new KafkaDelivery(this, e, e.seq, e.count, consumerName));
        }
    }

    private void linkOut(Entry e) {
        e.outPrev = outTail;
        e.outNext = null;
        if (outTail == null) outHead = e;
        else outTail.outNext = e;
        outTail = e;
    }

    private void unlinkOut(Entry e) {
        if (e.outPrev == null && outHead != e) return; // not linked
        if (e.outPrev == null) outHead = e.outNext;
        else e.outPrev.outNext = e.outNext;
        if (e.outNext == null) outTail = e.outPrev;
        else e.outNext.outPrev = e.outPrev;
        e.outPrev = e.outNext = null;
    }

    // ------------------------------------------------------------------ settling (any thread)

    void ack(Entry e) {
        lock.lock();
        try {
            transport.checkOpen();
            // Also the ack of an earlier hand-out (timed out, handed out again): it was handled.
            if (e.state == State.SETTLED || e.state == State.DROPPED || e.state == State.BURYING) return;
            settle(e);
        } finally {
            lock.unlock();
        }
    }

    void reject(Entry e, int seq, String consumerName, String reason) {
        lock.lock();
        try {
            transport.checkOpen();
            if (e.state != State.OUT || e.seq != seq) return; // settled, handed back, or handed out again since
            e.lastError = reason;
            unlinkOut(e);
            if (e.count < transport.maxDeliveries) {
                e.state = State.DUE;
                due.add(e);
                changed.signalAll();
                return;
            }
            e.state = State.BURYING;
        } finally {
            lock.unlock();
        }
        bury(e, consumerName, reason);
    }

    void deadLetter(Entry e, int seq, String consumerName, String reason) {
        lock.lock();
        try {
            transport.checkOpen();
            if (!(e.state == State.OUT && e.seq == seq) && e.state != State.DUE) return;
            unlinkOut(e);
            e.lastError = reason;
            e.state = State.BURYING;
        } finally {
            lock.unlock();
        }
        bury(e, consumerName, reason);
    }

    /**
     * Writes {@code e} to the dead-letter topic, then settles it (the dead letter first: a crash in
     * between leaves a duplicate dead letter, never a lost record). If the write fails, {@code e}
     * becomes due again and the failure is thrown.
     */
    private void bury(Entry e, String consumerName, String reason) {
        log.log(Level.WARNING, "topic ''{0}'' group ''{1}'': record {2}-{3}@{4} goes to the dead letters after {5} deliveries: {6}",
                transport.topic(), group, e.record.topic(), e.record.partition(), e.offset(), e.count, reason);
        try {
            transport.produceDeadLetter(Records.deadLetter(transport.deadLetterTopic(), e.record, e.message != null, group, consumerName, e.count, reason));
        } catch (RuntimeException failed) {
            lock.lock();
            try {
                if (e.state == State.BURYING) {
                    e.state = State.DUE;
                    due.addFirst(e);
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
            throw failed;
        }
        lock.lock();
        try {
            if (e.state == State.BURYING) settle(e);
        } finally {
            lock.unlock();
        }
    }

    private void settle(Entry e) { // lock held
        e.state = State.SETTLED;
        unlinkOut(e);
        Partition p = e.partition;
        p.unsettled.remove(e.offset());
        if (p.paused && !wakeAsked && p.unsettled.size() <= transport.maxUnsettled / 2) {
            wakeAsked = true;
            consumer.wakeup(); // resume it now, not at the next turn
        }
        changed.signalAll(); // a revoke may be waiting for this
    }

    // ------------------------------------------------------------------ the poll thread

    private void pollLoop() {
        try {
            consumer.subscribe(List.of(transport.topic()), this);
            while (true) {
                lock.lock();
                try {
                    if (stopping) break;
                    wakeAsked = false;
                } finally {
                    lock.unlock();
                }
                pauseAndResume();
                commit(false);
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(POLL);
                } catch (WakeupException woken) {
                    continue;
                }
                if (!records.isEmpty()) add(records);
            }
            commit(true);
        } catch (RuntimeException | Error e) {
            lock.lock();
            try {
                if (!stopping) {
                    failure = new TransportException("consumer group '" + group + "' of transport '" + transport.name() + "' stopped: " + e
                            + " (the next receive starts it again)", e);
                    log.log(Level.WARNING, failure.getMessage(), e);
                }
            } finally {
                lock.unlock();
            }
        } finally {
            try {
                consumer.close(CloseOptions.timeout(transport.closeTimeout));
            } catch (RuntimeException e) {
                log.log(Level.DEBUG, "closing the consumer of group " + group + " failed", e);
            }
            lock.lock();
            try {
                stopped = true;
                dropAll(owned.keySet());
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            transport.memberStopped(group, this);
        }
    }

    private void add(ConsumerRecords<byte[], byte[]> records) {
        lock.lock();
        try {
            for (ConsumerRecord<byte[], byte[]> r : records) {
                Partition p = owned.get(new TopicPartition(r.topic(), r.partition()));
                if (p == null || p.gone || p.revoking) continue; // will be fetched again by its owner
                TransportMessage m = null;
                String malformed = null;
                try {
                    m = Records.message(r, transport.maxPayloadBytes);
                } catch (Records.Malformed bad) {
                    malformed = bad.getMessage();
                }
                Entry e = new Entry(p, r, m, malformed, p.seeded.getOrDefault(r.offset(), 0));
                p.unsettled.put(r.offset(), e);
                p.next = r.offset() + 1;
                fresh.add(e);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Pauses partitions at the bound, resumes those that came down to half of it. */
    private void pauseAndResume() {
        List<TopicPartition> pause = new ArrayList<>(), resume = new ArrayList<>();
        lock.lock();
        try {
            for (Partition p : owned.values()) {
                int n = p.unsettled.size();
                if (!p.paused && n >= transport.maxUnsettled) {
                    p.paused = true;
                    pause.add(p.tp);
                } else if (p.paused && n <= transport.maxUnsettled / 2) {
                    p.paused = false;
                    resume.add(p.tp);
                }
            }
        } finally {
            lock.unlock();
        }
        if (!pause.isEmpty()) consumer.pause(pause);
        if (!resume.isEmpty()) consumer.resume(resume);
    }

    /**
     * Commits every partition whose commit point moved, or whose delivery counts changed (at most
     * every {@link #COUNTS_COMMIT_NANOS}), with the counts as metadata; asynchronously, except on
     * the way out.
     */
    private void commit(boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> offsets = commitOffsets(owned.keySet(), sync);
        if (offsets.isEmpty()) return;
        if (sync) {
            try {
                commitSync(offsets);
            } catch (KafkaException e) {
                log.log(Level.WARNING, "topic ''{0}'' group ''{1}'': the last commit failed ({2}); records handled since the commit before "
                        + "are delivered again", transport.topic(), group, e.toString());
            }
            return;
        }
        consumer.commitAsync(offsets, (done, error) -> {
            if (error == null) return;
            log.log(Level.DEBUG, "topic {0} group {1}: commit failed ({2}); tried again", transport.topic(), group, error.toString());
            lock.lock();
            try {
                for (TopicPartition tp : offsets.keySet()) {
                    Partition p = owned.get(tp);
                    if (p != null) p.committed = -1; // the next turn commits it again
                }
            } finally {
                lock.unlock();
            }
        });
    }

    /**
     * A synchronous commit that a pending {@code wakeup()} does not cancel: wakeups are meant for
     * {@code poll} (to resume a partition, or to stop), but the consumer throws them from the next
     * blocking call, whichever it is; a lost final or revoke commit would deliver again what was
     * already handled.
     */
    private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        withoutWakeups(() -> {
            consumer.commitSync(offsets, transport.closeTimeout);
            return null;
        });
    }

    private <T> T withoutWakeups(java.util.function.Supplier<T> call) {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get();
            } catch (WakeupException woken) {
                if (attempt == 3) throw woken;
                lock.lock();
                try {
                    wakeAsked = false; // consumed; the loop re-checks stopping and paused partitions anyway
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> commitOffsets(Collection<TopicPartition> tps, boolean all) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        long now = System.nanoTime();
        lock.lock();
        try {
            for (TopicPartition tp : tps) {
                Partition p = owned.get(tp);
                if (p == null || p.gone || p.next < 0) continue;
                long point = p.commitPoint();
                boolean moved = point != p.committed;
                boolean counts = p.countsDirty && now - p.countsCommittedAt >= COUNTS_COMMIT_NANOS;
                if (!moved && !counts && !(all && p.countsDirty)) continue;
                offsets.put(tp, new OffsetAndMetadata(point, metadata(p, point)));
                p.committed = point;
                p.countsDirty = false;
                p.countsCommittedAt = now;
            }
        } finally {
            lock.unlock();
        }
        return offsets;
    }

    /** {@code w1 <offset>:<count>,...}: the records from {@code point} on that were delivered and not settled. */
    private static String metadata(Partition p, long point) {
        StringBuilder b = new StringBuilder("w1");
        char sep = ' ';
        for (Entry e : p.unsettled.tailMap(point, true).values()) {
            if (e.count == 0) continue;
            String item = e.offset() + ":" + e.count;
            if (b.length() + 1 + item.length() > MAX_METADATA_CHARS) break;
            b.append(sep).append(item);
            sep = ',';
        }
        return b.length() == 2 ? "" : b.toString();
    }

    static Map<Long, Integer> parseMetadata(String metadata) {
        Map<Long, Integer> out = new HashMap<>();
        if (metadata == null || !metadata.startsWith("w1 ")) return out;
        for (String item : metadata.substring(3).split(",")) {
            int colon = item.indexOf(':');
            if (colon < 0) continue;
            try {
                out.put(Long.parseLong(item.substring(0, colon)), Integer.parseInt(item.substring(colon + 1)));
            } catch (NumberFormatException ignored) {
                // written by something else: no counts
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ rebalance callbacks (poll thread, inside poll)

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) return;
        Map<TopicPartition, OffsetAndMetadata> committed = Map.of();
        try {
            Set<TopicPartition> asked = new HashSet<>(partitions);
            committed = withoutWakeups(() -> consumer.committed(asked, transport.closeTimeout));
        } catch (KafkaException e) {
            log.log(Level.DEBUG, "cannot read the committed delivery counts of group " + group + ": " + e);
        }
        lock.lock();
        try {
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata c = committed.get(tp);
                Partition p = new Partition(tp, c == null ? Map.of() : parseMetadata(c.metadata()));
                if (c != null) p.committed = c.offset();
                Partition before = owned.put(tp, p);
                if (before != null) drop(before);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops handing out the partitions' records, waits up to {@code revokeGrace} for those in
     * flight to be settled (not while the transport closes), commits what is settled, and lets
     * them go: what is still unsettled is handed back to the next owner.
     */
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) return;
        lock.lock();
        try {
            for (TopicPartition tp : partitions) {
                Partition p = owned.get(tp);
                if (p != null) p.revoking = true;
            }
            long deadline = System.nanoTime() + transport.revokeGrace.toNanos();
            while (!stopping && inFlight(partitions)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = commitOffsets(partitions, true);
        if (!offsets.isEmpty()) {
            try {
                commitSync(offsets);
            } catch (KafkaException e) {
                log.log(Level.WARNING, "topic ''{0}'' group ''{1}'': committing revoked partitions failed ({2}); their next owner delivers "
                        + "again what was handled since the last commit", transport.topic(), group, e.toString());
            }
        }
        lock.lock();
        try {
            dropAll(partitions);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        lock.lock();
        try {
            dropAll(partitions);
        } finally {
            lock.unlock();
        }
    }

    private boolean inFlight(Collection<TopicPartition> partitions) { // lock held
        for (TopicPartition tp : partitions) {
            Partition p = owned.get(tp);
            if (p == null) continue;
            for (Entry e : p.unsettled.values()) {
                if (e.state == State.OUT || e.state == State.BURYING) return true;
            }
        }
        return false;
    }

    private void dropAll(Collection<TopicPartition> partitions) { // lock held
        for (TopicPartition tp : List.copyOf(partitions)) {
            Partition p = owned.remove(tp);
            if (p != null) drop(p);
        }
        changed.signalAll();
    }

    private void drop(Partition p) { // lock held
        p.gone = true;
        for (Entry e : p.unsettled.values()) {
            unlinkOut(e);
            e.state = State.DROPPED;
        }
        p.unsettled.clear();
    }

    // ------------------------------------------------------------------ closing

    /** Stops polling, commits what is settled, leaves the group; waits up to the close timeout. */
    void close() {
        lock.lock();
        try {
            stopping = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        consumer.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(transport.closeTimeout.multipliedBy(3));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Lock-guarded snapshot for tests and statistics: records fetched and not settled. */
    int unsettled() {
        lock.lock();
        try {
            int n = 0;
            for (Partition p : owned.values()) n += p.unsettled.size();
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Partitions being taken away now (a revoke waits for their deliveries in flight): for tests. */
    int revokingPartitions() {
        lock.lock();
        try {
            int n = 0;
            for (Partition p : owned.values()) if (p.revoking) n++;
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Partitions this member holds now: for tests. */
    int ownedPartitions() {
        lock.lock();
        try {
            return owned.size();
        } finally {
            lock.unlock();
        }
    }

    String group() {
        return group;
    }
}
