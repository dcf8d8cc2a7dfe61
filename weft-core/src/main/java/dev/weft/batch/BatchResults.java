package dev.weft.batch;

/**
 * Where a {@link BatchFunction.PerKey} reports the outcome of each key. Thread-safe: the batch
 * function may report from tasks it forks. Each key is reported once.
 */
public interface BatchResults<K, V> {

    /**
     * Gives {@code key} its value; its callers return it.
     *
     * @throws IllegalArgumentException if {@code key} is not in this batch
     * @throws IllegalStateException    if {@code key} was already reported
     */
    void succeed(K key, V value);

    /**
     * Fails {@code key} alone; its callers throw {@link LoadFailedException} with {@code error} as cause.
     *
     * @throws IllegalArgumentException if {@code key} is not in this batch
     * @throws IllegalStateException    if {@code key} was already reported
     */
    void fail(K key, Throwable error);
}
