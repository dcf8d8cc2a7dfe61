package dev.weft.batch;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable snapshot of what a {@link Loader} did (B5), from {@link Loader#statistics()}.
 *
 * @param loader          the loader's name
 * @param loads           keys asked for ({@code load} calls, plus each key of {@code loadAll})
 * @param cacheHits       of those, answered from the per-scope or shared cache, or joined to a
 *                        key already waiting or in flight in the same scope tree (B2)
 * @param batches         batches sent
 * @param keys            keys sent in them (each distinct within its batch)
 * @param failedBatches   batches whose function threw (or whose listener did)
 * @param batchesByReason batches sent by each {@link DispatchReason}, every reason present
 * @param batchSizes      how many batches had each size: size to count, smallest first
 */
public record LoaderStatistics(String loader, long loads, long cacheHits, long batches, long keys,
                               long failedBatches, Map<DispatchReason, Long> batchesByReason,
                               SortedMap<Integer, Long> batchSizes) {

    /** Copies the maps. */
    public LoaderStatistics {
        // Declaration order (QUIESCENCE, FULL, DELAY...), the same in every run: printing it is stable.
        batchesByReason = batchesByReason.isEmpty() ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.EnumMap<>(batchesByReason));
        batchSizes = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(batchSizes));
    }

    /** The batches sent for {@code reason}. */
    public long batches(DispatchReason reason) {
        return batchesByReason.getOrDefault(reason, 0L);
    }

    /** The mean batch size, or 0 before the first batch. */
    public double meanBatchSize() {
        return batches == 0 ? 0 : (double) keys / batches;
    }
}
