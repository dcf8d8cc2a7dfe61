package dev.weft.batch;

import dev.weft.Cancelled;
import dev.weft.ExceptionGroup;
import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.Weft;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Loads at random in nested scopes while tasks and scopes are cancelled at random (B1-B4 under
 * load). Every load must return the right value, or throw {@link Cancelled} (its caller was
 * cancelled), or {@link LoadFailedException} for a key the batch function fails on purpose; the
 * batch function must never see a key twice in one batch; every scope must end (no lost
 * dispatch: the delay is a day on a fake clock nobody advances, so a batch missed by quiescence
 * hangs the round and the test times out). Rounds: 300 locally, 3,000 with {@code CI=true};
 * replay with {@code -Dweft.stress.seed=<seed>}.
 */
class LoaderStressTest {

    private static final int ROUNDS = Integer.getInteger("weft.loader.stress.rounds",
            "true".equalsIgnoreCase(System.getenv("CI")) ? 3_000 : 300);

    private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    private final AtomicLong values = new AtomicLong();
    private final AtomicLong cancelledLoads = new AtomicLong();
    private final AtomicLong failedLoads = new AtomicLong();

    private final Loader<Integer, Integer> loader = Loader.<Integer, Integer>builderPerKey((keys, results) -> {
        Set<Integer> seen = new HashSet<>();
        for (int k : keys) {
            if (!seen.add(k)) violations.add("key " + k + " twice in one batch: " + keys);
        }
        if (keys.contains(-1)) throw new IllegalStateException("the whole batch fails");
        for (int k : keys) {
            if (k % 13 == 0) results.fail(k, new IllegalArgumentException("unlucky " + k));
            else results.succeed(k, k * 2);
        }
    }).name("stress").maxBatchSize(16).maxDelay(Duration.ofDays(1)).build();

    @Test
    void b1_b4_randomLoadsAndCancellationsNeverHangLoseOrDuplicate() {
        long seed = Long.getLong("weft.stress.seed", System.nanoTime());
        Random seeds = new Random(seed);
        for (int round = 0; round < ROUNDS; round++) {
            long roundSeed = seeds.nextLong();
            FakeClock clock = new FakeClock();
            try {
                Scope.builder().clock(clock).name("round").run(scope -> {
                    body(scope, new Random(roundSeed), 0);
                    return null;
                });
            } catch (Cancelled | ExceptionGroup expected) {
                // a scope cancelled itself, or a task saw a cancellation it chose to rethrow
                if (expected instanceof ExceptionGroup g) {
                    for (ExceptionGroup.Failure f : g.leaves()) {
                        if (!(f.error() instanceof Cancelled)) violations.add("unexpected failure, seed " + seed + ": " + f);
                    }
                }
            }
            assertThat(violations).as("seed " + seed).isEmpty();
        }
        assertThat(values.get()).as("the run loaded values").isPositive();
        assertThat(cancelledLoads.get() + failedLoads.get()).as("the run saw cancellations and failures").isPositive();
    }

    private void body(Scope scope, Random r, int depth) {
        int tasks = 1 + r.nextInt(6);
        List<Task<?>> forked = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            long taskSeed = r.nextLong();
            forked.add(scope.fork(() -> {
                task(new Random(taskSeed), depth);
                return null;
            }));
        }
        if (r.nextInt(4) == 0) forked.get(r.nextInt(forked.size())).cancel("random");
        if (r.nextInt(20) == 0) scope.cancel("random scope cancel");
    }

    private void task(Random r, int depth) {
        int steps = 1 + r.nextInt(3);
        for (int s = 0; s < steps; s++) {
            int what = r.nextInt(10);
            if (what < 5) {
                load(r.nextInt(50) == 0 ? -1 : r.nextInt(40));
            } else if (what < 7) {
                List<Integer> keys = new ArrayList<>();
                for (int i = 0; i < 1 + r.nextInt(20); i++) keys.add(r.nextInt(40));
                loadAll(keys);
            } else if (what < 9 && depth < 2) {
                long seed = r.nextLong();
                try {
                    Scope.run(nested -> {
                        body(nested, new Random(seed), depth + 1);
                        return null;
                    });
                } catch (Cancelled c) {
                    cancelledLoads.incrementAndGet();
                    return;
                }
            } else {
                Weft.checkpoint();
            }
        }
    }

    private void load(int key) {
        try {
            Integer v = loader.load(key);
            if (v == null || v != key * 2) violations.add("key " + key + " gave " + v);
            values.incrementAndGet();
        } catch (Cancelled c) {
            cancelledLoads.incrementAndGet();
            throw c;
        } catch (LoadFailedException e) {
            if (key != -1 && key % 13 != 0 && !(e.getCause() instanceof IllegalStateException)) {
                violations.add("key " + key + " failed: " + e);
            }
            failedLoads.incrementAndGet();
        }
    }

    private void loadAll(List<Integer> keys) {
        try {
            Map<Integer, Integer> got = loader.loadAll(keys);
            Map<Integer, Integer> want = new HashMap<>();
            for (int k : keys) want.put(k, k * 2);
            if (!got.equals(want)) violations.add("loadAll " + keys + " gave " + got);
            values.incrementAndGet();
        } catch (Cancelled c) {
            cancelledLoads.incrementAndGet();
            throw c;
        } catch (LoadFailedException e) {
            failedLoads.incrementAndGet();
        }
    }
}
