package dev.weft;

import dev.weft.internal.Format;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A clock that moves only when told to, for tests of code with deadlines and sleeps.
 *
 * <pre>{@code
 * FakeClock clock = new FakeClock();
 * var result = Scope.builder().clock(clock).run(scope -> {
 *     Task<String> slow = scope.fork(() -> { Weft.sleep(Duration.ofSeconds(30)); return "late"; });
 *     clock.awaitTimers(1);                 // the task is now asleep
 *     clock.advance(Duration.ofSeconds(30)); // wakes it, in no real time
 *     return slow.join();
 * });
 * }</pre>
 *
 * <p>Actions that fall due run on the thread that calls {@link #advance(Duration)}, in the
 * order of their due time (then of scheduling), before {@code advance} returns. So after
 * {@code advance} returns, every deadline that passed has cancelled its scope. Thread-safe.
 */
public final class FakeClock implements WeftClock {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition timersChanged = lock.newCondition();
    private final PriorityQueue<Entry> queue = new PriorityQueue<>();
    private final Instant origin;
    /** Written under the lock, read without it, so reading the time never parks. */
    private volatile long now;
    private long sequence;

    /** A fake clock that reads {@code 2000-01-01T00:00:00Z} and nanoTime 0. */
    public FakeClock() {
        this(Instant.parse("2000-01-01T00:00:00Z"));
    }

    /** A fake clock whose {@link #instant()} starts at {@code start}. */
    public FakeClock(Instant start) {
        this.origin = Objects.requireNonNull(start, "start");
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public Instant instant() {
        return origin.plusNanos(nanoTime());
    }

    @Override
    public Scheduled schedule(long atNanos, Runnable action) {
        Objects.requireNonNull(action, "action");
        Entry e;
        lock.lock();
        try {
            if (atNanos <= now) {
                e = null;
            } else {
                e = new Entry(atNanos, sequence++, action);
                queue.add(e);
                timersChanged.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (e == null) {
            action.run();
            return () -> {};
        }
        return () -> {
            lock.lock();
            try {
                if (queue.remove(e)) timersChanged.signalAll();
            } finally {
                lock.unlock();
            }
        };
    }

    /**
     * Moves time forward by {@code d} and runs every action that falls due, in due order.
     *
     * @throws IllegalArgumentException if {@code d} is negative: time never goes back
     */
    public void advance(Duration d) {
        Objects.requireNonNull(d, "d");
        if (d.isNegative()) {
            throw new IllegalArgumentException("cannot advance a FakeClock by a negative duration (" + d + "): time never goes back");
        }
        long target;
        lock.lock();
        try {
            target = Deadlines.plus(now, d);
        } finally {
            lock.unlock();
        }
        while (true) {
            Entry due;
            lock.lock();
            try {
                due = queue.peek();
                if (due == null || due.at > target) {
                    now = target;
                    return;
                }
                queue.poll();
                now = Math.max(now, due.at);
                timersChanged.signalAll();
            } finally {
                lock.unlock();
            }
            due.action.run();
        }
    }

    /** How many scheduled actions have not run yet (sleepers, deadlines, timed waits). */
    public int pendingTimers() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until at least {@code count} actions are scheduled: the way a test knows that the
     * tasks it started are now asleep or waiting with a deadline, without sleeping itself.
     *
     * @throws IllegalStateException if it does not happen within 30 seconds of real time
     */
    public void awaitTimers(int count) {
        awaitTimers(count, Duration.ofSeconds(30));
    }

    /** As {@link #awaitTimers(int)}, giving up after {@code realTimeout} of real time. */
    public void awaitTimers(int count, Duration realTimeout) {
        long remaining = realTimeout.toNanos();
        lock.lock();
        try {
            while (queue.size() < count) {
                if (remaining <= 0) {
                    throw new IllegalStateException("FakeClock: waited " + Format.duration(realTimeout) + " for " + count
                            + " scheduled timers, but only " + queue.size() + " are scheduled; did the tasks reach their sleep or timed wait?");
                }
                try {
                    remaining = timersChanged.awaitNanos(remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for timers", e);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The due times of pending actions, relative to now, earliest first (for assertions). */
    public List<Duration> pendingDelays() {
        lock.lock();
        try {
            List<Entry> sorted = new ArrayList<>(queue);
            sorted.sort(null);
            List<Duration> out = new ArrayList<>(sorted.size());
            for (Entry e : sorted) out.add(Duration.of(e.at - now, java.time.temporal.ChronoUnit.NANOS));
            return List.copyOf(out);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "FakeClock[" + instant() + ", " + pendingTimers() + " pending]";
    }

    private record Entry(long at, long seq, Runnable action) implements Comparable<Entry> {
        @Override
        public int compareTo(Entry o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

}
