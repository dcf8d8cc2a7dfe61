package dev.weft.batch;

import dev.weft.WeftClock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link Loader} in one scope tree (or, with no domain, for callers outside any scope): its
 * per-scope cache, the batch being filled, and its delay timer.
 *
 * <p>{@code slots} maps each normalized key to its slot while the key waits to be sent or is in
 * flight (that is the de-duplication of B2: a second caller joins the same slot, so the batch
 * function never sees a key twice in one batch), and, when the per-scope cache is on, after it
 * succeeded. Failed slots, and with the cache off all finished slots, are dropped when their
 * batch ends, so the next load asks again.
 */
final class LoaderState<K, V> {

    final Loader<K, V> loader;
    /** Null for callers outside any scope: no quiescence, no per-scope cache. */
    final BatchDomain domain;
    final WeftClock clock;
    private final boolean cache;

    private final ReentrantLock lock = new ReentrantLock();
    private final HashMap<Object, LoadSlot<K, V>> slots = new HashMap<>();  // guarded by lock
    private ArrayList<LoadSlot<K, V>> pending;                              // guarded by lock
    private long pendingId;                                                 // guarded by lock
    private WeftClock.Scheduled delayTimer;                                 // guarded by lock
    /** When the batch being filled got its first key: its delay runs from then. Guarded by lock. */
    private long pendingSince;
    /**
     * The number of the batch whose delay timer is armed (or being armed), so that the quiescence
     * checks, which ask on every wait while the tree is busy, pay one volatile read, not a lock.
     */
    private volatile long armedId = -1;

    LoaderState(Loader<K, V> loader, BatchDomain domain, WeftClock scopeClock) {
        this.loader = loader;
        this.domain = domain;
        this.clock = loader.clock != null ? loader.clock : scopeClock;
        this.cache = domain != null && loader.cachePerScope;
    }

    /** The slots for {@code keys}, in order (equal keys share one), each cached, joined or added to a batch. */
    List<LoadSlot<K, V>> slots(Collection<? extends K> keys) {
        List<LoadSlot<K, V>> out = new ArrayList<>(keys.size());
        List<BatchRun<K, V>> full = null;
        boolean arm = false;
        List<K> missed = null;
        lock.lock();
        try {
            for (K key : keys) {
                Object nk = loader.normalize(key);
                LoadSlot<K, V> s = lookup(nk);
                if (s == null && loader.sharedCache != null) {
                    // Asked outside the lock below: a shared cache may be slow.
                    if (missed == null) missed = new ArrayList<>();
                    missed.add(key);
                    out.add(null);
                    continue;
                }
                if (s == null) {
                    s = new LoadSlot<>(key, nk);
                    arm |= add(s);
                    if (pending.size() >= loader.maxBatchSize) {
                        if (full == null) full = new ArrayList<>(1);
                        full.add(take(DispatchReason.FULL));
                    }
                }
                out.add(s);
            }
        } finally {
            lock.unlock();
        }
        if (full != null) full.forEach(BatchRun::start);
        if (missed != null) fillFromSharedCache(out, missed);
        if (arm) armDelay();
        return out;
    }

    private void fillFromSharedCache(List<LoadSlot<K, V>> out, List<K> missed) {
        List<LoadSlot<K, V>> found = new ArrayList<>(missed.size());
        for (K key : missed) {
            Object nk = loader.normalize(key);
            V v = loader.sharedCache.getIfPresent(nk);
            found.add(v == null ? null : LoadSlot.completed(key, nk, v));
        }
        List<BatchRun<K, V>> full = null;
        boolean arm = false;
        lock.lock();
        try {
            int m = 0;
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i) != null) continue;
                LoadSlot<K, V> hit = found.get(m);
                K key = missed.get(m++);
                Object nk = loader.normalize(key);
                LoadSlot<K, V> s = lookup(nk); // someone may have added it meanwhile
                if (s == null && hit != null) {
                    s = hit;
                    loader.stats.cacheHit();
                    if (cache) slots.put(nk, s);
                } else if (s == null) {
                    s = new LoadSlot<>(key, nk);
                    arm |= add(s);
                    if (pending.size() >= loader.maxBatchSize) {
                        if (full == null) full = new ArrayList<>(1);
                        full.add(take(DispatchReason.FULL));
                    }
                }
                out.set(i, s);
            }
        } finally {
            lock.unlock();
        }
        if (full != null) full.forEach(BatchRun::start);
        if (arm) armDelay();
    }

    /** A slot that answers {@code nk} now: cached, waiting or in flight; null if the key must be loaded. */
    private LoadSlot<K, V> lookup(Object nk) {
        LoadSlot<K, V> s = slots.get(nk);
        if (s == null) return null;
        if (!s.isDone()) {
            s.joined++;
            loader.stats.cacheHit();
            return s;
        }
        if (cache && s.succeeded()) {
            loader.stats.cacheHit();
            return s;
        }
        return null;
    }

    /**
     * Adds a new slot to the batch being filled; true if it opened that batch and its delay timer
     * must be armed now. In a scope tree it is not: the timer is armed only once a quiescence check
     * finds the tree busy ({@link #armDelayIfPending}), which the first waiter's own wait does at
     * once; a tree that is quiescent then sends the batch without ever touching the timer thread.
     * Outside any scope there is no quiescence, so the timer is armed here.
     */
    private boolean add(LoadSlot<K, V> s) {
        slots.put(s.normalizedKey, s);
        boolean first = pending == null;
        if (first) {
            pending = new ArrayList<>();
            pendingId++;
            pendingSince = clock.nanoTime();
            pendingIdHint = pendingId;
            if (domain != null) domain.pendingAdded();
        }
        pending.add(s);
        return first && domain == null;
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    /** Takes the batch being filled (caller holds the lock and starts the run after unlocking). */
    private BatchRun<K, V> take(DispatchReason reason) {
        List<LoadSlot<K, V>> batch = pending;
        WeftClock.Scheduled timer = delayTimer;
        pending = null;
        pendingIdHint = -1;
        delayTimer = null;
        if (domain != null) domain.pendingTaken();
        return new BatchRun<>(this, batch, reason, timer);
    }

    /**
     * A quiescence check found the tree busy while this state has a batch waiting: from now on
     * only the delay can send it, so arm the timer (once per batch; one volatile read when armed).
     */
    void armDelayIfPending() {
        long id = pendingIdHint;
        if (id < 0 || armedId == id) return;
        armDelay();
    }

    /** The number of the batch being filled, or -1; read without the lock (a hint, see armDelayIfPending). */
    private volatile long pendingIdHint = -1;

    /** Arms the delay timer for the batch being filled, unless it was sent or armed already. */
    private void armDelay() {
        long id;
        long at;
        lock.lock();
        try {
            if (pending == null || delayTimer != null || armedId == pendingId) return;
            id = pendingId;
            armedId = id;
            at = saturatingAdd(pendingSince, loader.maxDelay.toNanos());
        } finally {
            lock.unlock();
        }
        if (loader.maxDelay.isZero()) {
            dispatchIf(id, DispatchReason.DELAY);
            return;
        }
        WeftClock.Scheduled t = clock.schedule(at, () -> dispatchIf(id, DispatchReason.DELAY));
        lock.lock();
        try {
            if (pending != null && pendingId == id && delayTimer == null) {
                delayTimer = t;
                t = null;
            }
        } finally {
            lock.unlock();
        }
        if (t != null) t.cancel(); // the batch left before the timer was stored
    }

    /** Sends the batch being filled if it is still the one numbered {@code id}. */
    void dispatchIf(long id, DispatchReason reason) {
        BatchRun<K, V> run = takeIf(id, reason);
        if (run != null) run.start();
    }

    /** Takes the batch being filled if it is still the one numbered {@code id}; the caller starts it. */
    BatchRun<K, V> takeIf(long id, DispatchReason reason) {
        lock.lock();
        try {
            return pending == null || pendingId != id ? null : take(reason);
        } finally {
            lock.unlock();
        }
    }

    /** Whether every key of {@code batch} was added by a load of {@code caller} and joined by no other load. */
    boolean lone(List<LoadSlot<K, V>> batch, Thread caller) {
        lock.lock();
        try {
            for (LoadSlot<K, V> s : batch) {
                if (s.adder != caller || s.joined > 0) return false;
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A batch its caller ran itself ended early because that caller was cancelled (ADR 0015):
     * the keys some other load joined meanwhile go back into the batch being filled, so their
     * callers are not failed by a cancellation that was not theirs (B4); the others are returned,
     * to be failed. Their joiners are parked, so the tree's next quiescence sends them.
     */
    List<LoadSlot<K, V>> requeueJoined(List<LoadSlot<K, V>> batch) {
        List<LoadSlot<K, V>> rest = new ArrayList<>(batch.size());
        lock.lock();
        try {
            for (LoadSlot<K, V> s : batch) {
                if (s.isDone() || s.joined == 0) {
                    rest.add(s);
                } else {
                    add(s); // `joined` stays: it may over-count, which only keeps a batch from being cut short
                }
            }
        } finally {
            lock.unlock();
        }
        return rest;
    }

    /**
     * The number of the batch being filled, or -1 if none: read before a quiescence walk, so
     * that the walk's verdict sends only a batch that was waiting while the tree was seen
     * quiescent, never a newer one filled by waiters the previous batch has woken since.
     */
    long pendingBatchId() {
        lock.lock();
        try {
            return pending != null ? pendingId : -1;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The tree closed (S1): the batch being filled, if any, is never sent. Its keys have no
     * caller left; they fail, so that nothing could wait on them forever.
     */
    void dropPending() {
        List<LoadSlot<K, V>> dropped;
        WeftClock.Scheduled timer;
        lock.lock();
        try {
            if (pending == null) return;
            dropped = pending;
            timer = delayTimer;
            pending = null;
            pendingIdHint = -1;
            delayTimer = null;
            if (domain != null) domain.pendingTaken();
            for (LoadSlot<K, V> s : dropped) slots.remove(s.normalizedKey, s);
        } finally {
            lock.unlock();
        }
        if (timer != null) timer.cancel();
        for (LoadSlot<K, V> s : dropped) {
            s.fail("loader '" + loader.name() + "': key " + s.key + " was not sent: its scope tree closed first", null);
        }
    }

    /** After a batch: drop the slots that must not answer later loads (failed, or cache off). */
    void batchEnded(List<LoadSlot<K, V>> batch) {
        lock.lock();
        try {
            for (LoadSlot<K, V> s : batch) {
                // A key sent again (requeueJoined) has no outcome yet: it stays.
                if (s.isDone() && (!cache || !s.succeeded())) slots.remove(s.normalizedKey, s);
            }
        } finally {
            lock.unlock();
        }
    }

    void prime(K key, Object nk, V value) {
        if (!cache) return;
        lock.lock();
        try {
            LoadSlot<K, V> s = slots.get(nk);
            if (s == null || (s.isDone() && !s.succeeded())) slots.put(nk, LoadSlot.completed(key, nk, value));
        } finally {
            lock.unlock();
        }
    }

    void clear(Object nk) {
        lock.lock();
        try {
            LoadSlot<K, V> s = slots.get(nk);
            if (s != null && s.isDone()) slots.remove(nk); // a key in flight stays, or it could be sent twice
        } finally {
            lock.unlock();
        }
    }

    void clearAll() {
        lock.lock();
        try {
            slots.values().removeIf(LoadSlot::isDone);
        } finally {
            lock.unlock();
        }
    }
}
