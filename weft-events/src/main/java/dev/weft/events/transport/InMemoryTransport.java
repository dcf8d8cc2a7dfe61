package dev.weft.events.transport;

import dev.weft.Weft;
import dev.weft.WeftClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link Transport} in memory, with the semantics of a broker with consumer groups and
 * acknowledgements (like Redis Streams): for tests, and for one process that wants the outbox's
 * retries and dead letters without a broker. Nothing survives the process.
 *
 * <pre>{@code
 * InMemoryTransport t = InMemoryTransport.builder().maxDeliveries(5).redeliverAfter(Duration.ofSeconds(30)).build();
 * }</pre>
 *
 * <p>Follows every rule of the {@link Transport} contract: every group sees every message
 * published since the transport was created; unacknowledged deliveries are handed out again once
 * {@code redeliverAfter} passes on the transport's clock (a {@link dev.weft.FakeClock} in tests);
 * a message rejected or timed out {@code maxDeliveries} times goes to the group's dead letters.
 * Thread-safe.
 */
// Implementer's note. One log (an ArrayList of messages) plus, per group, the next log index
// to hand out, a FIFO of messages due again (rejected), and the pending (delivered, unacked)
// entries in delivery order. One lock for all; receive waits on a condition in real time, which
// is interruptible, so a cancelled consumer leaves at once.
public final class InMemoryTransport implements Transport {

    private final String name;
    private final int maxDeliveries;
    private final Duration redeliverAfter;
    private final WeftClock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final List<TransportMessage> log = new ArrayList<>();
    private final Map<String, Group> groups = new HashMap<>();
    private boolean closed;
    private long deliverySeq;

    private static final class Group {
        int next;
        final ArrayDeque<Entry> due = new ArrayDeque<>();
        final Map<Long, Entry> pending = new LinkedHashMap<>();
        final Map<String, Integer> counts = new HashMap<>();
        final List<TransportMessage> dead = new ArrayList<>();
    }

    private record Entry(TransportMessage message, long tag, long deliveredAt) {}

    private InMemoryTransport(Builder b) {
        this.name = b.name;
        this.maxDeliveries = b.maxDeliveries;
        this.redeliverAfter = b.redeliverAfter;
        this.clock = b.clock;
    }

    /** A transport named {@code "in-memory"}, 5 deliveries at most, redelivery after 30 s, system clock. */
    public static InMemoryTransport create() {
        return builder().build();
    }

    /** A builder. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void publish(TransportMessage message) {
        Objects.requireNonNull(message, "message");
        lock.lock();
        try {
            if (closed) throw new TransportClosedException(name);
            log.add(message);
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(consumer, "consumer");
        if (max < 0) throw new IllegalArgumentException("max is negative");
        long remaining = wait.toNanos();
        lock.lock();
        try {
            while (true) {
                if (closed) throw new TransportClosedException(name);
                Group g = groups.computeIfAbsent(group, k -> new Group());
                List<Delivery> out = take(g, max);
                if (!out.isEmpty() || max == 0 || remaining <= 0) return out;
                try {
                    remaining = arrived.awaitNanos(Math.min(remaining, nanosUntilRedelivery(g)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    Weft.checkpoint();
                    throw new TransportException("interrupted while receiving from transport '" + name + "'", e);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private long nanosUntilRedelivery(Group g) { // lock held
        // Real-time waits cannot see a fake clock move, so with pending entries look again soon.
        return g.pending.isEmpty() ? Long.MAX_VALUE : TimeUnit.MILLISECONDS.toNanos(10);
    }

    private List<Delivery> take(Group g, int max) { // lock held
        List<Delivery> out = new ArrayList<>();
        long now = clock.nanoTime();
        // Deliveries whose consumer went quiet: due again.
        for (Iterator<Entry> it = g.pending.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (now - e.deliveredAt < redeliverAfter.toNanos()) break; // pending is in delivery order
            it.remove();
            requeueOrBury(g, e.message);
        }
        while (out.size() < max) {
            TransportMessage m;
            if (!g.due.isEmpty()) m = g.due.poll().message;
            else if (g.next < log.size()) m = log.get(g.next++);
            else break;
            int count = g.counts.merge(m.id(), 1, Integer::sum);
            Entry e = new Entry(m, ++deliverySeq, now);
            g.pending.put(e.tag, e);
            out.add(new InMemoryDelivery(g, e, count));
        }
        return out;
    }

    private void requeueOrBury(Group g, TransportMessage m) { // lock held
        if (g.counts.getOrDefault(m.id(), 0) >= maxDeliveries) {
            g.dead.add(m);
            g.counts.remove(m.id());
        } else {
            g.due.add(new Entry(m, 0, 0));
            arrived.signalAll();
        }
    }

    @Override
    public List<TransportMessage> deadLetters(String group) {
        lock.lock();
        try {
            Group g = groups.get(group);
            return g == null ? List.of() : List.copyOf(g.dead);
        } finally {
            lock.unlock();
        }
    }

    /** True: an in-memory group's lag is exact. */
    @Override
    public boolean reportsLag() {
        return true;
    }

    /**
     * The group's lag: messages published that it has not taken (every message since the
     * transport was created, for a group that has not received yet), and those taken and not
     * acknowledged, rejected ones waiting to be handed out again included.
     */
    @Override
    public Optional<GroupLag> lag(String group) {
        Objects.requireNonNull(group, "group");
        lock.lock();
        try {
            if (closed) throw new TransportClosedException(name);
            Group g = groups.get(group);
            if (g == null) return Optional.of(new GroupLag(log.size(), 0));
            return Optional.of(new GroupLag(log.size() - g.next, g.pending.size() + g.due.size()));
        } finally {
            lock.unlock();
        }
    }

    /** How many messages have been published. */
    public int size() {
        lock.lock();
        try {
            return log.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "InMemoryTransport[" + name + ", " + size() + " messages]";
    }

    private final class InMemoryDelivery implements Delivery {
        private final Group group;
        private final Entry entry;
        private final int count;

        InMemoryDelivery(Group group, Entry entry, int count) {
            this.group = group;
            this.entry = entry;
            this.count = count;
        }

        @Override
        public TransportMessage message() {
            return entry.message;
        }

        @Override
        public int deliveryCount() {
            return count;
        }

        @Override
        public void ack() {
            lock.lock();
            try {
                if (group.pending.remove(entry.tag) != null) group.counts.remove(entry.message.id());
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void reject(String reason) {
            lock.lock();
            try {
                if (group.pending.remove(entry.tag) != null) requeueOrBury(group, entry.message);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public String toString() {
            return "Delivery[" + entry.message + ", #" + count + "]";
        }
    }

    /** Configures an {@link InMemoryTransport}. */
    public static final class Builder {
        private String name = "in-memory";
        private int maxDeliveries = 5;
        private Duration redeliverAfter = Duration.ofSeconds(30);
        private WeftClock clock = WeftClock.system();

        private Builder() {}

        /** Its name. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Deliveries of one message to one group before it goes to the dead letters; default 5. */
        public Builder maxDeliveries(int n) {
            if (n < 1) throw new IllegalArgumentException("maxDeliveries is " + n + ": at least 1");
            this.maxDeliveries = n;
            return this;
        }

        /** How long a delivery may stay unacknowledged before it is handed out again; default 30 s. */
        public Builder redeliverAfter(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative()) throw new IllegalArgumentException("redeliverAfter is negative");
            this.redeliverAfter = d;
            return this;
        }

        /** The clock for redelivery timeouts. */
        public Builder clock(WeftClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The transport. */
        public InMemoryTransport build() {
            return new InMemoryTransport(this);
        }
    }
}
