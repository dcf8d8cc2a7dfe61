package dev.weft.events;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One event on its way to its handlers: how many deliveries are still out, whether it holds a
 * queue permit, and who wants to know when it is done (a transport consumer acknowledges then).
 */
final class InFlight {
    private static final VarHandle PENDING;
    private static final VarHandle PERMIT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PENDING = l.findVarHandle(InFlight.class, "pending", int.class);
            PERMIT = l.findVarHandle(InFlight.class, "permit", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Envelope<?> envelope;
    final EventType<?> type;
    /** Came from a transport: not sent to transports again. */
    final boolean remote;
    /** Deliver to this slot only (a replay), or null for every matching one. */
    final HandlerSlot only;
    final EventBus bus;
    volatile Runnable onDone;
    @SuppressWarnings("unused") private volatile int pending;   // through PENDING
    @SuppressWarnings("unused") private volatile boolean permit; // through PERMIT

    InFlight(EventBus bus, Envelope<?> envelope, EventType<?> type, boolean remote, HandlerSlot only) {
        this.bus = bus;
        this.envelope = envelope;
        this.type = type;
        this.remote = remote;
        this.only = only;
    }

    void setPending(int n) {
        PENDING.setRelease(this, n);
    }

    /** Marks that this event holds a permit it took up front. */
    void holdPermit() {
        PERMIT.setRelease(this, true);
    }

    /** Takes a permit (past the bound if need be) unless this event holds one already. */
    void ensurePermit(Capacity c) {
        if (!(boolean) PERMIT.getAcquire(this) && PERMIT.compareAndSet(this, false, true)) c.forceAcquire();
    }

    /** {@code n} deliveries finished; the last one releases the permit and tells whoever waits. */
    void deliveriesDone(int n) {
        int left = (int) PENDING.getAndAdd(this, -n) - n;
        if (left == 0) {
            if ((boolean) PERMIT.getAcquire(this)) bus.capacity.release();
            Runnable r = onDone;
            if (r != null) r.run();
        }
    }
}
