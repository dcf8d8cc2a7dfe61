package dev.weft;

import static dev.weft.FraySupport.check;
import static dev.weft.FraySupport.explore;
import static dev.weft.FraySupport.iterations;
import static dev.weft.ScopeFrayTest.clock;

import dev.weft.batch.DispatchReason;
import dev.weft.batch.Loader;
import dev.weft.batch.LoaderStatistics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * B1 under Fray: the loader's quiescence check races the threads it judges (a body still forking,
 * tasks starting, parking, loading, a batch handing out its values). Every scenario runs on a
 * {@link FakeClock} nobody advances and the loader's delay is a day, so a batch can only go by
 * quiescence: one level of loads must go out as exactly one QUIESCENCE batch with all its keys,
 * since B1 allows a quiescence batch only at an instant when every live thread of the tree is
 * blocked, and until the last load of the level is made, its thread is not.
 */
class LoaderQuiescenceFrayTest {

    /** Records each batch's keys, in the order the batches ran. */
    private static final class Users {
        final List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
        final Loader<Integer, String> loader = Loader.<Integer, String>builder(keys -> {
            batches.add(List.copyOf(keys));
            Map<Integer, String> values = new HashMap<>();
            for (Integer k : keys) values.put(k, "user-" + k);
            return values;
        }).name("users").maxDelay(Duration.ofDays(1)).build();

        /** B1: exactly one batch, sent by quiescence, with exactly {@code keys}. */
        void checkOneQuiescenceBatchOf(Integer... keys) {
            List<List<Integer>> sent = List.copyOf(batches);
            LoaderStatistics st = loader.statistics();
            check(sent.size() == 1 && new TreeSet<>(sent.get(0)).equals(new TreeSet<>(List.of(keys)))
                            && st.batches() == 1 && st.batches(DispatchReason.QUIESCENCE) == 1,
                    () -> "B1: one level of loads should go out as one QUIESCENCE batch of " + List.of(keys) + "; batches sent: "
                            + sent + ", by reason: " + st.batchesByReason());
        }
    }

    /**
     * B1: the body forks three tasks that each load a key, then joins them (the scenario of bug 3
     * in issue 10). While the body is still forking, the tree is not quiescent, whatever the
     * tasks already forked are doing.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void b1_theLoadsOfTasksTheBodyForkedGoOutAsOneQuiescenceBatch() {
        explore("B1 a body forks three loading tasks", iterations(300, 800), () -> {
            Users users = new Users();
            List<String> got = Scope.builder().clock(clock()).run(s -> {
                List<Task<String>> tasks = new ArrayList<>();
                for (int k = 1; k <= 3; k++) {
                    int key = k;
                    tasks.add(s.fork(() -> users.loader.load(key)));
                }
                List<String> values = new ArrayList<>();
                for (Task<String> t : tasks) values.add(t.join());
                return values;
            });
            check(got.equals(List.of("user-1", "user-2", "user-3")), () -> "B3: each key its value, got " + got);
            users.checkOneQuiescenceBatchOf(1, 2, 3);
        });
    }

    /**
     * B1: a task asleep on the scope's clock and a task joining it count as blocked, so two loads
     * beside them go out together, by quiescence, with no time passing.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void b1_aSleepingTaskAndAJoiningTaskCountAsBlocked() {
        explore("B1 a sleeper and a joiner beside two loads", iterations(200, 1000), () -> {
            Users users = new Users();
            FakeClock clock = clock();
            Scope.builder().clock(clock).run(s -> {
                Task<Object> sleeper = s.fork("sleeper", () -> {
                    Weft.sleep(Duration.ofHours(1));
                    return null;
                });
                Task<Object> joiner = s.fork("joiner", sleeper::join);
                Task<String> a = s.fork("load-1", () -> users.loader.load(1));
                Task<String> b = s.fork("load-2", () -> users.loader.load(2));
                String va = a.join();
                String vb = b.join();
                check(va.equals("user-1") && vb.equals("user-2"), () -> "B3: got " + va + ", " + vb);
                check(clock.nanoTime() == 0, () -> "no time may pass");
                joiner.cancel("done");
                sleeper.cancel("done");
                return null;
            });
            users.checkOneQuiescenceBatchOf(1, 2);
        });
    }

    /**
     * B1 (ADR 0013, rule 3): loads made in scopes nested in the body's tasks belong to the same
     * tree, and go out together once every thread of the whole tree is blocked.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void b1_loadsInNestedScopesGoOutAsOneQuiescenceBatch() {
        explore("B1 loads in nested scopes", iterations(150, 500), () -> {
            Users users = new Users();
            List<String> got = Scope.builder().clock(clock()).run(s -> {
                Task<String> one = s.fork("user-1", () -> Scope.run(inner -> inner.fork(() -> users.loader.load(1)).join()));
                Task<String> two = s.fork("user-2", () -> Scope.run(inner -> inner.fork(() -> users.loader.load(2)).join()));
                return List.of(one.join(), two.join());
            });
            check(got.equals(List.of("user-1", "user-2")), () -> "B3: each key its value, got " + got);
            users.checkOneQuiescenceBatchOf(1, 2);
        });
    }
    /**
     * ADR 0015 under Fray: a lone {@code loadAll} (its caller runs the batch itself) races its
     * caller's cancellation from a thread outside the tree, at every point: before the load, while
     * the batch is being started on the caller, while it runs, after it ended. Whatever the order,
     * the tree closes (no hang, no thread left), the caller either got every value or saw its
     * cancellation, at most one batch went out, and a batch cut short by the cancellation was the
     * caller's own (the cut shows as a failed batch, never as a failed key seen by the caller).
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void adr0015_aLoneBatchRacingItsCallersCancellation() {
        explore("ADR 0015 a lone batch races its caller's cancellation", iterations(300, 800), () -> {
            List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
            Loader<Integer, String> users = Loader.<Integer, String>builder(keys -> {
                batches.add(List.copyOf(keys));
                Weft.checkpoint(); // a cancellation point inside the batch, as a JDBC call would be
                Map<Integer, String> values = new HashMap<>();
                for (Integer k : keys) values.put(k, "user-" + k);
                return values;
            }).name("users").maxDelay(Duration.ofDays(1)).build();
            java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicReference<Scope> caller = new java.util.concurrent.atomic.AtomicReference<>();
            Thread canceller = new Thread(() -> {
                try {
                    ready.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                caller.get().cancel("the user went away");
            });
            canceller.start();
            MoveOnResult<Map<Integer, String>> r = Scope.builder().clock(clock()).moveOn(s -> {
                caller.set(s);
                ready.countDown();
                return users.loadAll(List.of(1, 2));
            });
            try {
                canceller.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            LoaderStatistics st = users.statistics();
            check(st.batches() <= 1 && batches.size() <= st.batches(),
                    () -> "at most one batch, and only a sent one runs: " + batches + ", " + st);
            if (r.hasValue()) {
                check(r.value().equals(Map.of(1, "user-1", 2, "user-2")), () -> "B3: each key its value, got " + r.value());
                check(st.failedBatches() == 0, () -> "a caller that got its values had its batch succeed: " + st);
            } else {
                check(r.cancelReason().isPresent(), () -> "a caller without values was cancelled");
            }
        });
    }
}
