package dev.weft.batch;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One key of a {@link Loader} in one scope tree: pending, then a value or a failure, set once.
 * Callers wait on it; the per-scope cache holds it. Waiters form a lock-free stack that the
 * completion swaps for {@code DONE} and unparks, so completing never blocks and never takes a lock.
 */
final class LoadSlot<K, V> {

    private static final VarHandle OUTCOME;
    private static final VarHandle WAITERS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            OUTCOME = l.findVarHandle(LoadSlot.class, "outcome", Object.class);
            WAITERS = l.findVarHandle(LoadSlot.class, "waiters", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final Object PENDING = new Object();
    private static final Object NULL = new Object();
    private static final Object DONE = new Object();

    private record Failure(String message, Throwable cause) {}

    private record Waiter(Thread thread, Object next) {}

    final K key;
    final Object normalizedKey;
    /**
     * How many loads joined this slot while it waited or was in flight, besides the one that
     * added it. Guarded by the lock of its {@code LoaderState}: a batch its caller runs itself
     * (ADR 0015) reads it to tell whether anyone else waits for the key.
     */
    int joined;
    @SuppressWarnings("unused") private volatile Object outcome = PENDING; // through OUTCOME
    @SuppressWarnings("unused") private volatile Object waiters;           // through WAITERS

    /** The thread whose load added this slot (null for a cached value): see {@code LoaderState.lone}. */
    final Thread adder;

    LoadSlot(K key, Object normalizedKey) {
        this.key = key;
        this.normalizedKey = normalizedKey;
        this.adder = Thread.currentThread();
    }

    private LoadSlot(K key, Object normalizedKey, Thread adder) {
        this.key = key;
        this.normalizedKey = normalizedKey;
        this.adder = adder;
    }

    static <K, V> LoadSlot<K, V> completed(K key, Object normalizedKey, V value) {
        LoadSlot<K, V> s = new LoadSlot<>(key, normalizedKey, null);
        s.outcome = value == null ? NULL : value;
        s.waiters = DONE;
        return s;
    }

    boolean isDone() {
        return outcome != PENDING;
    }

    boolean succeeded() {
        Object o = outcome;
        return o != PENDING && !(o instanceof Failure);
    }

    /** Sets the value; false if the slot already had an outcome. */
    boolean succeed(V value) {
        return complete(value == null ? NULL : value);
    }

    /** Sets the failure; false if the slot already had an outcome. */
    boolean fail(String message, Throwable cause) {
        return complete(new Failure(message, cause));
    }

    private boolean complete(Object o) {
        if (!OUTCOME.compareAndSet(this, PENDING, o)) return false;
        Object w = WAITERS.getAndSet(this, DONE);
        while (w instanceof Waiter n) {
            LockSupport.unpark(n.thread());
            w = n.next();
        }
        return true;
    }

    /** Registers {@code t} to be unparked on completion; false if it is already complete. */
    boolean addWaiter(Thread t) {
        while (true) {
            Object w = WAITERS.getVolatile(this);
            if (w == DONE) return false;
            if (WAITERS.compareAndSet(this, w, new Waiter(t, w))) return true;
        }
    }

    /** The value, or the failure thrown as a new {@link LoadFailedException} on the caller's stack. */
    @SuppressWarnings("unchecked")
    V get(String loader) {
        Object o = outcome;
        if (o instanceof Failure f) throw new LoadFailedException(loader, key, f.message(), f.cause());
        if (o == PENDING) throw new IllegalStateException("key " + key + " of loader '" + loader + "' is still loading");
        return o == NULL ? null : (V) o;
    }
}
