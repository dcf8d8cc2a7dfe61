package dev.weft.batch;

import dev.weft.ExceptionGroup;
import dev.weft.Scope;
import dev.weft.WeftClock;
import dev.weft.internal.Format;
import dev.weft.internal.Jfr;
import dev.weft.internal.Kernel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One batch sent: runs the batch function on a virtual thread of its own, in a root scope of its
 * own (ADR 0014), or, when it is lone, on its only caller ({@link #startHere}, ADR 0015), and
 * gives every key its outcome (B3).
 *
 * <p>The batch belongs to no caller: no caller's cancellation reaches it (B4), a caller cancelled
 * while waiting just stops waiting, and the others still get their values. The batch's scope has
 * the loader's {@linkplain Loader.Builder#batchTimeout batch timeout} as its deadline, on the clock
 * of the tree the batch was sent for, so a hung database call fails the keys instead of hanging
 * its callers.
 */
final class BatchRun<K, V> implements Runnable, BatchResults<K, V> {

    private final LoaderState<K, V> state;
    private final Loader<K, V> loader;
    private final List<LoadSlot<K, V>> slots;
    private final DispatchReason reason;
    private final WeftClock.Scheduled delayTimer;
    private long number;
    /** Set once this batch starts handing out outcomes (see {@code BatchDomain.completing}). */
    private final AtomicBoolean completing = new AtomicBoolean();
    private Map<Object, LoadSlot<K, V>> byKey; // for PerKey results
    private Thread thread;
    /** The batch's own scope while its function runs (for {@link #abandon}). */
    private volatile Scope scope;
    /** Set when the tree closed while this batch ran: its scope is cancelled as soon as it exists. */
    private volatile boolean abandoned;

    BatchRun(LoaderState<K, V> state, List<LoadSlot<K, V>> slots, DispatchReason reason, WeftClock.Scheduled delayTimer) {
        this.state = state;
        this.loader = state.loader;
        this.slots = slots;
        this.reason = reason;
        this.delayTimer = delayTimer;
    }

    /**
     * Whether this is a lone batch of the current thread: it is about to park on one of its keys
     * (so it would only idle until the batch ends), it added every key itself, and no other load
     * joined any. Only such a batch runs on its caller (ADR 0015): its caller's cancellation
     * then concerns nobody else, so it can cut the batch short and leave at once.
     */
    boolean loneHere() {
        // A loader's wait passes its slot as the blocker, so this is the slot the thread parks on.
        if (!(Kernel.get().parkingOn() instanceof LoadSlot<?, ?> p) || state.domain == null || p.adder != Thread.currentThread()) return false;
        boolean mine = false;
        for (LoadSlot<K, V> s : slots) {
            if (s == p) {
                mine = true;
                break;
            }
        }
        return mine && state.lone(slots, Thread.currentThread());
    }

    /**
     * Runs the batch on the current thread, its only caller ({@link #loneHere}), outside the
     * caller's scope tree (ADR 0015): that saves starting a thread, parking the caller and waking
     * it. Falls back to a thread of its own if the caller is already cancelled. Called from the
     * quiescence check of the caller's own wait.
     */
    void startHere() {
        if (delayTimer != null) delayTimer.cancel();
        number = loader.stats.dispatched(slots.size(), reason);
        if (!Kernel.get().runDetached(this, this::callerCancelled)) launch();
    }

    /**
     * The caller running this lone batch was cancelled (on the cancelling thread): the batch has
     * no caller left, so it is cut short, as a closing tree cuts short a batch nobody waits for
     * ({@link #abandon}), and the caller leaves as soon as the batch function returns. A load
     * that joined one of its keys meanwhile is not failed by it: that key is sent again (B4).
     */
    private void callerCancelled() {
        callerGone = true;
        Scope s = scope;
        if (s != null) s.cancel(CALLER_GONE);
    }

    /** Set when the only caller of a batch it ran itself was cancelled: its keys are not worth loading. */
    private volatile boolean callerGone;

    private static final String CALLER_GONE = "its only caller, which was running it, was cancelled";

    /** Counts the batch and starts its thread; never blocks. */
    void start() {
        if (delayTimer != null) delayTimer.cancel();
        number = loader.stats.dispatched(slots.size(), reason);
        launch();
    }

    private void launch() {
        Thread t = Kernel.get().newThread(this); // virtual (ADR 0025 explains the indirection)
        t.setName(loader.name() + "-batch-" + number);
        thread = t;
        if (state.domain == null) {
            t.start();
        } else if (!state.domain.launch(this, t)) {
            // A delay timer fired as the tree closed: nobody is left to wait for these keys.
            for (LoadSlot<K, V> s : slots) s.fail("loader '" + loader.name() + "': batch " + number + " was not sent: its scope tree closed first", null);
            state.batchEnded(slots);
        }
    }

    /**
     * The tree closed while this batch's thread was alive (S1). If a key still has no outcome, no
     * caller waits for it any more: cancel the batch's scope, so that it ends soon. If every key
     * has one, the batch is only finishing (its listener, its thread's exit): it is left alone and
     * just waited for, so that a request that went well records no cancellation.
     */
    void abandon() {
        boolean owesOutcomes = false;
        for (LoadSlot<K, V> s : slots) {
            if (!s.isDone()) {
                owesOutcomes = true;
                break;
            }
        }
        if (!owesOutcomes) return;
        abandoned = true;
        Scope s = scope;
        if (s != null) s.cancel(CLOSED);
    }

    private static final String CLOSED = "the scope tree it was sent for closed: no caller waits for its keys";

    /** True once this batch's thread has terminated. */
    boolean ended() {
        return !thread.isAlive();
    }

    /** Waits for this batch's thread to end, ignoring interrupts; true if interrupted meanwhile. */
    boolean join() {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }

    @Override
    public void run() {
        List<K> keys = new ArrayList<>(slots.size());
        for (LoadSlot<K, V> s : slots) keys.add(s.key);
        BatchListener.Batch info = loader.listener == null ? null : new BatchListener.Batch(loader.name(), number, keys, reason);
        WeftClock clock = state.clock;
        long t0 = clock.nanoTime();
        Object jfr = Jfr.AVAILABLE ? BatchJfr.started() : null;
        Throwable failure = null;
        try {
            if (info != null) loader.listener.dispatched(info);
            Scope.Builder b = Scope.builder().name(loader.name() + "-batch-" + number).clock(clock);
            if (loader.batchTimeout != null) b.timeout(loader.batchTimeout);
            b.run(scope -> {
                this.scope = scope;
                if (abandoned) scope.cancel(CLOSED);
                if (callerGone) scope.cancel(CALLER_GONE);
                call(keys);
                return null;
            });
        } catch (ExceptionGroup g) {
            failure = g.leaves().size() == 1 ? g.single() : g;
        } catch (Throwable t) {
            failure = t;
        }
        startCompleting();
        if (failure != null) {
            loader.stats.failed();
            String msg = "loader '" + loader.name() + "': batch " + number + " failed: " + Format.summary(failure);
            // Cut short with its only caller (callerGone): a key someone joined since is sent again.
            for (LoadSlot<K, V> s : callerGone ? state.requeueJoined(slots) : slots) s.fail(msg, failure);
        } else {
            for (LoadSlot<K, V> s : slots) {
                if (!s.isDone()) {
                    s.fail("loader '" + loader.name() + "': the batch function returned no value for key " + s.key
                            + "; return an entry for every key (a null value counts), or fail the key with BatchFunction.PerKey", null);
                }
            }
        }
        state.batchEnded(slots);
        if (jfr != null) BatchJfr.ended(jfr, loader.name(), number, slots.size(), reason, failure != null);
        if (state.domain != null) state.domain.completionEnded();
        if (info != null) {
            try {
                loader.listener.completed(info, Duration.ofNanos(clock.nanoTime() - t0), failure);
            } catch (Throwable t) {
                Thread me = Thread.currentThread();
                me.getUncaughtExceptionHandler().uncaughtException(me, t);
            }
        }
    }

    private void call(List<K> keys) throws Exception {
        if (loader.perKeyFunction != null) {
            byKey = new HashMap<>(slots.size() * 2);
            for (LoadSlot<K, V> s : slots) byKey.put(s.normalizedKey, s);
            loader.perKeyFunction.load(keys, this);
            return;
        }
        Map<K, V> values = loader.function.load(keys);
        Objects.requireNonNull(values, () -> "loader '" + loader.name() + "': the batch function returned null; return a map (empty if nothing was found)");
        Map<Object, V> normalized = null;
        for (LoadSlot<K, V> s : slots) {
            V v = values.get(s.key);
            if (v != null || values.containsKey(s.key)) {
                succeed(s, v);
            } else if (loader.keyNormalizer != null) {
                // The function may key its map by another form of the key (say, upper case).
                if (normalized == null) {
                    normalized = new HashMap<>(values.size() * 2);
                    for (Map.Entry<K, V> e : values.entrySet()) normalized.put(loader.normalize(e.getKey()), e.getValue());
                }
                if (normalized.containsKey(s.normalizedKey)) succeed(s, normalized.get(s.normalizedKey));
            }
        }
    }

    /** From the first outcome on, the tree is not quiescent until the last one is out. */
    private void startCompleting() {
        if (state.domain != null && completing.compareAndSet(false, true)) state.domain.completionStarted();
    }

    private void succeed(LoadSlot<K, V> s, V v) {
        startCompleting();
        // The shared cache first: a waiter may run the moment its slot completes, and a load it
        // (or anyone) makes next must find the value there, not start another batch.
        if (v != null && loader.sharedCache != null && !s.isDone()) loader.sharedCache.put(s.normalizedKey, v);
        s.succeed(v);
    }

    private LoadSlot<K, V> slotOf(K key) {
        // Written before the function was called, read-only since: safe from any thread it forks.
        LoadSlot<K, V> s = byKey.get(loader.normalize(key));
        if (s == null) throw new IllegalArgumentException("key " + key + " is not in batch " + number + " of loader '" + loader.name() + "'");
        return s;
    }

    @Override
    public void succeed(K key, V value) {
        LoadSlot<K, V> s = slotOf(key);
        if (s.isDone()) throw new IllegalStateException("key " + key + " of loader '" + loader.name() + "' was already reported");
        succeed(s, value);
    }

    @Override
    public void fail(K key, Throwable error) {
        Objects.requireNonNull(error, "error");
        LoadSlot<K, V> s = slotOf(key);
        startCompleting();
        if (!s.fail("loader '" + loader.name() + "' could not load key " + key + ": " + Format.summary(error), error)) {
            throw new IllegalStateException("key " + key + " of loader '" + loader.name() + "' was already reported");
        }
    }
}
