package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.TestSupport.Marker;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random forks, failures, cancellations, joins and starts in nested scopes (S1, S2, S7, S8).
 *
 * <p>Each task either succeeds, throws a marker of its own (a distinct object, recorded before it
 * is thrown), cancels its scope or the root scope, cancels or joins an earlier sibling, waits for
 * its scope's body, forks more tasks, or opens a nested scope whose failures propagate. No code
 * catches a marker (a joiner that catches {@link TaskFailedException} leaves the failure to the
 * scope, which reports it anyway), so after each round the leaves of the root's
 * {@link ExceptionGroup} must be exactly the markers thrown: none lost, none invented. After every scope, no task of it may still
 * be running and every handle must be done; after every round, the test thread carries no stray
 * interrupt.
 *
 * <p>Decisions come from a seed per task, drawn by the code that forks it, so a seed replays the
 * same program (the interleaving still varies). Runs {@value #LOCAL_ROUNDS} rounds, or
 * {@value #CI_ROUNDS} when the environment variable {@code CI} is {@code true}; rerun a failure
 * with {@code -Dweft.stress.seed=<seed>}, and change the size with {@code -Dweft.stress.rounds=N}.
 */
class StressTest {

    private static final int LOCAL_ROUNDS = 500;
    private static final int CI_ROUNDS = 30_000;
    private static final int ROUNDS = Integer.getInteger("weft.stress.rounds",
            "true".equalsIgnoreCase(System.getenv("CI")) ? CI_ROUNDS : LOCAL_ROUNDS);
    private static final int MAX_DEPTH = 4;

    // What the rounds did, summed, to show the run exercised every path.
    private static final AtomicInteger FORKS = new AtomicInteger();
    private static final AtomicInteger STARTS = new AtomicInteger();
    private static final AtomicInteger SCOPES = new AtomicInteger();
    private static final AtomicInteger MARKERS = new AtomicInteger();
    private static final Map<String, AtomicInteger> ROOT_ENDS = new ConcurrentHashMap<>();

    @Test
    @Timeout(120)
    void randomForksFailuresAndCancellationsLoseNoFailureAndLeakNoTask() {
        long seed = Long.getLong("weft.stress.seed", System.nanoTime());
        Random seeds = new Random(seed);
        for (int round = 0; round < ROUNDS; round++) {
            String where = "seed " + seed + ", round " + round + " (rerun with -Dweft.stress.seed=" + seed + ")";
            new Round(round, seeds.nextLong()).runAndCheck(where);
        }
        System.out.printf("StressTest: seed %d, %d rounds, %d scopes, %d forks, %d starts, %d failures injected, root ends %s%n",
                seed, ROUNDS, SCOPES.get(), FORKS.get(), STARTS.get(), MARKERS.get(), ROOT_ENDS);
    }

    /** One random program, and what it injected and observed. */
    private static final class Round {
        final int id;
        final long seed;
        final Set<Throwable> injected = ConcurrentHashMap.newKeySet(); // Throwable equality is identity
        final Queue<String> violations = new ConcurrentLinkedQueue<>();
        final AtomicInteger runningAnywhere = new AtomicInteger();
        final AtomicInteger markers = new AtomicInteger();
        final AtomicInteger scopes = new AtomicInteger();
        volatile Scope root;

        Round(int id, long seed) {
            this.id = id;
            this.seed = seed;
        }

        void runAndCheck(String where) {
            Throwable thrown = null;
            ScopeState[] rootState = new ScopeState[1];
            try {
                Scope.builder().name("r" + id).run(scope -> {
                    root = scope;
                    rootState[0] = new ScopeState(scope, 0);
                    return body(rootState[0], new Random(seed));
                });
            } catch (Throwable t) {
                thrown = t;
            }
            boolean strayInterrupt = Thread.interrupted();
            ROOT_ENDS.computeIfAbsent(thrown == null ? "value" : thrown.getClass().getSimpleName(),
                    k -> new AtomicInteger()).incrementAndGet();
            if (rootState[0] != null) checkClosed(rootState[0]);

            Set<Throwable> reported = Collections.newSetFromMap(new IdentityHashMap<>());
            if (thrown instanceof ExceptionGroup g) {
                g.leaves().forEach(f -> reported.add(f.error()));
            } else if (thrown instanceof Cancelled c) {
                if (c.reason().kind() != CancelReason.Kind.REQUESTED) violations.add("root ended by " + c);
            } else if (thrown != null) {
                violations.add("root threw neither a group nor Cancelled: " + thrown);
            }
            List<Throwable> lost = new ArrayList<>();
            for (Throwable m : injected) if (!reported.contains(m)) lost.add(m);
            List<Throwable> invented = new ArrayList<>();
            for (Throwable r : reported) if (!injected.contains(r)) invented.add(r);

            String context = where + ": root outcome " + thrown;
            assertThat(violations).as("invariant violations, %s", context).isEmpty();
            assertThat(lost).as("injected failures that nobody reported, %s", context).isEmpty();
            assertThat(invented).as("reported failures that were never injected (a cancellation reported as a failure?), %s",
                    context).isEmpty();
            assertThat(runningAnywhere.get()).as("task bodies running after the root scope ended, %s", context).isZero();
            assertThat(strayInterrupt).as("the root scope left its owner interrupted, %s", context).isFalse();
        }

        // ------------------------------------------------------------ scopes

        /** The state of one open scope, checked when it ends. */
        final class ScopeState {
            final Scope scope;
            final int depth;
            final AtomicInteger running = new AtomicInteger();
            final CountDownLatch bodyForked = new CountDownLatch(1);
            final Map<Integer, Task<?>> ordinary = new ConcurrentHashMap<>();
            final Queue<Task<?>> all = new ConcurrentLinkedQueue<>();
            final AtomicInteger nextIndex = new AtomicInteger();

            ScopeState(Scope scope, int depth) {
                SCOPES.incrementAndGet();
                this.scope = scope;
                this.depth = depth;
            }
        }

        Object body(ScopeState st, Random rnd) throws Exception {
            try {
                int n = st.depth == 0 ? 3 + rnd.nextInt(8) : 1 + rnd.nextInt(5);
                for (int i = 0; i < n; i++) forkOne(st, rnd);
            } finally {
                st.bodyForked.countDown(); // tasks waiting for the body may go on
            }
            switch (rnd.nextInt(10)) {
                case 0, 1 -> throw marker();
                case 2 -> {
                    st.scope.cancel("the body cancels its scope");
                    if (rnd.nextBoolean()) Weft.checkpoint();
                    return "body cancelled its scope";
                }
                case 3, 4 -> {
                    for (Task<?> t : st.ordinary.values()) join(t);
                    return "body joined";
                }
                case 5 -> {
                    if (st.depth < MAX_DEPTH) openScope(rnd.nextLong(), st.depth + 1);
                    return "body opened a scope";
                }
                default -> {
                    return "body returned";
                }
            }
        }

        /** Opens a nested scope; its failures propagate, its own cancellation is not a failure here. */
        void openScope(long seed, int depth) throws Exception {
            ScopeState[] state = new ScopeState[1];
            try {
                Scope.builder().name("r" + id + "-s" + scopes.incrementAndGet()).run(scope -> {
                    state[0] = new ScopeState(scope, depth);
                    return body(state[0], new Random(seed));
                });
            } catch (Cancelled c) {
                if (Weft.isCancelled()) throw c; // our own scope or task is cancelled: end by it
                // The nested scope cancelled itself (its body ended by that): not a failure here.
            } finally {
                if (state[0] != null) checkClosed(state[0]);
            }
        }

        void checkClosed(ScopeState st) {
            int running = st.running.get();
            if (running != 0) violations.add(st.scope.name() + " ended with " + running + " task bodies running");
            for (Task<?> t : st.all) {
                if (!t.isDone()) violations.add(st.scope.name() + " ended with task " + t + " not done");
            }
            int live = st.scope.statistics().liveTasks();
            if (live != 0) violations.add(st.scope.name() + " ended with " + live + " live tasks in its statistics");
        }

        // ------------------------------------------------------------ tasks

        void forkOne(ScopeState st, Random rnd) {
            FORKS.incrementAndGet();
            long seed = rnd.nextLong();
            int kind = rnd.nextInt(10);
            if (kind < 7) {
                int index = st.nextIndex.getAndIncrement();
                Task<Object> t = st.scope.fork(tracked(st, () -> ordinaryTask(st, seed, index)));
                st.ordinary.put(index, t);
                st.all.add(t);
            } else if (kind < 9) {
                st.all.add(st.scope.forkBackground(tracked(st, () -> backgroundTask(seed))));
            } else {
                startOne(st, seed); // a failure before started() comes out here, and propagates
            }
        }

        <T> Callable<T> tracked(ScopeState st, Callable<T> work) {
            return () -> {
                st.running.incrementAndGet();
                runningAnywhere.incrementAndGet();
                try {
                    return work.call();
                } finally {
                    runningAnywhere.decrementAndGet();
                    st.running.decrementAndGet();
                }
            };
        }

        Object ordinaryTask(ScopeState st, long seed, int myIndex) throws Exception {
            Random rnd = new Random(seed);
            int action = rnd.nextInt(20);
            if (action < 5) {
                for (int i = rnd.nextInt(3); i > 0; i--) Weft.checkpoint();
                return "ok";
            } else if (action < 7) {
                if (rnd.nextInt(3) > 0) st.bodyForked.await(); // mostly once the siblings are under way
                throw marker();
            } else if (action < 8) {
                if (rnd.nextBoolean()) st.scope.cancel("a task cancels its scope");
                if (rnd.nextBoolean()) Weft.checkpoint();
                return "maybe cancelled its scope";
            } else if (action < 9) {
                if (rnd.nextInt(3) == 0) root.cancel("a task cancels the root scope");
                return "maybe cancelled the root";
            } else if (action < 13) {
                if (st.depth < MAX_DEPTH) openScope(rnd.nextLong(), st.depth + 1);
                return "nested";
            } else if (action < 15) {
                st.bodyForked.await(); // blocks until the body has forked everything, or cancelled
                if (rnd.nextInt(3) == 0) throw marker();
                return "waited";
            } else if (action < 16) {
                for (int i = 1 + rnd.nextInt(2); i > 0; i--) forkOne(st, rnd);
                return "forked more";
            } else if (action < 17) {
                Task<?> sibling = myIndex > 0 ? st.ordinary.get(rnd.nextInt(myIndex)) : null;
                if (sibling != null) sibling.cancel("cancelled by a sibling");
                return "cancelled a sibling";
            } else {
                // Join an earlier ordinary sibling only: joins then form no cycle, and never wait
                // for a background task (which ends only after all ordinary tasks).
                Task<?> sibling = myIndex > 0 ? st.ordinary.get(rnd.nextInt(myIndex)) : null;
                if (sibling != null) join(sibling);
                return "joined";
            }
        }

        Object backgroundTask(long seed) throws Exception {
            Random rnd = new Random(seed);
            return switch (rnd.nextInt(4)) {
                case 0 -> throw marker();
                case 1 -> "background ok";
                default -> TestSupport.blockForever(); // until the scope finishes (S8) or is cancelled
            };
        }

        void startOne(ScopeState st, long seed) throws RuntimeException {
            STARTS.incrementAndGet();
            String value = st.scope.start(status -> tracked(st, () -> {
                Random rnd = new Random(seed);
                switch (rnd.nextInt(6)) {
                    case 0 -> throw marker(); // before started(): the caller of start() gets it
                    case 1 -> {
                        if (st.depth < MAX_DEPTH) openScope(rnd.nextLong(), st.depth + 1);
                        status.started("after a nested scope");
                    }
                    default -> status.started("started");
                }
                return ordinaryTask(st, rnd.nextLong(), 0); // then on like an ordinary task (no joins)
            }).call());
            if (value == null) violations.add("start() returned null");
        }

        /** Joins, leaving the joined task's failure to the scope, which reports it anyway (S2). */
        static void join(Task<?> t) {
            try {
                t.join();
            } catch (TaskFailedException | TaskCancelledException ignored) {
                // Reported by the scope (failure) or not a failure at all (cancellation).
            }
        }

        Marker marker() {
            MARKERS.incrementAndGet();
            Marker m = new Marker("r" + id + "-m" + markers.incrementAndGet());
            injected.add(m);
            return m;
        }
    }
}
