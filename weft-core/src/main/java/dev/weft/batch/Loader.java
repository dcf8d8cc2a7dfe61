package dev.weft.batch;

import dev.weft.Weft;
import dev.weft.WeftClock;
import dev.weft.internal.Kernel;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Turns many small lookups into one round trip (Quora's {@code asynq}, Facebook's DataLoader):
 * code loads one key at a time, and the loader sends one batch, the moment every task of the
 * scope is waiting. There is no {@code dispatch()} to forget.
 *
 * <pre>{@code
 * Loader<Long, User> users = Loader.builder((List<Long> ids) -> userRepository.findAllById(ids))
 *         .name("users").maxBatchSize(500).build();          // build once, share everywhere
 *
 * Scope.run(scope -> {
 *     for (long id : List.of(1L, 2L, 3L)) scope.fork(() -> render(users.load(id)));
 *     return null;
 * });   // one call to findAllById([1, 2, 3]) (or in whatever order the tasks asked)
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>(B1) Keys loaded in a scope tree go out as one batch as soon as every live thread of
 *   the tree (the outermost scope, its tasks, and everything nested in them) is blocked in a Weft
 *   wait (a load, {@link dev.weft.Task#join Task.join}, {@link Weft#sleep}, a scope waiting for its tasks, any other
 *   Weft primitive), or the batch reaches {@link Builder#maxBatchSize}, or
 *   {@link Builder#maxDelay} passes since its first key. A thread busy outside Weft (CPU work,
 *   JDBC, {@code Thread.sleep}) keeps the tree awake, so the delay is its fallback, and the only
 *   trigger for callers outside any scope. See ADR 0013.</li>
 *   <li>(B2) A key is sent at most once per batch: callers asking for a key already waiting or in
 *   flight in the same tree share its result. With the per-scope cache on (the default), a key
 *   loaded once in a tree is answered from the cache for the rest of that tree's life.</li>
 *   <li>(B3) Each key gets its own value or its own error ({@link BatchFunction.PerKey}); when the
 *   batch function throws, every key of the batch fails with that cause. Failures are thrown as
 *   {@link LoadFailedException}; they are never cached.</li>
 *   <li>(B4) The batch function runs outside every caller's scope, in a root scope of its own, on
 *   a virtual thread of its own: a caller cancelled while waiting throws {@link dev.weft.Cancelled
 *   Cancelled} and the batch goes on for the others. A lone batch (one caller added every key and
 *   nobody joined one) runs on that caller's thread instead, which would only idle meanwhile; if
 *   that caller is cancelled, the batch is cut short with it, and a key someone joined meanwhile
 *   is sent again (ADR 0015).</li>
 *   <li>(B5) {@link #statistics()} and a {@link BatchListener}: batches, keys, sizes, and why
 *   each batch was sent.</li>
 * </ul>
 *
 * <p>Thread-safe; meant to be built once and shared. The per-scope cache lives with the
 * outermost scope of the caller's tree and goes away with it (usually: one request).
 *
 * <h2>Implementer's note</h2>
 * Each scope tree gets a {@code BatchDomain} (hung off its outermost scope) holding one
 * {@code LoaderState} per loader: a map from normalized key to {@code LoadSlot} (cache and
 * de-duplication in one) and the batch being filled. Waits of Weft mark their thread as parked
 * and, while some loader of the tree has keys waiting, check whether the whole tree is blocked
 * ({@code Quiescence}); the last thread to block sends the batch. A sent batch is a
 * {@code BatchRun}. DataLoader instead asks the user to call {@code dispatch()} (or dispatches
 * per event-loop tick in JavaScript); asynq's scheduler knows its whole world because it is one
 * thread. Weft knows its world through the scope tree.
 */
public final class Loader<K, V> {

    private static final AtomicLong IDS = new AtomicLong();

    private final String name;
    final BatchFunction<K, V> function;
    final BatchFunction.PerKey<K, V> perKeyFunction;
    final int maxBatchSize;
    final Duration maxDelay;
    final boolean cachePerScope;
    final SharedCache<V> sharedCache;
    final Function<? super K, ?> keyNormalizer;
    final BatchListener listener;
    final WeftClock clock;
    final Duration batchTimeout;
    final LoaderCounters stats = new LoaderCounters();
    /** For callers outside any scope: no per-scope cache, no quiescence; size and delay only. */
    private final LoaderState<K, V> unscoped;

    private Loader(Builder<K, V> b) {
        this.name = b.name != null ? b.name : "loader-" + IDS.incrementAndGet();
        this.function = b.function;
        this.perKeyFunction = b.perKeyFunction;
        this.maxBatchSize = b.maxBatchSize;
        this.maxDelay = b.maxDelay;
        this.cachePerScope = b.cachePerScope;
        this.sharedCache = b.sharedCache;
        this.keyNormalizer = b.keyNormalizer;
        this.listener = b.listener;
        this.clock = b.clock;
        this.batchTimeout = b.batchTimeout;
        this.unscoped = new LoaderState<>(this, null, WeftClock.system());
    }

    /**
     * A builder for a loader whose batch function returns a map from key to value.
     *
     * <pre>{@code Loader<Long, User> users = Loader.builder(userRepository::findAllById).name("users").build();}</pre>
     */
    public static <K, V> Builder<K, V> builder(BatchFunction<K, V> function) {
        Objects.requireNonNull(function, "function: pass the batch function, e.g. Loader.builder(ids -> repo.findAllById(ids))");
        return new Builder<>(function, null);
    }

    /** A builder for a loader whose batch function reports each key's value or error on its own (B3). */
    public static <K, V> Builder<K, V> builderPerKey(BatchFunction.PerKey<K, V> function) {
        Objects.requireNonNull(function, "function: pass the batch function, e.g. Loader.builderPerKey((keys, results) -> ...)");
        return new Builder<>(null, function);
    }

    /**
     * Loads {@code key}: from the per-scope or shared cache, by joining a load of the same key
     * already waiting or in flight in this scope tree, or in the next batch. Blocks the calling
     * (virtual) thread until the value is there; a cancellation point.
     *
     * @throws LoadFailedException if the batch function failed, failed this key, or returned no value for it
     * @throws dev.weft.Cancelled  if the caller's scope is cancelled before or while it waits (the batch goes on, B4)
     */
    public V load(K key) {
        Objects.requireNonNull(key, () -> "key: loader '" + name + "' cannot load a null key");
        Weft.checkpoint();
        stats.loads(1);
        LoadSlot<K, V> slot = state().slots(List.of(key)).get(0);
        if (!slot.isDone() && slot.addWaiter(Thread.currentThread())) await(slot);
        return slot.get(name);
    }

    /**
     * Loads every key of {@code keys} (in one batch where the size allows) and returns their
     * values in the order of {@code keys}, equal keys once. Waits for all of them before it
     * returns or throws.
     *
     * @throws LoadFailedException for the first key, in the order of {@code keys}, that failed
     * @throws dev.weft.Cancelled  if the caller's scope is cancelled before or while it waits
     */
    public Map<K, V> loadAll(Collection<? extends K> keys) {
        Objects.requireNonNull(keys, "keys");
        for (K k : keys) Objects.requireNonNull(k, () -> "keys: loader '" + name + "' cannot load a null key");
        Weft.checkpoint();
        stats.loads(keys.size());
        List<LoadSlot<K, V>> slots = state().slots(keys);
        // Wait for the slots one at a time, registering on a slot only when it is the first one
        // still open: a batch usually completes them all before the caller runs again, so it
        // registers and is woken once, not once per key (a hundred unparks of one thread).
        Thread me = Thread.currentThread();
        for (LoadSlot<K, V> s : slots) {
            if (!s.isDone() && s.addWaiter(me)) await(s);
        }
        Map<K, V> out = new LinkedHashMap<>(slots.size() * 2);
        for (LoadSlot<K, V> s : slots) out.put(s.key, s.get(name));
        return out;
    }

    /**
     * Waits for {@code slot}. The wait's quiescence check may run the slot's batch on this thread
     * (ADR 0015); if the slot failed while this caller's scope was cancelled, the cancellation is
     * what the caller sees (level-triggered), not the batch's failure.
     */
    private static void await(LoadSlot<?, ?> slot) {
        Kernel.get().await(slot::isDone, Kernel.NO_DEADLINE, slot); // the slot is the blocker: see BatchRun.loneHere
        if (!slot.succeeded()) Weft.checkpoint();
    }

    /**
     * Puts {@code value} for {@code key} in the current scope tree's cache (if the per-scope cache
     * is on and the key has no value yet: to replace one, {@link #clear} it first, as in DataLoader)
     * and in the shared cache (if any, and the value is not null). Outside any scope, only the
     * shared cache is primed.
     */
    public void prime(K key, V value) {
        Objects.requireNonNull(key, "key");
        Object nk = normalize(key);
        if (cachePerScope) {
            BatchDomain d = Kernel.get().watcher(BatchDomain.class, BatchDomain::new);
            if (d != null) d.state(this).prime(key, nk, value);
        }
        if (sharedCache != null && value != null) sharedCache.put(nk, value);
    }

    /** Drops {@code key} from the current scope tree's cache and from the shared cache; a load in flight finishes as it is. */
    public void clear(K key) {
        Objects.requireNonNull(key, "key");
        Object nk = normalize(key);
        LoaderState<K, V> s = existingState();
        if (s != null) s.clear(nk);
        if (sharedCache != null) sharedCache.invalidate(nk);
    }

    /** Drops every key from the current scope tree's cache and the shared cache. */
    public void clearAll() {
        LoaderState<K, V> s = existingState();
        if (s != null) s.clearAll();
        if (sharedCache != null) sharedCache.invalidateAll();
    }

    /** An immutable snapshot of the loader's counters, over every scope it served (B5). */
    public LoaderStatistics statistics() {
        return stats.snapshot(name);
    }

    /** The loader's name, used in thread names, messages and statistics. */
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "Loader[" + name + "]";
    }

    Object normalize(K key) {
        if (keyNormalizer == null) return key;
        Object nk = keyNormalizer.apply(key);
        if (nk == null) throw new IllegalArgumentException("loader '" + name + "': the key normalizer returned null for key " + key);
        return nk;
    }

    /** This loader's state in the current thread's scope tree (made on first use), or the unscoped one. */
    private LoaderState<K, V> state() {
        BatchDomain d = Kernel.get().watcher(BatchDomain.class, BatchDomain::new);
        return d == null ? unscoped : d.state(this);
    }

    private LoaderState<K, V> existingState() {
        BatchDomain d = Kernel.get().existingWatcher(BatchDomain.class);
        return d == null ? null : d.existingState(this);
    }

    /**
     * Configures a {@link Loader}. Not thread-safe; each {@link #build()} makes a new loader.
     */
    public static final class Builder<K, V> {
        private final BatchFunction<K, V> function;
        private final BatchFunction.PerKey<K, V> perKeyFunction;
        private String name;
        private int maxBatchSize = Integer.MAX_VALUE;
        private Duration maxDelay = Duration.ofMillis(5);
        private boolean cachePerScope = true;
        private SharedCache<V> sharedCache;
        private Function<? super K, ?> keyNormalizer;
        private BatchListener listener;
        private WeftClock clock;
        private Duration batchTimeout;

        private Builder(BatchFunction<K, V> function, BatchFunction.PerKey<K, V> perKeyFunction) {
            this.function = function;
            this.perKeyFunction = perKeyFunction;
        }

        /** The loader's name, in thread names ({@code users-batch-3}), messages and statistics. Default {@code loader-N}. */
        public Builder<K, V> name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) throw new IllegalArgumentException("loader name is blank: name it after what it loads, e.g. \"users\"");
            this.name = name;
            return this;
        }

        /** The most keys one batch may hold; a full batch is sent at once ({@link DispatchReason#FULL}). Default: no limit. */
        public Builder<K, V> maxBatchSize(int maxBatchSize) {
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException("maxBatchSize is " + maxBatchSize + ": it must be at least 1 (1 turns batching off)");
            }
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        /**
         * How long a batch may wait for more keys after its first one before it is sent anyway
         * ({@link DispatchReason#DELAY}): the fallback when a thread of the tree is busy outside
         * Weft, and the only trigger outside any scope. Default 5 ms; zero sends every batch at once.
         *
         * <h4>What to choose</h4>
         * In a tree whose threads only load and wait in Weft, the delay never fires: quiescence
         * sends each level the moment it is complete, whatever the delay. It matters only while
         * some thread of the tree is busy outside Weft between loads (CPU work, JDBC, a blocking
         * client, {@code Thread.sleep}), or is runnable and waiting for a core: then the batch
         * waits for that thread up to this long, and a level whose last key comes later than the
         * delay is split in two ({@code DELAY}, then {@code QUIESCENCE}). So:
         * <ul>
         *   <li>make it longer than the longest stretch a thread of the tree spends between the
         *   loads of one level, with room for a busy machine (on two loaded cores, forking and
         *   scheduling a level of a hundred tasks, or a millisecond of CPU work per task, can take
         *   well over 5 ms): the N+1 example, whose levels fork dozens of tasks, uses 1 s, and its
         *   levels never split;</li>
         *   <li>make it shorter than the latency you accept for a caller outside any scope, or
         *   whose tree stays busy (a long CPU task beside the loads): those callers always wait the
         *   full delay.</li>
         * </ul>
         * The 5 ms default suits trees that do little outside Weft and callers that want an
         * answer soon; raise it for trees that do real work between loads. Watch
         * {@link LoaderStatistics#batches(DispatchReason)}: many {@code DELAY} batches in trees that
         * should batch by quiescence mean the delay is too short.
         */
        public Builder<K, V> maxDelay(Duration maxDelay) {
            Objects.requireNonNull(maxDelay, "maxDelay");
            if (maxDelay.isNegative()) throw new IllegalArgumentException("maxDelay is negative (" + maxDelay + "): pass Duration.ZERO to send at once");
            this.maxDelay = maxDelay;
            return this;
        }

        /**
         * Whether a value loaded in a scope tree is kept for later loads in the same tree (B2).
         * Default true. Off, a key is still sent once per batch and shared by the callers waiting for it.
         */
        public Builder<K, V> cachePerScope(boolean on) {
            this.cachePerScope = on;
            return this;
        }

        /** A cache shared across scope trees (for example Caffeine), asked before a key joins a batch. */
        public Builder<K, V> sharedCache(SharedCache<V> cache) {
            this.sharedCache = Objects.requireNonNull(cache, "cache");
            return this;
        }

        /**
         * Maps each key to the form used to compare and cache it (say, {@code String::toLowerCase}
         * or an ID extracted from an entity): keys with equal normalized forms are one key. The
         * batch function gets the first form asked for.
         */
        public Builder<K, V> keyNormalizer(Function<? super K, ?> normalizer) {
            this.keyNormalizer = Objects.requireNonNull(normalizer, "normalizer");
            return this;
        }

        /** Told about each batch (B5): for metrics and tracing. */
        public Builder<K, V> listener(BatchListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * The clock of the delay window and of the batch timeout. Default: the clock of the
         * caller's outermost scope ({@link dev.weft.FakeClock FakeClock} in tests), else the system clock.
         */
        public Builder<K, V> clock(WeftClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** A deadline for each call of the batch function; past it, every key of the batch fails with {@link dev.weft.DeadlineExceeded DeadlineExceeded} as cause. Default: none. */
        public Builder<K, V> batchTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("batchTimeout must be positive, got " + timeout);
            this.batchTimeout = timeout;
            return this;
        }

        /** A new loader. */
        public Loader<K, V> build() {
            return new Loader<>(this);
        }
    }
}
