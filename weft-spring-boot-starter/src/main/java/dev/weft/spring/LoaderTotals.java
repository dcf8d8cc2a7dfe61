package dev.weft.spring;

import dev.weft.batch.LoaderStatistics;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The figures of every request's loaders, added up per loader name (shown by the actuator
 * endpoint): requests that used it, loads, cache hits, batches and keys sent.
 */
public final class LoaderTotals {

    /** The totals of one loader name. */
    public record Totals(String loader, long requests, long loads, long cacheHits, long batches, long keys, long failedBatches) {}

    private final Map<String, LongAdder[]> byName = new java.util.concurrent.ConcurrentHashMap<>();

    /** Adds one request's statistics of one loader. */
    public void add(LoaderStatistics s) {
        LongAdder[] a = byName.computeIfAbsent(s.loader(), n -> {
            LongAdder[] fresh = new LongAdder[6];
            for (int i = 0; i < fresh.length; i++) fresh[i] = new LongAdder();
            return fresh;
        });
        a[0].increment();
        a[1].add(s.loads());
        a[2].add(s.cacheHits());
        a[3].add(s.batches());
        a[4].add(s.keys());
        a[5].add(s.failedBatches());
    }

    /** A snapshot, by loader name. */
    public Map<String, Totals> snapshot() {
        Map<String, Totals> out = new TreeMap<>();
        byName.forEach((name, a) -> out.put(name, new Totals(name, a[0].sum(), a[1].sum(), a[2].sum(), a[3].sum(), a[4].sum(), a[5].sum())));
        return out;
    }
}
