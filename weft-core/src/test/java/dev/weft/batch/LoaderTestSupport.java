package dev.weft.batch;

import dev.weft.TestSupport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Helpers for the loader tests: batch functions that record every call, and waiting for a loader's waiters. */
public final class LoaderTestSupport {
    private LoaderTestSupport() {}

    /** A far-away delay: with a FakeClock nobody advances, a batch goes only by quiescence or size. */
    public static final Duration NEVER = Duration.ofDays(1);

    /** One call of a batch function: which loader, which keys (in the order given). */
    public record Call(String loader, List<Object> keys) {
        public TreeSet<Object> keySet() {
            return new TreeSet<>(keys);
        }
    }

    /** Records every batch call of several loaders, in the order they happened. */
    public static final class Calls {
        public final List<Call> calls = new CopyOnWriteArrayList<>();

        public <K, V> BatchFunction<K, V> recording(String loader, Function<K, V> valueOf) {
            return keys -> {
                calls.add(new Call(loader, List.copyOf(keys)));
                return keys.stream().collect(Collectors.toMap(k -> k, valueOf));
            };
        }

        List<String> loaders() {
            return calls.stream().map(Call::loader).toList();
        }

        List<Call> of(String loader) {
            return calls.stream().filter(c -> c.loader().equals(loader)).toList();
        }
    }

    /** Waits until {@code n} threads are parked waiting on a key of some loader (blocker: a load slot or loadAll). */
    static void awaitLoadWaiters(List<Thread> threads, int n) {
        TestSupport.spinUntil(n + " threads waiting on a loader", () -> {
            int waiting = 0;
            for (Thread t : threads) {
                Object b = LockSupport.getBlocker(t);
                if (b instanceof LoadSlot<?, ?> || b instanceof Loader<?, ?>) waiting++;
            }
            return waiting >= n;
        });
    }

    static Map<Long, String> names(List<Long> ids) {
        Map<Long, String> m = new java.util.HashMap<>();
        for (long id : ids) m.put(id, "user-" + id);
        return m;
    }

    static <T> List<T> copy(List<T> l) {
        return new ArrayList<>(l);
    }
}
