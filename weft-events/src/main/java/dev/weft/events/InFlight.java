package dev.weft.events;

import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.TransportMessage;
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

    final Object payload;
    final EventType<?> type;
    /**
     * Made on first use: at emit for anything that is held, queued or leaves the process; only
     * an event that sync type handlers take inline, on the emitting thread, may never need it
     * (reading the clock for its time is the most expensive step of a sync emit).
     */
    private Envelope<?> envelope;
    /** The encoded form for transports, made on first use (see {@link #wire()}). */
    private TransportMessage wire;
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
        this.payload = envelope.payload();
        this.type = type;
        this.remote = remote;
        this.only = only;
    }

    /** A local event whose envelope is made when first needed. */
    InFlight(EventBus bus, Object payload, EventType<?> type) {
        this.bus = bus;
        this.payload = payload;
        this.type = type;
        this.remote = false;
        this.only = null;
    }

    /**
     * The envelope, made now if it was not yet. Called on the emitting thread (at emit, or by a
     * sync handler running inline within it) before the event is shared with another thread.
     */
    Envelope<?> envelope() {
        Envelope<?> e = envelope;
        if (e == null) envelope = e = bus.newEnvelope(payload, type);
        return e;
    }

    /**
     * The event as a transport message, encoded now if it was not yet. A local event a transport
     * takes is encoded by {@link EventBus#emit} on the emitting thread (a failure refuses the
     * emit, E3), before it is held or dispatched, so the outbox's thread only batches and
     * publishes. Only a replayed dead letter reaches an outbox unencoded: the dispatching thread
     * encodes it in {@link HandlerSlot#deliver}, and if that fails the outbox tries again and the
     * failure ends as that outbox's dead letter. The scope buffer's lock or the queue hand-off
     * publishes the field to other threads.
     */
    TransportMessage wire() {
        TransportMessage m = wire;
        if (m == null) {
            Envelope<?> e = envelope();
            wire = m = new TransportMessage(e.id().toString(), e.name(), bus.encode(e));
        }
        return m;
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
