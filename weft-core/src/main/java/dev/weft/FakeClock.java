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
 *
 * <h2>Autojump</h2>
 * {@link #autojump()} makes the clock advance by itself, as Trio's
 * {@code MockClock(autojump_threshold=0)}: whenever every thread of the scope trees that run on it
 * is blocked in a Weft wait (the same test the batching loader uses, B1), the clock jumps to its
 * next timer and runs what falls due. So a test of a 30-second timeout runs in microseconds with
 * no script:
 *
 * <pre>{@code
 * FakeClock clock = new FakeClock().autojump();
 * Channel<String> answers = Channel.rendezvous();           // nobody ever sends
 * MoveOnResult<String> r = Scope.builder().clock(clock).timeout(Duration.ofSeconds(30)).moveOn(scope -> {
 *     scope.fork(() -> { Weft.sleep(Duration.ofSeconds(10)); return null; });   // wakes at 10 s
 *     return answers.receiver().receive();                  // cut short at 30 s
 * });
 * // r.timedOut() is true and clock.nanoTime() is exactly 30 s; no real time passed
 * }</pre>
 *
 * <p>A tree takes part from the moment a scope on this clock opens in it until that scope ends
 * (its outermost scope on this clock). A thread blocked outside Weft ({@code Thread.sleep}, a
 * JDK latch, I/O, CPU work) keeps the time still, as a busy thread keeps a batch waiting: the
 * clock only jumps when nothing could happen before its next timer. Timers of other users of the
 * clock (say, an event bus's retries) fall due on jumps as any others. {@link #advance} still works.
 */
public final class FakeClock implements WeftClock {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition timersChanged = lock.newCondition();
    private final PriorityQueue<Entry> queue = new PriorityQueue<>();
    private final Instant origin;
    /** Written under the lock, read without it, so reading the time never parks. */
    private volatile long now;
    private long sequence;
    private volatile boolean autojump;
    /** Trees running on this clock while autojump is on, with how many of their scopes use it; guarded by jumpLock. */
    private final java.util.Map<TreeDomain, Integer> trees = new java.util.HashMap<>();
    private final ReentrantLock jumpLock = new ReentrantLock();
    /** A jump was asked for while another was under way: the jumper looks again when done. */
    private volatile boolean recheck;

    /** A fake clock that reads {@code 2000-01-01T00:00:00Z} and nanoTime 0. */
    public FakeClock() {
        this(Instant.parse("2000-01-01T00:00:00Z"));
    }

    /** A fake clock whose {@link #instant()} starts at {@code start}. */
    public FakeClock(Instant start) {
        this.origin = Objects.requireNonNull(start, "start");
    }

    /**
     * Turns autojump on (see the class comment) and returns this clock. Set it before the scopes
     * that use the clock open.
     */
    public FakeClock autojump() {
        autojump = true;
        return this;
    }

    /** Whether {@link #autojump()} is on. */
    public boolean isAutojump() {
        return autojump;
    }

    /** A scope on this clock opened in {@code scope}'s tree, the outermost on this clock there. */
    void attach(Scope scope) {
        TreeDomain tree = TreeDomain.of(scope);
        tree.watcher(AutoJump.class, t -> new AutoJump(this));
        jumpLock.lock();
        try {
            trees.merge(tree, 1, Integer::sum);
        } finally {
            jumpLock.unlock();
        }
    }

    /** That scope has ended: its tree no longer holds the time still. */
    void detach(Scope scope) {
        TreeDomain tree = scope.batchRoot.tree;
        jumpLock.lock();
        try {
            trees.computeIfPresent(tree, (t, n) -> n == 1 ? null : n - 1);
        } finally {
            jumpLock.unlock();
        }
        jumpIfQuiescent(); // the trees left may all be waiting
    }

    /**
     * Jumps to the next timer if every tree on this clock is quiescent; repeats while that stays
     * so (a timer that wakes nobody leaves the trees waiting on the one after). One jumper at a
     * time. A caller that finds a jump under way leaves a request instead, which the jumper
     * honours once it is done, so a tree that went quiescent during a jump is never left waiting.
     */
    void jumpIfQuiescent() {
        if (!autojump) return;
        recheck = true;
        if (jumpLock.isHeldByCurrentThread()) return; // a jump's own action: the loop below looks again
        while (recheck && jumpLock.tryLock()) {
            try {
                recheck = false;
                jumpWhileQuiescent();
            } finally {
                jumpLock.unlock();
            }
        }
    }

    private void jumpWhileQuiescent() {
        while (!trees.isEmpty()) {
            long next;
            lock.lock();
            try {
                Entry e = queue.peek();
                if (e == null) return;
                next = e.at;
            } finally {
                lock.unlock();
            }
            for (TreeDomain t : trees.keySet()) {
                if (!t.isQuiescent()) return;
            }
            advance(Duration.ofNanos(next - now));
        }
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
