package dev.weft.events;

import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import dev.weft.RetryPolicy;
import dev.weft.WeftClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;

/**
 * One registered handler of a bus (or a transport's outbox): what it matches, how it runs, its
 * queue, its retries and its counters (E5, E6).
 */
// Implementer's note. Each slot is a tiny actor: a lock-free queue plus a state word (IDLE or
// RUNNING). Whoever moves the state from IDLE to RUNNING owns the slot and drains the queue; so
// a handler never runs concurrently with itself and sees events in the order they were queued
// (per-handler ordering, E5). A SYNC slot that is idle with an empty queue runs the event right
// on the dispatching thread (the fast path: two CASes, no allocation); otherwise the event is
// queued, and the owner (or, for ASYNC slots, a virtual thread started for the purpose) drains
// it. A failed try with a backoff to wait keeps the slot RUNNING and parks the event in
// `retrying`; a clock action starts a virtual thread that retries and drains on. No thread is
// held while waiting. The counters are written only by the owner (setRelease after a plain
// read: single writer) and read racily by statistics().
// A transport's outbox is the same actor with a batch invoker: the owner takes up to maxBatch
// queued events at once and hands them to Transport.publishAll (pipelined), retrying the batch as
// a unit. If a batch fails with anything but a TransportException (the transport refused some
// message in it), its events go to `singly` and are tried one at a time, each with its own tries.
final class HandlerSlot {
    private static final VarHandle STATE;
    private static final VarHandle COUNTERS;
    private static final int IDLE = 0;
    private static final int RUNNING = 1;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(HandlerSlot.class, "state", int.class);
            COUNTERS = MethodHandles.arrayElementVarHandle(long[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final int SUCCEEDED = 0, FAILED_TRIES = 1, RETRIES = 2, DEAD_LETTERED = 3, SKIPPED = 4, DELIVERED = 5;

    /** Calls the user's code for one event. */
    interface Invoker {
        void invoke(InFlight f) throws Exception;
    }

    /** Publishes several events at once (a transport's outbox); all or, by throwing, none confirmed. */
    interface BatchInvoker {
        void invoke(List<InFlight> batch) throws Exception;
    }

    final String name;
    final HandlerMode mode;
    final RetryPolicy retry;
    final Class<?> type;     // matches by type, or
    final Pattern pattern;   // by name pattern
    final String patternText;
    final boolean transport; // a transport's outbox: never fed remote events
    final Invoker invoker; // null for a transport's outbox
    /** Non-null for a transport's outbox (and only there): events are published in batches of up to maxBatch. */
    private final BatchInvoker batchInvoker;
    private final int maxBatch;
    final EventBus bus;
    volatile boolean enabled = true;
    volatile boolean closed;

    private final ConcurrentLinkedQueue<InFlight> queue = new ConcurrentLinkedQueue<>();
    @SuppressWarnings("unused") private volatile int state; // through STATE
    private InFlight retrying; // owner only
    private List<InFlight> retryingBatch; // owner only (batch slots): the batch waiting for its retry
    private ArrayDeque<InFlight> singly;  // owner only (batch slots): events of a refused batch, tried one at a time
    private volatile int taken;           // batch slots: events taken from the queue and not done yet (owner writes)
    private int attempts;      // owner only: tries of the event (or batch) at the head
    private final long[] counters = new long[6];
    private final java.util.concurrent.atomic.LongAdder skipped = new java.util.concurrent.atomic.LongAdder();

    /** A handler: runs {@code invoker} for one event at a time. */
    HandlerSlot(EventBus bus, String name, HandlerMode mode, RetryPolicy retry, Class<?> type, String pattern, Invoker invoker) {
        this(bus, name, mode, retry, type, pattern, invoker, null, 1);
    }

    /** A transport's outbox: asynchronous unless the bus is synchronous; publishes up to {@code maxBatch} events per call. */
    HandlerSlot(EventBus bus, String name, RetryPolicy retry, String pattern, int maxBatch, BatchInvoker batchInvoker) {
        this(bus, name, HandlerMode.ASYNC, retry, null, pattern, null, batchInvoker, maxBatch);
    }

    private HandlerSlot(EventBus bus, String name, HandlerMode mode, RetryPolicy retry, Class<?> type, String pattern,
                        Invoker invoker, BatchInvoker batchInvoker, int maxBatch) {
        this.bus = bus;
        this.name = name;
        this.mode = bus.synchronous ? HandlerMode.SYNC : mode;
        this.retry = retry;
        this.type = type;
        this.patternText = pattern;
        this.pattern = pattern == null ? null : compile(pattern);
        this.transport = batchInvoker != null;
        this.invoker = invoker;
        this.batchInvoker = batchInvoker;
        this.maxBatch = maxBatch;
    }

    static Pattern compile(String glob) {
        StringBuilder re = new StringBuilder();
        for (String part : glob.split("\\*", -1)) {
            if (!re.isEmpty()) re.append(".*");
            re.append(Pattern.quote(part));
        }
        return Pattern.compile(re.toString());
    }

    boolean matches(Class<?> eventType, String eventName) {
        return type != null ? type.isAssignableFrom(eventType) : pattern.matcher(eventName).matches();
    }

    /** Whether an event given now would have to wait in the queue (racy: a hint for taking a permit up front). */
    boolean wouldQueue() {
        return mode == HandlerMode.ASYNC || (int) STATE.getOpaque(this) != IDLE || !queue.isEmpty();
    }

    /**
     * Delivers {@code f}. Returns true if this delivery finished here and now (ran inline, or
     * was skipped); false if it was queued, and the slot will call {@code f.deliveriesDone(1)}.
     */
    boolean deliver(InFlight f) {
        if (!enabled) { // an unsubscribed slot is no longer routed to: a dispatch under way still delivers (E1)
            skipped.increment();
            return true;
        }
        if (mode == HandlerMode.SYNC && batchInvoker == null && queue.isEmpty() && STATE.compareAndSet(this, IDLE, RUNNING)) {
            count(DELIVERED);
            if (!runOne(f)) { // parked for a retry; the slot stays ours until it resumes
                f.envelope(); // made here, on the emitting thread, before another thread retries it
                f.ensurePermit(bus.capacity);
                return false;
            }
            drain();
            return true;
        }
        f.envelope(); // made here, on the emitting thread, before the owner takes it
        if (batchInvoker != null) {
            try {
                f.wire(); // emit encoded a local event already (E3); a replayed dead letter is encoded here, so the outbox only publishes
            } catch (RuntimeException encodingFailed) {
                // A replayed letter left unencoded: the outbox tries again, and the failure becomes its dead letter.
            }
        }
        f.ensurePermit(bus.capacity);
        queue.offer(f);
        if (STATE.compareAndSet(this, IDLE, RUNNING)) {
            if (mode == HandlerMode.SYNC) drain();
            else start();
        }
        return false;
    }

    private void start() {
        Thread.ofVirtual().name("weft-events-" + name).start(this::drain);
    }

    /** Runs queued events until the queue is empty or a retry must wait. Called by the owner only. */
    private void drain() {
        while (true) {
            if (batchInvoker != null) {
                List<InFlight> batch;
                while ((batch = nextBatch()) != null) {
                    if (!runBatch(batch)) return;
                }
            } else {
                InFlight f;
                while ((f = retrying != null ? takeRetrying() : pollCounted()) != null) {
                    if (!runOne(f)) return;
                    f.deliveriesDone(1);
                }
            }
            STATE.setRelease(this, IDLE);
            bus.slotIdle();
            if (queue.isEmpty() || !STATE.compareAndSet(this, IDLE, RUNNING)) return;
        }
    }

    private InFlight pollCounted() {
        InFlight f = queue.poll();
        if (f != null) count(DELIVERED);
        return f;
    }

    private InFlight takeRetrying() {
        InFlight f = retrying;
        retrying = null;
        return f;
    }

    /** The batch to try next: the one whose retry is due, else one event of a refused batch, else up to maxBatch queued events; null if none. */
    private List<InFlight> nextBatch() {
        if (retryingBatch != null) {
            List<InFlight> b = retryingBatch;
            retryingBatch = null;
            return b;
        }
        if (singly != null && !singly.isEmpty()) return List.of(singly.poll());
        InFlight f = pollCounted();
        if (f == null) return null;
        List<InFlight> b = new ArrayList<>(Math.min(maxBatch, 64));
        do {
            b.add(f);
        } while (b.size() < maxBatch && (f = pollCounted()) != null);
        taken = taken + b.size(); // single writer
        return b;
    }

    /**
     * Tries a batch: true when it is done with (published, dead-lettered after the last try, or
     * split up to be tried one event at a time), false when a retry waits on the clock.
     */
    private boolean runBatch(List<InFlight> batch) {
        int n = batch.size();
        while (true) {
            attempts++;
            try {
                batchInvoker.invoke(batch);
                count(SUCCEEDED, n);
                attempts = 0;
                taken = taken - n;
                for (InFlight f : batch) f.deliveriesDone(1);
                return true;
            } catch (Throwable t) {
                count(FAILED_TRIES, n);
                // An outage (TransportException) is retried; anything else means the transport refused
                // some event for good: split the batch, and an event refused alone can never be published.
                boolean outage = t instanceof TransportException && !(t instanceof TransportClosedException);
                if (n > 1 && !outage && !(t instanceof TransportClosedException)) {
                    if (singly == null) singly = new ArrayDeque<>();
                    for (int i = n - 1; i >= 0; i--) singly.addFirst(batch.get(i));
                    attempts = 0;
                    return true;
                }
                // Dead letters: what can never be published (refused, or the transport closed), what failed every
                // try of a finite policy, and what is still failing when the bus closes (else close() would wait forever).
                if (!outage || attempts >= retry.maxAttempts() || bus.isClosed()) {
                    for (InFlight f : batch) bus.deadLetter(this, f.envelope(), t, attempts);
                    count(DEAD_LETTERED, n);
                    attempts = 0;
                    taken = taken - n;
                    for (InFlight f : batch) f.deliveriesDone(1);
                    return true;
                }
                count(RETRIES, n);
                Duration wait = retry.backoffAfter(attempts);
                if (wait.isZero()) continue;
                retryingBatch = batch;
                resumeAfter(wait);
                return false;
            }
        }
    }

    /**
     * Tries {@code f}: true when it is done with (handled, or dead-lettered after the last try),
     * false when a retry waits on the clock (then {@code f} is kept in {@code retrying}).
     */
    private boolean runOne(InFlight f) {
        while (true) {
            attempts++;
            try {
                if (bus.observer == null) invoker.invoke(f);
                else new ObservedRun(f, attempts).run();
                count(SUCCEEDED);
                attempts = 0;
                return true;
            } catch (Throwable t) {
                count(FAILED_TRIES);
                if (attempts >= retry.maxAttempts()) {
                    bus.deadLetter(this, f.envelope(), t, attempts);
                    count(DEAD_LETTERED);
                    attempts = 0;
                    return true;
                }
                count(RETRIES);
                Duration wait = retry.backoffAfter(attempts);
                if (wait.isZero()) continue;
                retrying = f;
                resumeAfter(wait);
                return false;
            }
        }
    }

    /**
     * One try under the bus's {@link EventObserver}: the try's outcome is the handler's alone,
     * whatever the observer throws; a handler the observer skipped runs anyway.
     */
    private final class ObservedRun implements EventObserver.HandlerRun {
        private final InFlight f;
        private final int attempt;
        private boolean proceeded;
        private Throwable failure;

        ObservedRun(InFlight f, int attempt) {
            this.f = f;
            this.attempt = attempt;
        }

        void run() throws Exception {
            try {
                bus.observer.handle(this);
            } catch (Throwable t) {
                if (!proceeded || t != failure) EventBus.reportObserverFailure(t);
            }
            if (!proceeded) {
                EventBus.reportObserverFailure(new IllegalStateException("the EventObserver " + bus.observer.getClass().getName()
                        + " did not call proceed() for handler '" + name + "'; the handler ran without it"));
                proceed();
            }
            if (failure instanceof Exception e) throw e;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
        }

        @Override
        public String handler() {
            return name;
        }

        @Override
        public String event() {
            return f.type != null ? f.type.name() : f.envelope().name();
        }

        @Override
        public Envelope<?> envelope() {
            return f.envelope();
        }

        @Override
        public int attempt() {
            return attempt;
        }

        @Override
        public boolean remote() {
            return f.remote;
        }

        @Override
        public void proceed() throws Exception {
            if (proceeded) throw new IllegalStateException("proceed() was called twice for one try of handler '" + name + "'");
            proceeded = true;
            try {
                invoker.invoke(f);
            } catch (Throwable t) {
                failure = t;
                throw t;
            }
        }
    }

    /** Keeps the slot RUNNING and drains on (the retry first) once {@code wait} has passed on the bus's clock. */
    private void resumeAfter(Duration wait) {
        WeftClock clock = bus.clock;
        clock.schedule(clock.after(wait), bus.synchronous ? this::drain : this::start);
    }

    private void count(int which) {
        count(which, 1);
    }

    private void count(int which, int n) {
        COUNTERS.setRelease(counters, which, (long) COUNTERS.getOpaque(counters, which) + n);
    }

    long counter(int which) {
        if (which == SKIPPED) return skipped.sum();
        return (long) COUNTERS.getOpaque(counters, which);
    }

    int queued() {
        return queue.size() + (retrying != null ? 1 : 0) + taken;
    }

    boolean isIdle() {
        return (int) STATE.getVolatile(this) == IDLE && queue.isEmpty();
    }

    String matcherText() {
        return type != null ? type.getName() : patternText;
    }

    @Override
    public String toString() {
        return "Handler[" + name + ", " + mode + ", " + matcherText() + (enabled ? "" : ", disabled") + "]";
    }
}
