package dev.weft.batch;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** The live counters behind {@link Loader#statistics()}; snapshots are taken from them. */
final class LoaderCounters {
    private final LongAdder loads = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();
    private final AtomicLong batches = new AtomicLong();
    private final LongAdder keys = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicLongArray byReason = new AtomicLongArray(DispatchReason.values().length);
    private final ConcurrentHashMap<Integer, LongAdder> sizes = new ConcurrentHashMap<>();

    void loads(int n) {
        loads.add(n);
    }

    void cacheHit() {
        cacheHits.increment();
    }

    /** Counts a batch sent; returns its number. */
    long dispatched(int size, DispatchReason reason) {
        keys.add(size);
        byReason.incrementAndGet(reason.ordinal());
        sizes.computeIfAbsent(size, s -> new LongAdder()).increment();
        return batches.incrementAndGet();
    }

    void failed() {
        failed.increment();
    }

    LoaderStatistics snapshot(String name) {
        Map<DispatchReason, Long> reasons = new EnumMap<>(DispatchReason.class);
        for (DispatchReason r : DispatchReason.values()) reasons.put(r, byReason.get(r.ordinal()));
        TreeMap<Integer, Long> hist = new TreeMap<>();
        sizes.forEach((size, count) -> hist.put(size, count.sum()));
        return new LoaderStatistics(name, loads.sum(), cacheHits.sum(), batches.get(), keys.sum(), failed.sum(), reasons, hist);
    }
}
