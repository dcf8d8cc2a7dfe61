package dev.weft.events.worker;

import dev.weft.sync.CapacityLimiter;
import dev.weft.Cancelled;
import dev.weft.DeadlineExceeded;
import dev.weft.ExceptionGroup;
import dev.weft.MoveOnResult;
import dev.weft.sync.OnceFlag;
import dev.weft.Scope;
import dev.weft.Weft;
import dev.weft.WeftClock;
import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.EncodedDeadLetter;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.EventCodec;
import dev.weft.events.transport.GroupLag;
import dev.weft.events.EventHandler;
import dev.weft.events.EventType;
import dev.weft.RetryPolicy;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Consumes events from a {@link Transport} and runs their handlers: each event in a Weft scope
 * of its own with a deadline, at most {@code concurrency} at a time, failed tries repeated with
 * backoff, and the delivery acknowledged only when every handler of the event succeeded. Runs in
 * the emitting process or in a process of its own.
 *
 * <pre>{@code
 * Worker worker = Worker.builder(transport, new JacksonEventCodec())
 *         .group("sightings").consumer("worker-" + ProcessHandle.current().pid())
 *         .on(SightingReported.class, s -> statistics.record(s))
 *         .concurrency(16).deadline(Duration.ofSeconds(30))
 *         .retry(RetryPolicy.exponential(3, Duration.ofMillis(200), Duration.ofSeconds(5)))
 *         .build();
 * Runtime.getRuntime().addShutdownHook(new Thread(() -> {
 *     try {
 *         worker.shutdown(Duration.ofSeconds(20));
 *     } catch (InterruptedException e) {
 *         Thread.currentThread().interrupt(); // the JVM is going down anyway
 *     }
 * }));
 * worker.run(); // returns after shutdown, or throws Cancelled if its scope is cancelled
 * }</pre>
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li>At least once: a delivery is acknowledged after its handlers succeeded, never before. A
 *   worker that dies (even {@code kill -9}) leaves its deliveries pending; they come back to it
 *   when it restarts, or to another worker once the transport's redelivery timeout passes.</li>
 *   <li>Each try runs in a scope with {@code deadline}; a handler still running then is cancelled
 *   (S3) and the try counts as failed. After {@code retry.maxAttempts()} failed tries the delivery
 *   is rejected with the last error: the transport delivers it again, and after its maximum
 *   deliveries moves it to its dead letters with that error; or, with a
 *   {@linkplain Builder#deadLetters dead-letter store}, it is parked there and acknowledged.</li>
 *   <li>An entry that cannot be decoded (not JSON, an event name no handler declares, a payload
 *   that does not fit or fails validation) goes to the dead letters at once with the reason
 *   (through {@link Delivery#deadLetter}: on a transport without its own way to do that, it is
 *   rejected, and dead-lettered after the maximum).</li>
 *   <li>A redelivered event that this worker handled recently (the last 10,000 ids) is
 *   acknowledged without running the handlers again.</li>
 *   <li>{@link #shutdown(Duration)}: stops taking new deliveries, lets the events in flight finish
 *   within the grace period, then cancels the rest; everything not acknowledged stays with the
 *   transport for redelivery. It returns within {@code grace} plus one receive (at most
 *   {@code pollWait}, or the transport's command timeout plus {@code pollWait} while Redis hangs).</li>
 *   <li>While the transport fails (Redis down or hanging), the worker keeps trying, waiting 50 ms,
 *   then twice as long each time up to {@code reconnectBackoff} (1 s), and counts
 *   {@code transportErrors}. Recovery bound: once Redis answers again, new events are handled
 *   within the transport's {@code reconnectBackoff} plus the worker's (2 s with the defaults),
 *   plus a connect and a round trip (docs/REDIS-OPERATIONS.md).</li>
 *   <li>{@link #run()} runs once. {@link #shutdown}, {@link #statistics()} are thread-safe.</li>
 * </ul>
 */
// Implementer's note. run() opens one scope; the receive loop forks one task per event after
// taking a token of a CapacityLimiter on behalf of the delivery (the task gives it back, hence
// the on-behalf-of calls). Handler failures never escape a task (they become a reject), so one
// bad event cannot cancel its siblings through S2; only Cancelled does, which is the point.
// Shutdown waits for in-flight work by taking every token of the limiter in a moveOnAfter(grace)
// scope: when it holds them all, nothing is in flight; if the grace period ends first, the
// worker's scope is cancelled and the handlers see Cancelled at their next cancellation point.
public final class Worker {
    private static final int REMEMBERED_IDS = 10_000;
    /** The worker's first wait after a failed receive; it doubles up to {@code reconnectBackoff}. */
    static final Duration FIRST_RECONNECT_WAIT = Duration.ofMillis(50);
    static final Duration DEFAULT_RECONNECT_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_RECONNECT_BACKOFF = Duration.ofMinutes(10);

    private final Transport transport;
    private final EventCodec codec;
    private final String group;
    private final String consumer;
    private final int concurrency;
    private final Duration deadline;
    private final RetryPolicy retry;
    private final Duration reconnectBackoff;
    private final int batchSize;
    private final Duration pollWait;
    private final WeftClock clock;
    private final System.Logger log;
    private final Map<String, Route<?>> routes;
    private final CapacityLimiter limiter;
    /** Where events go after the last failed try, or null: rejected to the transport's own dead letters. */
    private final EncodedDeadLetterStore deadLetters;
    /** Metrics and traces (weft-micrometer), or null. */
    private final WorkerObserver observer;

    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopping;
    private final OnceFlag stopRequested = new OnceFlag();
    private volatile Duration grace = Duration.ZERO;
    private volatile boolean drainedInTime = true;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder received = new LongAdder(), handled = new LongAdder(), retries = new LongAdder(), rejected = new LongAdder(),
            deadLettered = new LongAdder(), duplicates = new LongAdder(), leftForRedelivery = new LongAdder(), abandoned = new LongAdder(),
            transportErrors = new LongAdder();
    private final ReentrantLock seenLock = new ReentrantLock();
    private final Map<String, Boolean> seen = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_IDS;
        }
    };

    /** An event type's handlers, each taking the whole envelope (payload handlers are wrapped). */
    private record Route<T extends Record>(EventType<T> type, List<EventHandler<? super Envelope<T>>> handlers) {}

    private record Job(Delivery delivery, Envelope<?> event, Route<?> route) {}

    private Worker(Builder b) {
        this.transport = b.transport;
        this.codec = b.codec;
        this.group = b.group;
        this.consumer = b.consumer;
        this.concurrency = b.concurrency;
        this.deadline = b.deadline;
        this.retry = b.retry;
        this.reconnectBackoff = b.reconnectBackoff;
        this.batchSize = b.batchSize;
        this.pollWait = b.pollWait;
        this.clock = b.clock;
        this.log = b.logger;
        this.routes = Map.copyOf(b.routes);
        this.limiter = new CapacityLimiter(b.concurrency);
        this.deadLetters = b.deadLetters;
        this.observer = b.observer;
    }

    /**
     * A builder for a worker on {@code transport}, decoding with {@code codec} (for the JSON of
     * rule E8: {@code new JacksonEventCodec()} from weft-events-jackson).
     */
    public static Builder builder(Transport transport, EventCodec codec) {
        return new Builder(transport, codec);
    }

    /**
     * Runs the worker until {@link #shutdown} is called or the transport is closed; a cancellation
     * point (cancelling the scope it runs in abandons the events in flight, unacknowledged).
     *
     * @throws IllegalStateException if it was run before
     * @throws dev.weft.Cancelled    if the enclosing scope was cancelled
     */
    public void run() {
        if (!started.compareAndSet(false, true)) throw new IllegalStateException("worker " + consumer + " has run already: build a new one");
        try {
            Scope.builder().name("worker-" + consumer).clock(clock).run(scope -> {
                receiveLoop(scope);
                drain(scope);
                return null;
            });
        } catch (Cancelled c) {
            if (!stopping) throw c;
        } finally {
            finished.countDown();
        }
    }

    private void receiveLoop(Scope scope) {
        int failures = 0;
        while (!stopping) {
            List<Delivery> batch;
            try {
                // A transport may dead-letter some messages itself while receiving (malformed, too
                // big, past maxDeliveries): they count as this worker's dead letters.
                batch = transport.receive(group, consumer, batchSize, pollWait, deadLettered::increment);
                failures = 0;
            } catch (TransportClosedException closed) {
                return;
            } catch (TransportException down) {
                transportErrors.increment();
                failures++;
                Duration wait = reconnectWait(failures);
                log.log(Level.WARNING, "worker {0}: cannot receive from {1}: {2}; trying again in {3} ms",
                        consumer, transport.name(), down.getMessage(), wait.toMillis());
                stopRequested.await(wait); // a shutdown ends the wait at once
                continue;
            }
            received.add(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                if (stopping) {
                    // Taken but not started: left pending, so the transport hands them out again.
                    leftForRedelivery.add(batch.size() - i);
                    break;
                }
                Job job = prepare(batch.get(i));
                if (job == null) continue;
                Delivery d = job.delivery;
                limiter.acquireOnBehalfOf(d);
                inFlight.incrementAndGet();
                scope.fork("event-" + job.event.id(), () -> {
                    try {
                        if (observer == null) handle(job);
                        else observed(job);
                    } finally {
                        inFlight.decrementAndGet();
                        limiter.releaseOnBehalfOf(d);
                    }
                    return null;
                });
            }
        }
    }

    /**
     * The wait after {@code failures} failed receives in a row: {@link #FIRST_RECONNECT_WAIT},
     * doubling, never more than {@code reconnectBackoff}. Not the handlers' {@link RetryPolicy}:
     * a policy that suits a flaky handler (seconds, doubling to 30 s) would keep the worker idle
     * long after Redis is back (issue 10).
     */
    Duration reconnectWait(int failures) {
        Duration first = FIRST_RECONNECT_WAIT.compareTo(reconnectBackoff) < 0 ? FIRST_RECONNECT_WAIT : reconnectBackoff;
        int doublings = Math.min(failures - 1, 30);
        Duration wait = first.multipliedBy(1L << doublings);
        return wait.compareTo(reconnectBackoff) < 0 ? wait : reconnectBackoff;
    }

    /** Decodes and validates; a duplicate is acknowledged, what cannot be handled is dead-lettered. Null: nothing to run. */
    private Job prepare(Delivery d) {
        Envelope<?> e;
        Route<?> route;
        try {
            e = codec.decode(d.message().body(), name -> {
                Route<?> r = routes.get(name);
                return r == null ? null : r.type.type();
            });
            route = routes.get(e.name());
            String problem = route.type.problem(e.payload());
            if (problem != null) throw new IllegalArgumentException("invalid event '" + e.name() + "': " + problem);
        } catch (RuntimeException bad) {
            deadLettered.increment();
            String reason = "cannot handle " + d.message() + ": " + bad.getMessage();
            settle(() -> d.deadLetter(reason));
            return null;
        }
        if (!claim(e.id().toString())) {
            // Handled already, or being handled now (the same event twice in one batch).
            duplicates.increment();
            settle(d::ack);
            return null;
        }
        return new Job(d, e, route);
    }

    /** Handles {@code job} under the observer, which cannot change the outcome (see {@link WorkerObserver}). */
    private void observed(Job job) {
        var run = new WorkerObserver.DeliveryRun() {
            boolean proceeded;
            RuntimeException thrown;

            @Override
            public String group() {
                return group;
            }

            @Override
            public String consumer() {
                return consumer;
            }

            @Override
            public Delivery delivery() {
                return job.delivery;
            }

            @Override
            public Envelope<?> event() {
                return job.event;
            }

            @Override
            public WorkerObserver.Outcome proceed() {
                if (proceeded) throw new IllegalStateException("proceed() was called twice for delivery " + job.delivery.message());
                proceeded = true;
                try {
                    return handle(job);
                } catch (RuntimeException e) {
                    thrown = e;
                    throw e;
                }
            }
        };
        try {
            observer.deliver(run);
        } catch (RuntimeException | Error bug) {
            if (!run.proceeded || bug != run.thrown) report(bug);
        }
        if (!run.proceeded) {
            report(new IllegalStateException("the WorkerObserver " + observer.getClass().getName() + " did not call proceed() for delivery "
                    + job.delivery.message() + "; it was handled without it"));
            run.proceed();
        }
        if (run.thrown != null) throw run.thrown;
    }

    private static void report(Throwable bug) {
        Thread t = Thread.currentThread();
        t.getUncaughtExceptionHandler().uncaughtException(t, bug);
    }

    private WorkerObserver.Outcome handle(Job job) {
        for (int attempt = 1; ; attempt++) {
            try {
                runHandlers(job);
                handled.increment();
                settle(job.delivery::ack);
                return WorkerObserver.Outcome.HANDLED;
            } catch (DeadlineExceeded | ExceptionGroup failed) {
                if (attempt >= retry.maxAttempts()) {
                    rejected.increment();
                    forget(job.event.id().toString());
                    String why = "failed " + attempt + (attempt == 1 ? " try" : " tries") + " in worker " + consumer + ": " + describe(failed);
                    log.log(Level.WARNING, "worker {0}: {1} {2}", consumer, job.delivery.message(), why);
                    giveUp(job, failed, attempt, why);
                    return WorkerObserver.Outcome.REJECTED;
                }
                retries.increment();
                Weft.sleep(retry.backoffAfter(attempt));
            } catch (Cancelled c) {
                // Shutdown past its grace period, or the worker's scope cancelled: not acknowledged,
                // so the transport delivers it again.
                abandoned.increment();
                forget(job.event.id().toString());
                throw c;
            }
        }
    }

    /**
     * After the last try: parks the event in the worker's dead-letter store and acknowledges it, or,
     * without a store (or when the store fails), rejects it so the transport redelivers it and
     * dead-letters it after its maximum deliveries (ADR 0042).
     */
    private void giveUp(Job job, Throwable failed, int attempts, String why) {
        if (deadLetters != null) {
            try {
                deadLetters.add(new EncodedDeadLetter(UUID.randomUUID(), "worker:" + group, job.delivery.message(),
                        why + "\n" + EncodedDeadLetter.errorText(failed), attempts, clock.instant()));
                settle(job.delivery::ack);
                return;
            } catch (RuntimeException storeFailed) {
                log.log(Level.WARNING, "worker {0}: dead-letter store {1} cannot keep {2} ({3}); rejecting it, so the transport keeps it",
                        consumer, deadLetters.name(), job.delivery.message(), storeFailed.getMessage());
            }
        }
        settle(() -> job.delivery.reject(why));
    }

    @SuppressWarnings("unchecked")
    private <T extends Record> void runHandlers(Job job) {
        Route<T> route = (Route<T>) job.route;
        route.type.type().cast(job.event.payload()); // decoded for this route's type; checked once more
        Envelope<T> envelope = (Envelope<T>) job.event;
        Scope.builder().name("handle-" + job.event.name()).timeout(deadline).run(s -> {
            for (EventHandler<? super Envelope<T>> h : route.handlers) h.handle(envelope);
            return null;
        });
    }

    private static String describe(Throwable t) {
        if (t instanceof ExceptionGroup g && g.getCause() == null && !g.failures().isEmpty()) {
            Throwable first = g.failures().get(0).error();
            return first.getClass().getSimpleName() + ": " + first.getMessage();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** Acknowledges or rejects; if the transport fails now, the delivery simply comes back later (at least once). */
    private void settle(Runnable settlement) {
        try {
            settlement.run();
        } catch (TransportClosedException closed) {
            transportErrors.increment();
        } catch (TransportException down) {
            transportErrors.increment();
            log.log(Level.WARNING, "worker {0}: cannot settle a delivery ({1}); it will be delivered again", consumer, down.getMessage());
        }
    }

    /** Marks the id as handled (or being handled) by this worker; false if it was already. */
    private boolean claim(String id) {
        seenLock.lock();
        try {
            return seen.putIfAbsent(id, Boolean.TRUE) == null;
        } finally {
            seenLock.unlock();
        }
    }

    /** The event was not handled after all: a redelivery must run it. */
    private void forget(String id) {
        seenLock.lock();
        try {
            seen.remove(id);
        } finally {
            seenLock.unlock();
        }
    }

    /** After the loop: wait for the events in flight up to the grace period, then cancel them. */
    private void drain(Scope scope) {
        Object[] tokens = new Object[concurrency];
        AtomicInteger held = new AtomicInteger();
        MoveOnResult<Object> r = Scope.moveOnAfter(grace, s -> {
            for (int i = 0; i < concurrency; i++) {
                tokens[i] = new Object();
                limiter.acquireOnBehalfOf(tokens[i]);
                held.incrementAndGet();
            }
            return null;
        });
        for (int i = 0; i < held.get(); i++) limiter.releaseOnBehalfOf(tokens[i]);
        if (r.timedOut() && inFlight.get() > 0) {
            drainedInTime = false;
            scope.cancel("worker " + consumer + " shut down: " + inFlight.get() + " event(s) not done within the grace period of "
                    + grace.toMillis() + " ms; they stay unacknowledged for redelivery");
        }
    }

    /**
     * Stops the worker: no new deliveries are taken (those already taken and not started stay
     * with the transport), the events in flight get {@code grace} to finish, then are cancelled
     * and stay unacknowledged for redelivery. Waits until {@link #run()} has returned (at most the
     * transport's receive wait plus {@code grace}, and a little more for the cancelled handlers to stop).
     *
     * @return whether every event in flight finished within the grace period
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) throw new IllegalArgumentException("grace is negative");
        this.grace = grace;
        stopping = true;
        stopRequested.set();
        if (started.get()) finished.await();
        return drainedInTime;
    }

    /** Waits up to {@code timeout} for {@link #run()} to return. @return whether it did */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The consumer group it consumes as ({@link Builder#group}). */
    public String group() {
        return group;
    }

    /** Its consumer name in the group ({@link Builder#consumer}). */
    public String consumer() {
        return consumer;
    }

    /** An immutable snapshot of the counters. */
    public WorkerStatistics statistics() {
        return new WorkerStatistics(received.sum(), handled.sum(), retries.sum(), rejected.sum(), deadLettered.sum(), duplicates.sum(),
                leftForRedelivery.sum(), abandoned.sum(), transportErrors.sum(), inFlight.get());
    }

    /**
     * How far this worker's group is behind, as its transport reads it ({@link Transport#lag}):
     * asks the broker, so call it every few seconds, not per event.
     *
     * @return the lag, or empty if the transport cannot tell ({@link #reportsLag()}) or cannot now
     * @throws dev.weft.events.transport.TransportException if the transport is closed or the broker fails
     */
    public Optional<GroupLag> lag() {
        return transport.lag(group);
    }

    /** The name of the transport this worker reads ({@link Transport#name()}), e.g. {@code redis-streams:weft:events}. */
    public String transportName() {
        return transport.name();
    }

    /** Whether this worker's transport can tell its group's {@link #lag()} ({@link Transport#reportsLag}). */
    public boolean reportsLag() {
        return transport.reportsLag();
    }

    @Override
    public String toString() {
        return "Worker[" + consumer + " of " + group + " on " + transport.name() + ", " + inFlight.get() + " in flight]";
    }

    /** Configures a {@link Worker}. Not thread-safe. */
    public static final class Builder {
        private final Transport transport;
        private final EventCodec codec;
        private String group = "weft-workers";
        private String consumer = "worker-" + ProcessHandle.current().pid();
        private int concurrency = 16;
        private Duration deadline = Duration.ofSeconds(30);
        private RetryPolicy retry = RetryPolicy.defaults();
        private Duration reconnectBackoff = DEFAULT_RECONNECT_BACKOFF;
        private int batchSize = 32;
        private Duration pollWait = Duration.ofMillis(500);
        private WeftClock clock = WeftClock.system();
        private System.Logger logger = System.getLogger(Worker.class.getName());
        private final Map<String, Route<?>> routes = new LinkedHashMap<>();
        private EncodedDeadLetterStore deadLetters;
        private WorkerObserver observer;

        private Builder(Transport transport, EventCodec codec) {
            this.transport = Objects.requireNonNull(transport, "transport");
            this.codec = Objects.requireNonNull(codec, "codec: the worker decodes JSON events, e.g. new JacksonEventCodec() from weft-events-jackson");
        }

        /** The consumer group; workers of one group share the events. Default {@code weft-workers}. */
        public Builder group(String group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /** This worker's consumer name, unique in the group and stable across restarts; default {@code worker-<pid>}. */
        public Builder consumer(String consumer) {
            this.consumer = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        /** Handles events of the record type {@code type} (declared as by {@link EventType#of}). */
        public <T extends Record> Builder on(Class<T> type, EventHandler<? super T> handler) {
            return on(EventType.of(type), handler);
        }

        /** Handles events of {@code type}; several handlers of one type run in order, all must succeed. */
        public <T extends Record> Builder on(EventType<T> type, EventHandler<? super T> handler) {
            Objects.requireNonNull(handler, "handler");
            return onEnvelope(type, e -> handler.handle(e.payload()));
        }

        /**
         * Handles events of the record type {@code type} with their {@link Envelope}: the payload
         * with the event's id (to de-duplicate further, or to log), the time it was emitted and
         * the trace context it carries.
         *
         * <pre>{@code
         * .onEnvelope(SightingReported.class, e -> notify(e.payload(), e.id(), e.trace().get("traceparent")))
         * }</pre>
         */
        public <T extends Record> Builder onEnvelope(Class<T> type, EventHandler<? super Envelope<T>> handler) {
            return onEnvelope(EventType.of(type), handler);
        }

        /** As {@link #onEnvelope(Class, EventHandler)}, for a declared {@code type}. */
        @SuppressWarnings("unchecked")
        public <T extends Record> Builder onEnvelope(EventType<T> type, EventHandler<? super Envelope<T>> handler) {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(handler, "handler");
            Route<T> r = (Route<T>) routes.computeIfAbsent(type.name(), n -> new Route<>(type, new ArrayList<>()));
            if (r.type.type() != type.type()) {
                throw new IllegalArgumentException("event name '" + type.name() + "' is declared for " + r.type.type().getName() + " and " + type.type().getName());
            }
            r.handlers.add(handler);
            return this;
        }

        /** Events handled at once, at most; default 16. */
        public Builder concurrency(int n) {
            if (n < 1) throw new IllegalArgumentException("concurrency is " + n + ": at least 1");
            this.concurrency = n;
            return this;
        }

        /** How long one try of an event's handlers may take; default 30 s. */
        public Builder deadline(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("deadline must be positive, is " + d);
            this.deadline = d;
            return this;
        }

        /**
         * Tries of an event's handlers per delivery and the backoff between them; default
         * {@link RetryPolicy#defaults()}. For handlers only: waits while the transport is
         * unreachable are {@link #reconnectBackoff}'s.
         */
        public Builder retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /**
         * The longest wait between two receives while the transport fails (Redis unreachable,
         * hanging, or refusing): the first wait is 50 ms, then each doubles up to this; default 1 s.
         * After Redis answers again the worker receives within this, plus what the transport needs
         * to reconnect (for Redis Streams its {@code reconnectBackoff}, also 1 s by default):
         * with the defaults, new events are handled about 2 s after Redis is back at the latest
         * (docs/REDIS-OPERATIONS.md). A shutdown ends the wait at once.
         *
         * @throws IllegalArgumentException if not positive, or over 10 minutes
         */
        public Builder reconnectBackoff(Duration max) {
            Objects.requireNonNull(max, "max");
            if (max.isNegative() || max.isZero()) throw new IllegalArgumentException("reconnectBackoff must be positive, is " + max);
            if (max.compareTo(MAX_RECONNECT_BACKOFF) > 0) {
                throw new IllegalArgumentException("reconnectBackoff is " + max + ": at most 10 minutes (it is how long a worker may stay idle after Redis is back)");
            }
            this.reconnectBackoff = max;
            return this;
        }

        /** Deliveries taken per receive; default 32. */
        public Builder batchSize(int n) {
            if (n < 1) throw new IllegalArgumentException("batchSize is " + n + ": at least 1");
            this.batchSize = n;
            return this;
        }

        /** How long one receive waits for new deliveries (also how soon a shutdown is noticed); default 500 ms. */
        public Builder pollWait(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative()) throw new IllegalArgumentException("pollWait is negative");
            this.pollWait = d;
            return this;
        }

        /** The clock for deadlines, backoff and the grace period (a {@link dev.weft.FakeClock} in tests). */
        public Builder clock(WeftClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Where it reports failures it handles by itself; default the System.Logger named after this class. */
        public Builder logger(System.Logger logger) {
            this.logger = Objects.requireNonNull(logger, "logger");
            return this;
        }

        /**
         * Parks an event in {@code store} when its handlers failed every try of a delivery, and
         * acknowledges the delivery, instead of rejecting it back to the transport (ADR 0042). The
         * letter's handler is {@code worker:<group>}, its error the last try's; list, replay (to a
         * stream) and purge it with {@code weft dead}, beside the bus's letters. Then the transport
         * does not redeliver a failed event: this worker's {@link #retry} tries are all it gets. If
         * the store cannot keep the letter, the delivery is rejected as without a store (nothing is
         * lost). Entries that cannot be decoded still go to the transport's dead letters. Default:
         * none, the transport's dead letters ({@code <stream>:dead} on Redis) keep what fails.
         */
        public Builder deadLetters(EncodedDeadLetterStore store) {
            this.deadLetters = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * Watches the worker for metrics and traces: runs around the handling of each delivery
         * (see {@link WorkerObserver}; weft-micrometer has one). One per worker; a second call
         * replaces the first.
         */
        public Builder observer(WorkerObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            return this;
        }

        /** @throws IllegalStateException if no handler was added */
        public Worker build() {
            if (routes.isEmpty()) throw new IllegalStateException("a worker needs at least one handler: add .on(EventType.class, handler)");
            return new Worker(this);
        }
    }
}
