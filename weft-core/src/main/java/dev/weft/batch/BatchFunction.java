package dev.weft.batch;

import java.util.List;
import java.util.Map;

/**
 * Loads many keys in one call (one SQL {@code IN} query, one Redis {@code MGET}) for a
 * {@link Loader}. It may block. It runs in a scope of its own, on a virtual thread of its own,
 * or, for a batch with a single caller, on that caller's thread (so it may see that thread's
 * {@code ThreadLocal}s, never its Weft context; ADR 0015).
 *
 * <pre>{@code
 * BatchFunction<Long, User> users = ids -> userRepository.findAllById(ids); // Map<Long, User>
 * }</pre>
 *
 * <p>The keys are distinct (after the loader's key normalizer) and at most the loader's maximum
 * batch size. Every key needs an entry in the returned map (a {@code null} value is a value); a
 * key with no entry fails with {@link LoadFailedException} naming the key and the loader, so a
 * missing row is never mistaken for a hang. If the function throws, every key of the batch
 * fails with that cause (B3). To fail single keys, use {@link PerKey}.
 */
@FunctionalInterface
public interface BatchFunction<K, V> {

    /**
     * Loads {@code keys}.
     *
     * @return a value for each key (extra entries are ignored)
     * @throws Exception to fail every key of the batch with it
     */
    Map<K, V> load(List<K> keys) throws Exception;

    /**
     * A batch function that reports each key's outcome on its own, value or error (B3):
     *
     * <pre>{@code
     * BatchFunction.PerKey<String, Price> prices = (skus, results) -> {
     *     for (Quote q : pricingService.quote(skus)) {
     *         if (q.ok()) results.succeed(q.sku(), q.price());
     *         else results.fail(q.sku(), new PriceUnavailable(q.sku(), q.error()));
     *     }
     * };
     * }</pre>
     *
     * A key reported before the function returns is handed to its callers at once; a key never
     * reported fails with {@link LoadFailedException} when it returns.
     */
    @FunctionalInterface
    interface PerKey<K, V> {
        /**
         * Loads {@code keys}, reporting each through {@code results}.
         *
         * @throws Exception to fail every key not reported yet with it
         */
        void load(List<K> keys, BatchResults<K, V> results) throws Exception;
    }
}
