package dev.weft.batch;

/**
 * A cache a {@link Loader} shares across scopes (for example a Caffeine cache), on top of its
 * per-scope cache. Keys are the loader's normalized keys (the keys themselves when it has no
 * key normalizer); {@code null} values are never stored.
 *
 * <pre>{@code
 * Cache<Object, User> caffeine = Caffeine.newBuilder().maximumSize(10_000).build();
 * Loader<Long, User> users = Loader.builder(batchFn).sharedCache(new SharedCache<User>() {
 *     public User getIfPresent(Object key) { return caffeine.getIfPresent(key); }
 *     public void put(Object key, User value) { caffeine.put(key, value); }
 *     public void invalidate(Object key) { caffeine.invalidate(key); }
 *     public void invalidateAll() { caffeine.invalidateAll(); }
 * }).build();
 * }</pre>
 *
 * <p>Implementations must be thread-safe. {@link #getIfPresent} is called by the loading thread
 * before a key joins a batch; {@link #put} by the batch's thread for each value loaded. Neither
 * should block for long: a slow cache slows every load.
 */
public interface SharedCache<V> {

    /** The cached value for {@code key}, or null if there is none. */
    V getIfPresent(Object key);

    /** Caches {@code value} (never null) for {@code key}. */
    void put(Object key, V value);

    /** Drops {@code key}. */
    void invalidate(Object key);

    /** Drops every key. */
    void invalidateAll();
}
