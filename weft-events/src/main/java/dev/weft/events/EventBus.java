package dev.weft.events;

import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.EventCodec;
import dev.weft.events.transport.Outbox;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportMessage;
import dev.weft.RetryPolicy;
import dev.weft.ContextKey;
import dev.weft.Scope;
import dev.weft.WeftClock;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * An event bus whose events wait for their scope to succeed (rules E3 to E8): declare event types
 * up front, emit from anywhere, and handlers run after the request that emitted them succeeded,
 * isolated from each other, retried, and parked in a dead-letter store when they keep failing.
 *
 * <pre>{@code
 * @EventName("sighting.reported") record SightingReported(String species, int count) {}
 *
 * EventBus bus = EventBus.builder()
 *         .declare(EventType.of(SightingReported.class)
 *                 .validatedBy(s -> s.count() > 0 ? null : "count must be positive, got " + s.count()))
 *         .build();
 * bus.subscribe(SightingReported.class, s -> notifyBirders(s));      // by type (or supertype)
 * bus.handler("audit").sync().onPattern("sighting.*", e -> audit.log(e.name(), e.id()));
 *
 * EventBus.unitOfWork("request").run(scope -> {    // or any Scope
 *     save(sighting);
 *     bus.emit(new SightingReported("kestrel", 2));  // held by the scope...
 *     return null;
 * });                                                // ...dispatched now, since the scope succeeded
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Declared events only (E3).</b> Emitting an undeclared type or a payload that fails
 *   validation throws {@link EventRejectedException} at the emit call, naming the event and the
 *   problem; nothing is held or dispatched. So does a payload the bus's {@link EventCodec} cannot
 *   encode, when a transport takes the event: such events are encoded at the emit call (see
 *   {@link #emit}).</li>
 *   <li><b>After the scope (E4).</b> Inside a {@link Scope}, events are held by the innermost
 *   scope and, when it ends: by default ({@link DispatchPolicy#ON_SUCCESS}) dispatched only if it
 *   succeeded; {@link DispatchPolicy#ALWAYS} either way; {@link DispatchPolicy#IMMEDIATELY} not
 *   held at all. A nested scope that succeeds hands its events to the enclosing scope, so a
 *   failing request drops them too, unless it is a {@linkplain #unitOfWork unit of work}, whose
 *   events are dispatched when it ends (ADR 0017). Dispatch runs on a virtual thread of the bus,
 *   so it never delays the scope's result. Outside any scope, events are dispatched at once.</li>
 *   <li><b>Handlers (E5).</b> Matched by type (the payload's class, a supertype or a sealed
 *   interface) or by name pattern ({@code *} matches any characters: {@code sighting.*},
 *   {@code *}), in registration order. {@link HandlerMode#SYNC} handlers run on the dispatching
 *   thread, {@link HandlerMode#ASYNC} ones on a virtual thread each. A handler never runs
 *   concurrently with itself and sees events in the order they were dispatched to it. A failure
 *   is retried by the handler's {@link RetryPolicy} on the bus's clock, then the event is parked
 *   in the {@link DeadLetterStore} with its error; it never stops another handler.</li>
 *   <li><b>Switches (E6).</b> {@link #disable} / {@link #enable} a handler by name at run time;
 *   while off it gets no new events (they are counted as skipped), events already queued for it
 *   are still delivered.</li>
 *   <li><b>Bounded (E7).</b> At most {@link Builder#capacity capacity} events are in flight: an
 *   event counts once, from when it is queued for a handler (an {@code ASYNC} one, a {@code SYNC}
 *   one busy with an earlier event, or a transport's outbox) until every handler it went to is
 *   done with it: while it waits, while a handler runs it, and while it waits for a retry. When the
 *   capacity is used up, {@code emit} blocks or throws by {@link FullPolicy}. Events a scope holds
 *   do not count: they check for room when they are emitted and wait for it when their scope ends.
 *   An event that only idle {@code SYNC} handlers take runs inline and never counts. Only an event
 *   already accepted may pass the bound: one a {@code SYNC} handler failed inline and retries
 *   later, or one that finds such a handler busy after all (another thread got there first).
 *   Nothing is dropped silently: an event is handled, parked as a dead letter, or refused at the
 *   emit call.</li>
 *   <li><b>Transports (E8).</b> After their scope succeeded, events also go to the bus's
 *   {@link Transport}s, encoded by its {@link EventCodec} at the emit call, through an outbox per
 *   transport; what queued up for a transport goes out in one {@link Transport#publishAll} call
 *   (pipelined, up to {@link Builder#outboxBatchSize}), retried as a unit while the broker does not
 *   confirm. <i>Defaults (issue 13):</i> a broker outage is not a bad event: the outbox retries with
 *   a capped backoff (100 ms doubling to 5 s, {@code RetryPolicy.unlimited(100 ms, 5 s)}) for as long as
 *   it lasts, while its events hold their places in the bounded queue, so emitters wait or fail
 *   (E7) instead of events piling up as dead letters; only an event that can never be published
 *   (refused alone by the transport, say too big, or the transport closed) is dead-lettered, at
 *   once, and so is one still unpublished when the bus closes. Events in memory are lost if the
 *   process dies: for events that must survive a crash, use an {@link Builder#outbox Outbox}.
 *   {@link #consume} dispatches events received from a transport.</li>
 *   <li><b>Durable (ADR 0040).</b> With an {@link Builder#outbox Outbox} (weft-jdbc's
 *   {@code JdbcOutbox}), events are instead written at the emit call into the database
 *   transaction of the unit of work that emits them, and a relay publishes them once it
 *   committed; an emit outside such a unit of work is refused, never kept in memory.</li>
 *   <li>Thread-safe: emit, subscribe and switch from any thread.</li>
 * </ul>
 */
// Implementer's note. emit() does: declared-type lookup (exact class), validation, envelope,
// encoding if a transport takes the event (transportedBy, fixed at build: transports never change),
// then either holds the event in the scope's ScopeBuffer (one per bus and open scope, created on
// the first emit, which registers the scope's completion action) or dispatches it. dispatch()
// looks up the route (the matching slots for the payload's class, cached, rebuilt on every
// (un)subscribe), takes a queue permit up front if any slot would have to queue the event (so a
// FAIL policy fails before anything is delivered), then hands the event to each slot; see
// HandlerSlot for the per-handler actor. For a sync handler outside a scope the whole path
// allocates the envelope and its in-flight record and takes no lock.
public final class EventBus implements AutoCloseable {

    /** Marks a scope as a unit of work: see {@link #unitOfWork}. */
    static final ContextKey<Object> UNIT_OF_WORK = ContextKey.named("weft-events.unit-of-work");

    /**
     * Trace and correlation context captured into every event emitted inside a scope that binds
     * it (E8), e.g. {@code Map.of("traceparent", "00-...", "correlation-id", "r-42")}.
     * {@link dev.weft.events.http.RequestScopeFilter RequestScopeFilter} binds it from the request headers.
     */
    public static final ContextKey<Map<String, String>> TRACE = ContextKey.named("weft-events.trace");

    final Capacity capacity;
    final WeftClock clock;
    private final Map<Class<?>, EventType<?>> types;
    private final Map<String, EventType<?>> byName;
    private final DispatchPolicy policy;
    private final FullPolicy whenFull;
    private final HandlerMode defaultMode;
    private final RetryPolicy defaultRetry;
    private final DeadLetterStore deadLetters;
    private final EventCodec codec;
    /** For each declared type that some transport or the outbox takes: "transport 'x'" or "transports 'x', 'y'"; empty without transports. */
    private final Map<Class<?>, String> transportedBy;
    /** For each declared type an {@link Outbox} takes: that outbox (ADR 0040); empty without one. */
    private final Map<Class<?>, Outbox> outboxFor;
    private final Supplier<Map<String, String>> trace;
    /** Metrics and traces (weft-micrometer), or null: then they cost a null check per envelope and per try. */
    final EventObserver observer;
    /** Deterministic mode (for tests): everything runs on the calling thread. */
    final boolean synchronous;

    private final ReentrantLock lock = new ReentrantLock();
    private volatile HandlerSlot[] slots = new HandlerSlot[0];
    private volatile ConcurrentHashMap<Class<?>, HandlerSlot[]> routes = new ConcurrentHashMap<>();
    private int handlerSeq; // guarded by lock

    final ConcurrentHashMap<Scope, ScopeBuffer> held = new ConcurrentHashMap<>();
    final LongAdder heldCount = new LongAdder();
    final LongAdder discarded = new LongAdder();
    private final LongAdder emitted = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder dispatched = new LongAdder();
    private final AtomicInteger handoffs = new AtomicInteger();
    private final long idPrefix;
    private final AtomicLong idSeq = new AtomicLong();
    private volatile boolean closed;

    private EventBus(Builder b) {
        this.capacity = new Capacity(b.capacity);
        this.clock = b.clock;
        this.types = Map.copyOf(b.types);
        Map<String, EventType<?>> names = new LinkedHashMap<>();
        for (EventType<?> t : b.types.values()) names.put(t.name(), t);
        this.byName = Map.copyOf(names);
        this.policy = b.policy;
        this.whenFull = b.whenFull;
        this.defaultMode = b.mode;
        this.defaultRetry = b.retry;
        this.codec = b.codec;
        this.deadLetters = b.encodedDeadLetters != null ? new EncodedDeadLetters(b.encodedDeadLetters, b.codec, byName) : b.deadLetters;
        Map<Class<?>, String> transported = new LinkedHashMap<>();
        Map<Class<?>, Outbox> outboxes = new LinkedHashMap<>();
        for (EventType<?> t : b.types.values()) {
            List<String> takers = new ArrayList<>();
            for (Builder.TransportSpec spec : b.transports) {
                if (HandlerSlot.compile(spec.pattern).matcher(t.name()).matches()) takers.add("'" + spec.transport.name() + "'");
            }
            String to = takers.isEmpty() ? "" : (takers.size() == 1 ? "transport " : "transports ") + String.join(", ", takers);
            if (b.outbox != null && HandlerSlot.compile(b.outboxPattern).matcher(t.name()).matches()) {
                outboxes.put(t.type(), b.outbox);
                to = (to.isEmpty() ? "" : to + " and ") + "outbox '" + b.outbox.name() + "'";
            }
            if (!to.isEmpty()) transported.put(t.type(), to);
        }
        this.transportedBy = Map.copyOf(transported);
        this.outboxFor = Map.copyOf(outboxes);
        this.trace = b.trace;
        this.observer = b.observer;
        this.synchronous = b.synchronous;
        // A random 64-bit prefix per bus (version-4 UUID layout) and a sequence: unique ids
        // without a SecureRandom call per event.
        long r = new SecureRandom().nextLong();
        this.idPrefix = (r & ~0xF000L) | 0x4000L;
        for (Builder.TransportSpec t : b.transports) {
            register(new HandlerSlot(this, "transport:" + t.transport.name(), t.retry, t.pattern, b.outboxBatch, batch -> {
                List<TransportMessage> messages = new ArrayList<>(batch.size());
                for (InFlight f : batch) messages.add(f.wire());
                t.transport.publishAll(messages);
            }));
        }
    }

    /** Encodes {@code e} with the bus's codec (transports need one: checked by the builder). */
    byte[] encode(Envelope<?> e) {
        return codec.encode(e);
    }

    /** A builder; declare every event type the bus may carry. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A scope builder for one unit of work, say a request: events emitted in it (and in scopes
     * nested in it) are dispatched when it ends (by default only if it succeeded), even when it
     * runs inside another scope; in a plain nested scope they would move up to the enclosing
     * scope instead (ADR 0017). {@link dev.weft.events.http.RequestScopeFilter RequestScopeFilter} opens one per HTTP exchange.
     *
     * <pre>{@code
     * EventBus.unitOfWork("import-batch-7").run(scope -> { ...; bus.emit(done); return null; });
     * }</pre>
     */
    public static Scope.Builder unitOfWork(String name) {
        return Scope.builder().name(name).bind(UNIT_OF_WORK, new Object());
    }

    // ---------------------------------------------------------------- emitting

    /**
     * Emits {@code payload}: checks that its type is declared and that it is valid, then holds it
     * in the current scope or dispatches it (see the class comment).
     *
     * <p>Handlers that take the whole {@link Envelope} (name patterns) see its id, time and trace
     * context; the time is when {@code emit} was called.
     *
     * <p><b>Events that leave the process are encoded here.</b> If a transport of the bus takes
     * the event (its name matches the transport's pattern, even while that transport's outbox is
     * {@linkplain #disable switched off}), {@code emit} encodes it with the bus's
     * {@link EventCodec} on the calling thread, also when a scope holds it, and keeps the bytes with
     * it: a payload the codec cannot write fails here, like an invalid one (E3), instead of becoming
     * a transport's dead letter later, and the event is never encoded again (the outbox publishes
     * those bytes). The encoding thus costs the caller, inside its request, rather than the
     * dispatching thread after it; events no transport takes are never encoded. When an emit in a
     * scope throws, nothing of that event is held; if the exception leaves the scope, the scope
     * fails and, by the default policy, none of its events is dispatched or sent: nothing of the
     * unit of work goes out. A caller that catches the exception and lets the scope succeed has
     * chosen to go on without that one event.
     *
     * @throws EventRejectedException if the type is undeclared, the payload invalid or not
     *                                encodable for a transport that takes it, the capacity used up
     *                                under {@link FullPolicy#FAIL}, or the bus closed; then
     *                                nothing of the event was held, dispatched or sent
     * @throws dev.weft.Cancelled     if the scope is cancelled while a {@link FullPolicy#BLOCK} emit waits for room
     */
    public void emit(Object payload) {
        Objects.requireNonNull(payload, "payload: emit an instance of a declared event record");
        EventType<?> type = types.get(payload.getClass());
        if (type == null) throw undeclared(payload.getClass());
        if (closed) throw reject(EventRejectedException.Reason.CLOSED, type.name(), "event '" + type.name() + "' not emitted: the bus is closed");
        String problem = type.problem(payload);
        if (problem != null) {
            throw reject(EventRejectedException.Reason.INVALID, type.name(), "invalid event '" + type.name() + "' ("
                    + payload.getClass().getSimpleName() + "): " + problem);
        }
        DispatchPolicy p = policyOf(type);
        Scope scope = p == DispatchPolicy.IMMEDIATELY ? null : Scope.current().orElse(null);
        InFlight f = new InFlight(this, payload, type);
        if (!transportedBy.isEmpty()) {
            String transports = transportedBy.get(payload.getClass());
            if (transports != null) encodeForTransports(f, type, transports);
        }
        Outbox outbox = outboxFor.isEmpty() ? null : outboxFor.get(payload.getClass());
        if (scope == null) {
            if (outbox != null) store(outbox, f, type);
            dispatch(f, whenFull);
        } else {
            if (whenFull == FullPolicy.FAIL) {
                if (capacity.used() >= capacity.capacity()) throw queueFull(type.name());
            } else {
                capacity.awaitRoom();
            }
            if (outbox != null) store(outbox, f, type); // last, so a refused emit stored nothing
            f.envelope(); // its time and trace are those of the emit
            bufferOf(scope).add(f);
            heldCount.increment();
        }
        emitted.increment();
    }

    /**
     * Writes {@code f} into the unit of work's transaction through {@code outbox} (ADR 0040); the
     * bus's transports never see it, so an emit outside a unit of work is refused, never sent from memory.
     */
    private void store(Outbox outbox, InFlight f, EventType<?> type) {
        boolean stored;
        try {
            stored = outbox.add(f.wire());
        } catch (RuntimeException cannot) {
            rejected.increment();
            throw cannot;
        }
        if (!stored) {
            throw reject(EventRejectedException.Reason.NO_UNIT_OF_WORK, type.name(), "event '" + type.name() + "' not emitted: the bus writes it to"
                    + " outbox '" + outbox.name() + "', which stores events with the database transaction of a unit of work, and this thread runs in"
                    + " none, so there is nothing to store it with (the bus does not fall back to memory): " + outbox.howToEmit());
        }
    }

    /** Encodes {@code f} for the transports that will take it, so an unencodable payload fails at the emit call (E3). */
    private void encodeForTransports(InFlight f, EventType<?> type, String transports) {
        try {
            f.wire();
        } catch (RuntimeException cannot) {
            String codecName = codec.getClass().getSimpleName().isEmpty() ? codec.getClass().getName() : codec.getClass().getSimpleName();
            EventRejectedException e = reject(EventRejectedException.Reason.UNENCODABLE, type.name(), "event '" + type.name() + "' ("
                    + f.payload.getClass().getSimpleName() + ") cannot be encoded for " + transports + " by the bus's codec (" + codecName
                    + "): " + cannot.getMessage() + "; nothing of it was held or sent. Make the payload's type one the codec can write"
                    + " (e.g. register a Jackson module for it) or fix the codec");
            e.initCause(cannot);
            throw e;
        }
    }

    /** A new envelope for {@code payload}: a fresh id, the clock's time now, the trace context here. */
    Envelope<?> newEnvelope(Object payload, EventType<?> type) {
        Map<String, String> context = trace.get();
        if (observer != null) context = observedTrace(type.name(), context);
        return new Envelope<>(new UUID(idPrefix, 0x8000_0000_0000_0000L | idSeq.incrementAndGet()),
                type.name(), clock.instant(), context, payload);
    }

    /** The observer's trace context for an event; the given one if the observer fails (it must not fail an emit). */
    private Map<String, String> observedTrace(String name, Map<String, String> context) {
        try {
            Map<String, String> observed = observer.trace(name, context == null ? Map.of() : context);
            return observed != null ? observed : context;
        } catch (RuntimeException | Error bug) {
            reportObserverFailure(bug);
            return context;
        }
    }

    /** An observer's exception changes nothing (see {@link EventObserver}); it goes to the thread's uncaught-exception handler. */
    static void reportObserverFailure(Throwable bug) {
        Thread t = Thread.currentThread();
        t.getUncaughtExceptionHandler().uncaughtException(t, bug);
    }

    DispatchPolicy policyOf(EventType<?> type) {
        DispatchPolicy own = type.policy();
        return own != null ? own : policy;
    }

    ScopeBuffer bufferOf(Scope scope) {
        return held.computeIfAbsent(scope, s -> {
            ScopeBuffer b = new ScopeBuffer(this, s);
            s.onCompletion(b::completed);
            return b;
        });
    }

    /** Dispatches events a scope held, on a virtual thread, so the scope's caller goes on at once. */
    void handOff(List<InFlight> events) {
        if (synchronous) {
            for (InFlight f : events) dispatch(f, null);
            return;
        }
        handoffs.incrementAndGet();
        Thread.ofVirtual().name("weft-events-dispatch").start(() -> {
            try {
                for (InFlight f : events) dispatch(f, null);
            } finally {
                handoffs.decrementAndGet();
                slotIdle();
            }
        });
    }

    /**
     * Sends {@code f} to every matching slot. {@code full}: what to do if a permit is needed and
     * none is free; null waits, ignoring interrupts (an event that was already accepted).
     */
    private void dispatch(InFlight f, FullPolicy full) {
        HandlerSlot[] route = f.only != null ? new HandlerSlot[] {f.only} : route(f.payload.getClass(), f.type.name());
        boolean queues = false;
        boolean needsEnvelope = false;
        for (HandlerSlot s : route) {
            if (f.remote && s.transport) continue;
            needsEnvelope |= s.type == null; // a pattern handler or a transport
            queues |= s.wouldQueue();
        }
        if (queues) {
            if (full == FullPolicy.FAIL) {
                if (!capacity.tryAcquire()) throw queueFull(f.type.name());
            } else if (full == FullPolicy.BLOCK) {
                capacity.acquire();
            } else {
                acquireUninterruptibly();
            }
            f.holdPermit();
        }
        // Anything that may run on another thread gets the envelope now, with the emit's time.
        if (queues || needsEnvelope) f.envelope();
        dispatched.increment();
        f.setPending(route.length + 1);
        int done = 1;
        for (HandlerSlot s : route) {
            if ((f.remote && s.transport) || s.deliver(f)) done++;
        }
        f.deliveriesDone(done);
    }

    private void acquireUninterruptibly() {
        capacity.acquireUninterruptibly();
    }

    private HandlerSlot[] route(Class<?> payloadType, String name) {
        ConcurrentHashMap<Class<?>, HandlerSlot[]> r = routes;
        HandlerSlot[] route = r.get(payloadType);
        if (route == null) {
            List<HandlerSlot> matching = new ArrayList<>();
            for (HandlerSlot s : slots) {
                if (s.matches(payloadType, name)) matching.add(s);
            }
            route = matching.toArray(HandlerSlot[]::new);
            r.putIfAbsent(payloadType, route);
        }
        return route;
    }

    private EventRejectedException undeclared(Class<?> type) {
        return reject(EventRejectedException.Reason.UNDECLARED, type.getName(), "event type " + type.getName()
                + " is not declared on this bus: add .declare(" + type.getSimpleName() + ".class) to its builder; declared: "
                + byName.keySet().stream().sorted().toList());
    }

    private EventRejectedException queueFull(String name) {
        return reject(EventRejectedException.Reason.QUEUE_FULL, name, "event '" + name + "' not emitted: the bus is full, its capacity of "
                + capacity.capacity() + " events in flight is used up (" + capacity.used() + " in flight: an event counts once from when it"
                + " is queued for a handler until every handler it went to is done with it, while it waits, while a handler runs it and"
                + " while it waits for a retry); slow handlers hold it up, see statistics(); raise EventBus.Builder.capacity(..) or use"
                + " FullPolicy.BLOCK");
    }

    private EventRejectedException reject(EventRejectedException.Reason reason, String name, String message) {
        rejected.increment();
        return new EventRejectedException(reason, name, message);
    }

    // ---------------------------------------------------------------- handlers

    /** Subscribes {@code handler} to events of {@code type} (a declared record, a supertype or a sealed interface of some). */
    public <T> Subscription subscribe(Class<T> type, EventHandler<? super T> handler) {
        return handler(null).on(type, handler);
    }

    /** Subscribes {@code handler} to events whose name matches {@code pattern} ({@code *} matches any characters). */
    public Subscription subscribe(String pattern, EventHandler<? super Envelope<?>> handler) {
        return handler(null).onPattern(pattern, handler);
    }

    /**
     * Starts registering a handler with a name (for dead letters, statistics and switching it off
     * and on), a mode and a retry policy.
     *
     * <pre>{@code
     * bus.handler("mailer").async().retry(RetryPolicy.exponential(5, ofSeconds(1), ofMinutes(1)))
     *    .on(SightingReported.class, s -> mailer.send(s));
     * }</pre>
     */
    public HandlerBuilder handler(String name) {
        return new HandlerBuilder(name);
    }

    /** Configures one handler; {@link #on} or {@link #onPattern} registers it. */
    public final class HandlerBuilder {
        private final String name;
        private HandlerMode mode = defaultMode;
        private RetryPolicy retry = defaultRetry;

        private HandlerBuilder(String name) {
            if (name != null && name.isBlank()) throw new IllegalArgumentException("handler name is blank");
            this.name = name;
        }

        /** Where it runs; default: the bus's ({@link Builder#defaultHandlerMode}). */
        public HandlerBuilder mode(HandlerMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Runs on the dispatching thread. */
        public HandlerBuilder sync() {
            return mode(HandlerMode.SYNC);
        }

        /** Runs on a virtual thread of its own. */
        public HandlerBuilder async() {
            return mode(HandlerMode.ASYNC);
        }

        /** Its retry policy; default: the bus's. */
        public HandlerBuilder retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /**
         * Registers the handler for events of {@code type} or its subtypes.
         *
         * @throws IllegalArgumentException if no declared event type is {@code type} or a subtype of it
         *                                  (a typo would otherwise never fire), or the name is taken
         */
        public <T> Subscription on(Class<T> type, EventHandler<? super T> handler) {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(handler, "handler");
            if (types.keySet().stream().noneMatch(type::isAssignableFrom)) {
                throw new IllegalArgumentException("no declared event type is " + type.getName() + " or a subtype of it, so this handler would never run;"
                        + " declare it on the bus first; declared: " + byName.keySet().stream().sorted().toList());
            }
            return register(new HandlerSlot(EventBus.this, name, mode, retry, type, null,
                    f -> handler.handle(type.cast(f.payload))));
        }

        /** Registers the handler for events whose name matches {@code pattern}; it receives the whole {@link Envelope}. */
        public Subscription onPattern(String pattern, EventHandler<? super Envelope<?>> handler) {
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(handler, "handler");
            return register(new HandlerSlot(EventBus.this, name, mode, retry, null, pattern, f -> handler.handle(f.envelope())));
        }
    }

    private Subscription register(HandlerSlot proto) {
        lock.lock();
        HandlerSlot slot;
        try {
            String name = proto.name != null ? proto.name : "handler-" + (++handlerSeq);
            for (HandlerSlot s : slots) {
                if (s.name.equals(name)) throw new IllegalArgumentException("a handler named '" + name + "' is already registered; give each handler its own name");
            }
            slot = proto.name != null ? proto : new HandlerSlot(this, name, proto.mode, proto.retry, proto.type, proto.patternText,
                    proto.invoker);
            HandlerSlot[] next = java.util.Arrays.copyOf(slots, slots.length + 1);
            next[slots.length] = slot;
            slots = next;
            routes = new ConcurrentHashMap<>();
        } finally {
            lock.unlock();
        }
        return new Subscription() {
            @Override
            public void close() {
                unregister(slot);
            }

            @Override
            public boolean isActive() {
                return !slot.closed;
            }

            @Override
            public String name() {
                return slot.name;
            }

            @Override
            public String toString() {
                return "Subscription[" + slot + "]";
            }
        };
    }

    private void unregister(HandlerSlot slot) {
        lock.lock();
        try {
            if (slot.closed) return;
            slot.closed = true;
            List<HandlerSlot> next = new ArrayList<>(List.of(slots));
            next.remove(slot);
            slots = next.toArray(HandlerSlot[]::new);
            routes = new ConcurrentHashMap<>();
        } finally {
            lock.unlock();
        }
    }

    /** Switches the named handler off (E6): it gets no new events until {@link #enable}d. @throws IllegalArgumentException if there is no such handler */
    public void disable(String handlerName) {
        slot(handlerName).enabled = false;
    }

    /** Switches the named handler on again (E6). @throws IllegalArgumentException if there is no such handler */
    public void enable(String handlerName) {
        slot(handlerName).enabled = true;
    }

    /** Whether the named handler is switched on. @throws IllegalArgumentException if there is no such handler */
    public boolean isEnabled(String handlerName) {
        return slot(handlerName).enabled;
    }

    private HandlerSlot slot(String name) {
        Objects.requireNonNull(name, "name");
        for (HandlerSlot s : slots) {
            if (s.name.equals(name)) return s;
        }
        throw new IllegalArgumentException("no handler named '" + name + "'; handlers: " + List.of(slots).stream().map(s -> s.name).toList());
    }

    // ---------------------------------------------------------------- dead letters

    void deadLetter(HandlerSlot slot, Envelope<?> e, Throwable error, int attempts) {
        try {
            deadLetters.add(new DeadLetter(UUID.randomUUID(), slot.name, e, error, attempts, clock.instant()));
        } catch (RuntimeException storeFailed) {
            storeFailed.addSuppressed(error);
            System.getLogger(EventBus.class.getName()).log(System.Logger.Level.ERROR,
                    "dead-letter store failed; event " + e.name() + " " + e.id() + " for handler " + slot.name + " is only in this log", storeFailed);
        }
    }

    /** The events handlers gave up on, oldest first (E5). */
    public List<DeadLetter> deadLetters() {
        return deadLetters.list();
    }

    /**
     * Removes the dead letter {@code id} from the store and delivers its event again to the
     * handler that failed, with a fresh set of tries (a new dead letter if they fail too).
     *
     * <p>With a durable store ({@link Builder#deadLetters(EncodedDeadLetterStore)}, ADR 0042) the
     * letter is decoded with this bus's codec and declared types, and stays in the store until the
     * handler is done with it: a process that dies meanwhile has not lost it (it is replayed again
     * when asked, so the handler may see the event twice).
     *
     * @throws IllegalArgumentException if there is no such letter (or this bus is replaying it already)
     * @throws IllegalStateException    if its handler is no longer registered or is switched off
     *                                  ({@link #disable}), or (durable store) this bus cannot decode
     *                                  its event; the letter stays
     */
    public void replay(UUID id) {
        Objects.requireNonNull(id, "id");
        if (deadLetters instanceof EncodedDeadLetters durable) {
            replayDurable(durable, id);
            return;
        }
        DeadLetter letter = deadLetters.remove(id).orElseThrow(() -> new IllegalArgumentException("no dead letter with id " + id));
        HandlerSlot target = slotNamed(letter.handler());
        if (target == null || !target.enabled) {
            deadLetters.add(letter);
            throw target == null
                    ? new IllegalStateException("cannot replay dead letter " + id + ": handler '" + letter.handler() + "' is not registered any more")
                    : switchedOff(id, target);
        }
        EventType<?> type = byName.get(letter.event().name());
        dispatch(new InFlight(this, letter.event(), type, false, target), FullPolicy.BLOCK);
    }

    /** {@link #replay} from a durable store: claim, dispatch, and remove the letter when the handler is done with it. */
    private void replayDurable(EncodedDeadLetters durable, UUID id) {
        DeadLetter letter = durable.claim(id);
        boolean started = false;
        try {
            HandlerSlot target = slotNamed(letter.handler());
            if (target == null) {
                throw new IllegalStateException("cannot replay dead letter " + id + ": handler '" + letter.handler()
                        + "' is not registered on this bus (the letter stays in the store)");
            }
            if (!target.enabled) throw switchedOff(id, target);
            InFlight f = new InFlight(this, letter.event(), byName.get(letter.event().name()), false, target);
            f.onDone = () -> durable.replayed(id);
            dispatch(f, FullPolicy.BLOCK); // throws only before any delivery (waiting for room), so onDone runs iff it returns
            started = true;
        } finally {
            if (!started) durable.release(id);
        }
    }

    /** A switched-off handler would skip the event, and the letter would be gone: refused instead. */
    private static IllegalStateException switchedOff(UUID id, HandlerSlot target) {
        return new IllegalStateException("cannot replay dead letter " + id + ": handler '" + target.name
                + "' is switched off (disable), so it would skip the event; enable it first (the letter stays)");
    }

    private HandlerSlot slotNamed(String name) {
        HandlerSlot target = null;
        for (HandlerSlot s : slots) {
            if (s.name.equals(name)) target = s;
        }
        return target;
    }

    /** Replays every dead letter whose handler is registered and switched on; returns how many. */
    public int replayAll() {
        int n = 0;
        for (DeadLetter l : deadLetters.list()) {
            try {
                replay(l.id());
                n++;
            } catch (IllegalStateException | IllegalArgumentException gone) {
                // handler unregistered (letter kept), or replayed concurrently
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- transports

    /**
     * Receives events from {@code transport} as {@code consumer} of {@code group} and dispatches
     * them to this bus's handlers (not to its transports), until the transport is closed or this
     * thread is cancelled. Run it as a task: {@code scope.forkBackground(() -> bus.consume(t, "g", "c1"))}.
     * A message is acknowledged once every handler is done with it (handled or dead-lettered
     * here), so a consumer killed mid-way leaves it for redelivery; one that cannot be decoded is
     * rejected (the transport dead-letters it after its maximum deliveries); a message whose id
     * was handled recently by this consumer is acknowledged without dispatching again.
     *
     * @return how many events it dispatched, when the transport closed
     * @throws dev.weft.Cancelled    if the scope running it is cancelled
     * @throws IllegalStateException if the bus has no codec
     */
    public long consume(Transport transport, String group, String consumer) {
        Objects.requireNonNull(transport, "transport");
        if (codec == null) throw new IllegalStateException("consume needs a codec: give the bus one with .codec(..), e.g. new JacksonEventCodec() from weft-events-jackson");
        return new RemoteConsumer(this, transport, group, consumer, codec).run();
    }

    Class<? extends Record> typeNamed(String name) {
        EventType<?> t = byName.get(name);
        return t == null ? null : t.type();
    }

    EventType<?> declared(String name) {
        return byName.get(name);
    }

    /** Dispatches an event received from a transport; {@code done} runs when every handler is done with it. */
    void dispatchRemote(Envelope<?> e, Runnable done) {
        InFlight f = new InFlight(this, e, byName.get(e.name()), true, null);
        f.onDone = done;
        dispatch(f, null);
    }

    // ---------------------------------------------------------------- lifecycle and inspection

    void slotIdle() {
        capacity.signalIfWaiting();
    }

    private boolean slotsIdle() {
        if (handoffs.get() != 0) return false;
        for (HandlerSlot s : slots) {
            if (!s.isIdle()) return false;
        }
        return true;
    }

    /**
     * Waits until no event is queued, retrying or being handed off (events still held by open
     * scopes do not count), at most {@code timeout}. For tests and graceful shutdown.
     *
     * @return whether the bus became idle in time
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        return capacity.awaitEmpty(timeout.toNanos(), this::slotsIdle);
    }

    /** An immutable snapshot of the counters. */
    public BusStatistics statistics() {
        List<BusStatistics.Handler> hs = new ArrayList<>();
        for (HandlerSlot s : slots) {
            hs.add(new BusStatistics.Handler(s.name, s.matcherText(), s.mode, s.enabled, s.queued(),
                    s.counter(HandlerSlot.DELIVERED), s.counter(HandlerSlot.SUCCEEDED), s.counter(HandlerSlot.FAILED_TRIES),
                    s.counter(HandlerSlot.RETRIES), s.counter(HandlerSlot.DEAD_LETTERED), s.counter(HandlerSlot.SKIPPED)));
        }
        return new BusStatistics(emitted.sum(), rejected.sum(), heldCount.sum(), discarded.sum(), dispatched.sum(),
                capacity.used(), capacity.capacity(),
                deadLetters instanceof EncodedDeadLetters durable ? durable.count() : deadLetters.list().size(), hs);
    }

    /** The declared event types, by name. */
    public Map<String, EventType<?>> declaredTypes() {
        return byName;
    }

    /**
     * Stops accepting events ({@code emit} then throws {@link EventRejectedException} with reason
     * {@code CLOSED}) and waits until every queued event has been handled or dead-lettered.
     * Events held by scopes still open are dispatched when those scopes end. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        try {
            while (!awaitIdle(Duration.ofSeconds(1))) {
                // keep waiting: handlers may be retrying with a backoff
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

 /** Whether {@link #close()} was called. */
    boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "EventBus[" + byName.size() + " types, " + slots.length + " handlers" + (closed ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------- builder

    /** Configures a bus. Not thread-safe. */
    public static final class Builder {
        private final Map<Class<?>, EventType<?>> types = new LinkedHashMap<>();
        private int capacity = 10_000;
        private int outboxBatch = 128;
        private FullPolicy whenFull = FullPolicy.BLOCK;
        private DispatchPolicy policy = DispatchPolicy.ON_SUCCESS;
        private HandlerMode mode = HandlerMode.ASYNC;
        private RetryPolicy retry = RetryPolicy.defaults();
        private WeftClock clock = WeftClock.system();
        private DeadLetterStore deadLetters;
        private EncodedDeadLetterStore encodedDeadLetters;
        private EventCodec codec;
        private Supplier<Map<String, String>> trace = () -> TRACE.find().orElse(Map.of());
        private EventObserver observer;
        private final List<TransportSpec> transports = new ArrayList<>();
        private Outbox outbox;
        private String outboxPattern;
        private boolean synchronous;

        private record TransportSpec(Transport transport, String pattern, RetryPolicy retry) {}

        private Builder() {}

        /** Declares a record type with its default name and no validator but the null check. */
        public <T extends Record> Builder declare(Class<T> type) {
            return declare(EventType.of(type));
        }

        /** Declares an event type. @throws IllegalArgumentException if its type or name is declared already */
        public Builder declare(EventType<?> type) {
            Objects.requireNonNull(type, "type");
            for (EventType<?> t : types.values()) {
                if (t.name().equals(type.name())) {
                    throw new IllegalArgumentException("event name '" + type.name() + "' is declared twice: by " + t.type().getName()
                            + " and by " + type.type().getName() + "; give one of them another name with EventType.named(..)");
                }
            }
            if (types.putIfAbsent(type.type(), type) != null) {
                throw new IllegalArgumentException(type.type().getName() + " is declared twice");
            }
            return this;
        }

        /**
         * At most how many events a transport's outbox publishes in one
         * {@link Transport#publishAll} call (pipelined); default 128. Events are not held back to
         * fill a batch: the outbox sends what has queued up while the previous call was under way.
         */
        public Builder outboxBatchSize(int events) {
            if (events < 1) throw new IllegalArgumentException("outboxBatchSize is " + events + ": it must be at least 1 (1 publishes one event per call)");
            this.outboxBatch = events;
            return this;
        }

        /**
         * How many events may be in flight at once (E7); default 10,000. An event counts once, from
         * when it is queued for a handler until every handler it went to is done with it: waiting,
         * being handled (so a capacity of 2 with one busy handler lets one more event wait), or
         * waiting for a retry. Events held by open scopes and events run inline by idle
         * {@link HandlerMode#SYNC} handlers do not count. When it is used up, {@code emit} acts by
         * {@link #whenFull}. {@link BusStatistics#queued()} shows how many are in flight.
         */
        public Builder capacity(int capacity) {
            if (capacity < 1) throw new IllegalArgumentException("capacity is " + capacity + ": it must be at least 1");
            this.capacity = capacity;
            return this;
        }

        /** What emit does when the {@link #capacity} is used up; default {@link FullPolicy#BLOCK}. */
        public Builder whenFull(FullPolicy policy) {
            this.whenFull = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** When events emitted in a scope are dispatched; default {@link DispatchPolicy#ON_SUCCESS}. */
        public Builder dispatchPolicy(DispatchPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The mode of handlers registered without one; default {@link HandlerMode#ASYNC}. */
        public Builder defaultHandlerMode(HandlerMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** The retry policy of handlers registered without one; default {@link RetryPolicy#defaults()}. */
        public Builder retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /** The clock for event times and retry backoffs; a {@link dev.weft.FakeClock} in tests. */
        public Builder clock(WeftClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Where dead letters go; default {@link DeadLetterStore#inMemory()}. */
        public Builder deadLetters(DeadLetterStore store) {
            this.deadLetters = Objects.requireNonNull(store, "store");
            this.encodedDeadLetters = null;
            return this;
        }

        /**
         * Keeps dead letters in a durable store, so they survive a restart (ADR 0042): weft-jdbc's
         * {@code JdbcDeadLetterStore} (a table) or weft-redis' {@code RedisDeadLetterStore} (a stream).
         * The bus encodes each letter's event with its {@link #codec} (which this needs) and decodes
         * letters with its declared types when {@linkplain EventBus#deadLetters() listing} or
         * {@linkplain EventBus#replay replaying} them; the error is kept as text, and comes back as an
         * exception whose message is its first line. An event the codec cannot encode cannot be kept:
         * the bus logs its id, name and error instead. Use one store (table, key) per service.
         */
        public Builder deadLetters(EncodedDeadLetterStore store) {
            this.encodedDeadLetters = Objects.requireNonNull(store, "store");
            this.deadLetters = null;
            return this;
        }

        /** The codec for transports and {@link EventBus#consume}. */
        public Builder codec(EventCodec codec) {
            this.codec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        /** Where trace context comes from at emit; default: {@link EventBus#TRACE} of the current scope. */
        public Builder traceContext(Supplier<Map<String, String>> trace) {
            this.trace = Objects.requireNonNull(trace, "trace");
            return this;
        }

        /**
         * Watches the bus for metrics and traces: adds to each event's trace context and runs
         * around each try of a handler (see {@link EventObserver}; weft-micrometer has one).
         * One per bus; a second call replaces the first.
         */
        public Builder observer(EventObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            return this;
        }

        /** Sends every event to {@code transport} after its scope succeeded. Needs a {@link #codec}. */
        public Builder transport(Transport transport) {
            return transport(transport, "*");
        }

        /**
         * Sends events whose name matches {@code pattern} to {@code transport}. While the broker does
         * not confirm (a {@link dev.weft.events.transport.TransportException TransportException}: down, unreachable) the outbox retries with a
         * capped backoff for as long as it takes ({@code RetryPolicy.unlimited(100 ms, 5 s)}: 100 ms
         * doubling up to 5 s), and the bounded queue (E7) pushes back on emitters meanwhile; an
         * outage never makes a dead letter. Only an event the transport can never publish (it
         * refused it alone, say over its size limit, or the transport is closed) is dead-lettered, at
         * once; so is one still unpublished when the bus is {@linkplain EventBus#close closed}.
         */
        public Builder transport(Transport transport, String pattern) {
            return transport(transport, pattern, null);
        }

        /**
         * As {@link #transport(Transport, String)}, with the outbox's own retry policy: after
         * {@code retry.maxAttempts()} tries that the broker did not confirm, the events are
         * dead-lettered (the behaviour before issue 13; give {@code RetryPolicy.unlimited(100 ms, 5 s)} to keep retrying).
         */
        public Builder transport(Transport transport, String pattern, RetryPolicy retry) {
            transports.add(new TransportSpec(Objects.requireNonNull(transport, "transport"), Objects.requireNonNull(pattern, "pattern"), retry));
            return this;
        }

        /**
         * Makes the bus durable for every event: each is written to {@code outbox} inside the
         * database transaction of the unit of work that emits it, and published by the outbox's
         * relay after that transaction commits (ADR 0040). An emit outside such a unit of work is
         * refused ({@link EventRejectedException.Reason#NO_UNIT_OF_WORK}): the bus never falls back
         * to an in-memory path for these events. Local handlers still run after the unit of work
         * succeeded (E4). Needs a {@link #codec}.
         */
        public Builder outbox(Outbox outbox) {
            return outbox(outbox, "*");
        }

        /** As {@link #outbox(Outbox)}, for the events whose name matches {@code pattern} only ({@code *} matches any characters). */
        public Builder outbox(Outbox outbox, String pattern) {
            if (this.outbox != null) throw new IllegalStateException("the bus has an outbox already ('" + this.outbox.name() + "'): one outbox per bus");
            this.outbox = Objects.requireNonNull(outbox, "outbox");
            this.outboxPattern = Objects.requireNonNull(pattern, "pattern");
            return this;
        }

        /**
         * Deterministic mode, for tests (weft-test's {@code RecordingBus} turns it on): every
         * handler runs as {@link HandlerMode#SYNC}, events a scope held are dispatched on the
         * scope's own thread as it ends (so, unlike the default, the scope's caller waits for the
         * handlers), and a retry runs on the thread that advances the clock past its backoff
         * (with a {@link dev.weft.FakeClock}: inside {@code advance}). So after an emit, a scope,
         * or an {@code advance}, every handler that was due has run. Not for production.
         */
        public Builder synchronous() {
            this.synchronous = true;
            this.mode = HandlerMode.SYNC;
            return this;
        }

        /** @throws IllegalStateException if transports are configured without a codec */
        public EventBus build() {
            if (!transports.isEmpty() && codec == null) {
                throw new IllegalStateException("transports need a codec to put events on the wire: add .codec(new JacksonEventCodec()) from weft-events-jackson");
            }
            if (outbox != null && codec == null) {
                throw new IllegalStateException("an outbox needs a codec to store events as JSON: add .codec(new JacksonEventCodec()) from weft-events-jackson");
            }
            if (encodedDeadLetters != null && codec == null) {
                throw new IllegalStateException("dead-letter store " + encodedDeadLetters.name() + " keeps events as JSON: add .codec(new JacksonEventCodec()) from weft-events-jackson");
            }
            if (deadLetters == null && encodedDeadLetters == null) deadLetters = DeadLetterStore.inMemory();
            List<TransportSpec> resolved = new ArrayList<>();
            for (TransportSpec t : transports) resolved.add(new TransportSpec(t.transport, t.pattern, t.retry != null ? t.retry : RetryPolicy.unlimited(Duration.ofMillis(100), Duration.ofSeconds(5))));
            transports.clear();
            transports.addAll(resolved);
            return new EventBus(this);
        }
    }

}
