package dev.weft.sync;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.MoveOnResult;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.TaskCancelledException;
import dev.weft.Weft;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * C6 under random load: tasks acquire and release a {@link Mutex}, a {@link Semaphore}, a
 * {@link CapacityLimiter} (whose total changes meanwhile) or wait on a {@link Condition}, with
 * plain, timed and non-blocking calls, inside scopes with random real-clock deadlines, while a
 * chaos task cancels random tasks and sometimes the whole round. Cancellations therefore land at
 * every point, including the instant of a hand-off.
 *
 * <p>Checked: mutual exclusion held throughout (a counter of tasks inside the critical section
 * never exceeds 1 for the mutex, the permits for the semaphore, the largest total for the
 * limiter); after each round, no permit leaked (the primitive is back at its initial state,
 * nobody holds or waits, internal invariants hold); for the condition, every produced item was
 * consumed exactly once or is still queued; no task failed with anything but cancellation.
 *
 * <p>Runs {@value #LOCAL_ROUNDS} rounds, or {@value #CI_ROUNDS} when the environment variable
 * {@code CI} is {@code true}. The seed is printed and in every failure message; replay it with
 * {@code -Dweft.primitives.seed=<seed>} (the program replays, the interleaving still varies) and
 * change the size with {@code -Dweft.primitives.rounds=N}.
 */
@SuppressWarnings("try") // try (Permit held = mutex.lock()) { ... } never reads `held`: that is the idiom
class PrimitivesStressTest {

    private static final int LOCAL_ROUNDS = 500;
    private static final int CI_ROUNDS = 5_000;
    private static final int ROUNDS = Integer.getInteger("weft.primitives.rounds",
            "true".equalsIgnoreCase(System.getenv("CI")) ? CI_ROUNDS : LOCAL_ROUNDS);

    /** What happened to the calls, summed over all rounds, to show every path ran. */
    private static final Map<String, AtomicInteger> OUTCOMES = new ConcurrentHashMap<>();

    private static void count(String what) {
        OUTCOMES.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }

    @Test
    @Timeout(300)
    void c6_randomAcquiresCancellationsAndDeadlinesLeakNoPermitAndKeepExclusion() {
        long seed = Long.getLong("weft.primitives.seed", System.nanoTime());
        Random seeds = new Random(seed);
        for (int round = 0; round < ROUNDS; round++) {
            String where = "seed " + seed + ", round " + round + " (rerun with -Dweft.primitives.seed=" + seed + ")";
            long roundSeed = seeds.nextLong();
            switch (round % 4) {
                case 0 -> new PermitRound(roundSeed, Kind.MUTEX).runAndCheck(where);
                case 1 -> new PermitRound(roundSeed, Kind.SEMAPHORE).runAndCheck(where);
                case 2 -> new PermitRound(roundSeed, Kind.LIMITER).runAndCheck(where);
                default -> new ConditionRound(roundSeed).runAndCheck(where);
            }
        }
        System.out.printf("PrimitivesStressTest: seed %d, %d rounds, outcomes %s%n", seed, ROUNDS, new java.util.TreeMap<>(OUTCOMES));
        if (ROUNDS >= 100) { // a short replay need not reach every path
            assertThat(OUTCOMES).as("the race between a hand-off and a cancellation was reached")
                    .containsKeys("acquired while cancelled", "cancelled while waiting", "timed out");
        }
    }

    enum Kind { MUTEX, SEMAPHORE, LIMITER }

    /** One round on a primitive with permits: workers take and give back, chaos cancels. */
    private static final class PermitRound {
        final Random rnd;
        final Kind kind;
        final int permits;
        final Mutex mutex = new Mutex();
        final Semaphore semaphore;
        final CapacityLimiter limiter;
        final AtomicInteger inside = new AtomicInteger();
        final Queue<String> violations = new ConcurrentLinkedQueue<>();
        volatile int limit;

        PermitRound(long seed, Kind kind) {
            this.rnd = new Random(seed);
            this.kind = kind;
            this.permits = kind == Kind.MUTEX ? 1 : 1 + rnd.nextInt(3);
            this.limit = permits;
            this.semaphore = new Semaphore(permits, permits);
            this.limiter = new CapacityLimiter(permits);
        }

        void runAndCheck(String where) {
            int workers = 3 + rnd.nextInt(8);
            long[] workerSeeds = new long[workers];
            for (int i = 0; i < workers; i++) workerSeeds[i] = rnd.nextLong();
            long chaosSeed = rnd.nextLong();
            Throwable thrown = null;
            try {
                Scope.run(root -> {
                    AtomicReferenceArray<Task<?>> tasks = new AtomicReferenceArray<>(workers);
                    for (int i = 0; i < workers; i++) {
                        long s = workerSeeds[i];
                        tasks.set(i, root.fork(() -> worker(new Random(s))));
                    }
                    root.fork(() -> chaos(root, tasks, new Random(chaosSeed)));
                    return null;
                });
            } catch (Cancelled c) {
                if (c.reason().kind() != CancelReason.Kind.REQUESTED) thrown = c;
            } catch (Throwable t) {
                thrown = t;
            }
            String context = kind + " with " + permits + " permits, " + where;
            assertThat(thrown).as("the round ended by something other than its own cancellation, %s", context).isNull();
            assertThat(violations).as("mutual exclusion, %s", context).isEmpty();
            assertThat(inside).as("tasks left inside the critical section, %s", context).hasValue(0);
            assertAtRest(context);
            assertThat(Thread.interrupted()).as("a stray interrupt on the test thread, %s", context).isFalse();
        }

        void assertAtRest(String context) {
            switch (kind) {
                case MUTEX -> {
                    mutex.checkInvariants();
                    assertThat(mutex.statistics()).as("no permit leaked, %s", context)
                            .isEqualTo(new MutexStatistics(false, java.util.Optional.empty(), 0));
                }
                case SEMAPHORE -> {
                    semaphore.checkInvariants();
                    assertThat(semaphore.statistics()).as("no permit leaked, %s", context)
                            .isEqualTo(new SemaphoreStatistics(permits, java.util.OptionalInt.of(permits), 0));
                }
                case LIMITER -> {
                    limiter.setTotalTokens(permits);
                    limiter.checkInvariants();
                    assertThat(limiter.statistics()).as("no token leaked, %s", context)
                            .isEqualTo(new CapacityLimiterStatistics(0, permits, List.of(), 0));
                }
            }
        }

        Object worker(Random r) {
            for (int i = 1 + r.nextInt(4); i > 0; i--) {
                switch (r.nextInt(4)) {
                    case 0 -> once(r, Mode.PLAIN);
                    case 1 -> once(r, Mode.TIMED);
                    case 2 -> once(r, Mode.NOW);
                    default -> {
                        // A nested scope with a real deadline of up to 300 µs.
                        MoveOnResult<Object> m = Scope.moveOnAfter(Duration.ofNanos(r.nextInt(300_000)), s -> {
                            once(r, Mode.PLAIN);
                            return null;
                        });
                        if (m.timedOut()) count("deadline passed");
                    }
                }
            }
            return null;
        }

        enum Mode { PLAIN, TIMED, NOW }

        void once(Random r, Mode mode) {
            boolean got;
            try {
                got = switch (mode) {
                    case PLAIN -> {
                        acquire();
                        yield true;
                    }
                    case TIMED -> tryAcquire(Duration.ofNanos(r.nextInt(200_000)));
                    case NOW -> tryAcquire();
                };
            } catch (Cancelled c) {
                count("cancelled while waiting");
                throw c;
            }
            if (!got) {
                count(mode == Mode.NOW ? "busy" : "timed out");
                return;
            }
            count(Weft.isCancelled() ? "acquired while cancelled" : "acquired");
            try {
                int n = inside.incrementAndGet();
                if (n > limit) violations.add(n + " inside with a limit of " + limit);
                switch (r.nextInt(4)) {
                    case 0 -> Thread.yield();
                    case 1 -> Weft.checkpoint(); // may throw: the finally still releases
                    case 2 -> {
                        if (kind == Kind.LIMITER) changeTotal(r);
                    }
                    default -> {
                        // straight out
                    }
                }
            } finally {
                inside.decrementAndGet();
                release();
            }
        }

        /** Moves the limiter's total between permits and permits + 1; the exclusion limit is the larger. */
        void changeTotal(Random r) {
            limit = permits + 1;
            limiter.setTotalTokens(permits + r.nextInt(2));
        }

        void acquire() {
            switch (kind) {
                case MUTEX -> mutex.acquire();
                case SEMAPHORE -> semaphore.acquire();
                case LIMITER -> limiter.acquire();
            }
        }

        boolean tryAcquire(Duration d) {
            return switch (kind) {
                case MUTEX -> mutex.tryAcquire(d);
                case SEMAPHORE -> semaphore.tryAcquire(d);
                case LIMITER -> limiter.tryAcquire(d);
            };
        }

        boolean tryAcquire() {
            return switch (kind) {
                case MUTEX -> mutex.tryAcquire();
                case SEMAPHORE -> semaphore.tryAcquire();
                case LIMITER -> limiter.tryAcquire();
            };
        }

        void release() {
            switch (kind) {
                case MUTEX -> mutex.release();
                case SEMAPHORE -> semaphore.release();
                case LIMITER -> limiter.release();
            }
        }
    }

    /** Cancels random tasks of the round, and with a small chance the round's root scope. */
    private static Object chaos(Scope root, AtomicReferenceArray<Task<?>> tasks, Random r) {
        for (int i = r.nextInt(4); i > 0; i--) {
            for (int spin = r.nextInt(200); spin > 0; spin--) Thread.onSpinWait();
            Task<?> victim = tasks.get(r.nextInt(tasks.length()));
            if (victim != null) victim.cancel("chaos");
            Thread.yield();
        }
        if (r.nextInt(8) == 0) root.cancel("chaos ends the round");
        return null;
    }

    /** Producers and consumers on a queue guarded by a mutex, consumers waiting on a condition. */
    private static final class ConditionRound {
        final Random rnd;
        final Mutex mutex = new Mutex();
        final Condition notEmpty = mutex.newCondition();
        final ArrayDeque<Integer> items = new ArrayDeque<>(); // guarded by mutex
        final List<Integer> produced = Collections.synchronizedList(new ArrayList<>());
        final List<Integer> consumed = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger inside = new AtomicInteger();
        final Queue<String> violations = new ConcurrentLinkedQueue<>();
        final AtomicInteger nextItem = new AtomicInteger();
        boolean producersDone; // guarded by mutex

        ConditionRound(long seed) {
            this.rnd = new Random(seed);
        }

        void runAndCheck(String where) {
            int producers = 1 + rnd.nextInt(3);
            int consumers = 1 + rnd.nextInt(4);
            long[] seeds = new long[producers + consumers + 1];
            for (int i = 0; i < seeds.length; i++) seeds[i] = rnd.nextLong();
            Throwable thrown = null;
            try {
                Scope.run(root -> {
                    AtomicReferenceArray<Task<?>> tasks = new AtomicReferenceArray<>(producers + consumers);
                    for (int i = 0; i < consumers; i++) {
                        Random r = new Random(seeds[i]);
                        tasks.set(i, root.fork(() -> consumer(r)));
                    }
                    List<Task<?>> producerTasks = new ArrayList<>();
                    for (int i = 0; i < producers; i++) {
                        Random r = new Random(seeds[consumers + i]);
                        Task<?> t = root.fork(() -> producer(r));
                        producerTasks.add(t);
                        tasks.set(consumers + i, t);
                    }
                    root.fork(() -> chaos(root, tasks, new Random(seeds[seeds.length - 1])));
                    for (Task<?> t : producerTasks) {
                        try {
                            t.join();
                        } catch (TaskCancelledException cancelledByChaos) {
                            // it produced what it did
                        }
                    }
                    try (Permit held = mutex.lock()) {
                        producersDone = true;
                        notEmpty.signalAll();
                    }
                    return null;
                });
            } catch (Cancelled c) {
                if (c.reason().kind() != CancelReason.Kind.REQUESTED) thrown = c;
            } catch (Throwable t) {
                thrown = t;
            }
            String context = "Condition, " + where;
            assertThat(thrown).as("the round ended by something other than its own cancellation, %s", context).isNull();
            assertThat(violations).as("mutual exclusion, %s", context).isEmpty();
            List<Integer> accounted = new ArrayList<>(consumed);
            accounted.addAll(items);
            Collections.sort(accounted);
            List<Integer> expected = new ArrayList<>(produced);
            Collections.sort(expected);
            assertThat(accounted).as("every item consumed once or still queued, %s", context).isEqualTo(expected);
            notEmpty.checkInvariants();
            assertThat(notEmpty.statistics()).as("nobody waits and the mutex is free, %s", context).isEqualTo(
                    new ConditionStatistics(0, new MutexStatistics(false, java.util.Optional.empty(), 0)));
            assertThat(Thread.interrupted()).as("a stray interrupt on the test thread, %s", context).isFalse();
        }

        Object producer(Random r) {
            for (int i = 1 + r.nextInt(5); i > 0; i--) {
                try (Permit held = mutex.lock()) {
                    enter();
                    try {
                        int item = nextItem.incrementAndGet();
                        items.add(item);
                        produced.add(item);
                        if (r.nextBoolean()) notEmpty.signal();
                        else notEmpty.signalAll();
                    } finally {
                        inside.decrementAndGet();
                    }
                }
                if (r.nextBoolean()) Thread.yield();
            }
            return null;
        }

        Object consumer(Random r) {
            while (true) {
                try (Permit held = mutex.lock()) {
                    while (items.isEmpty() && !producersDone) {
                        if (r.nextBoolean()) {
                            notEmpty.await();
                        } else if (!notEmpty.await(Duration.ofNanos(r.nextInt(200_000)))) {
                            count("condition timed out");
                        }
                        if (!mutex.isHeldByCurrentThread()) violations.add("await returned without the mutex");
                    }
                    enter();
                    try {
                        if (items.isEmpty()) return null; // producers done and nothing left
                        consumed.add(items.remove());
                        count(Weft.isCancelled() ? "consumed while cancelled" : "consumed");
                    } finally {
                        inside.decrementAndGet();
                    }
                }
            }
        }

        void enter() {
            int n = inside.incrementAndGet();
            if (n > 1) violations.add(n + " inside the mutex");
        }
    }
}
