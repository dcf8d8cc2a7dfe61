package dev.weft.batch;

/** Why a {@link Loader} sent a batch (B5); counted in {@link LoaderStatistics} and given to a {@link BatchListener}. */
public enum DispatchReason {
    /** Every live thread of the caller's scope tree was blocked in a Weft wait (B1). */
    QUIESCENCE,
    /** The batch reached the loader's {@linkplain Loader.Builder#maxBatchSize maximum size}. */
    FULL,
    /**
     * The {@linkplain Loader.Builder#maxDelay maximum delay} passed since the batch's first key:
     * the fallback for callers outside any scope, or a tree with a thread busy outside Weft.
     */
    DELAY
}
