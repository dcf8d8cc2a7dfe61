package dev.weft.micrometer;

import dev.weft.Scope;
import dev.weft.ScopeObserver;
import dev.weft.batch.BatchListener;
import dev.weft.batch.Loader;
import dev.weft.batch.LoaderStatistics;
import dev.weft.channels.Channel;
import dev.weft.channels.ChannelStatistics;
import dev.weft.events.BusStatistics;
import dev.weft.events.EventBus;
import dev.weft.events.EventObserver;
import dev.weft.events.transport.GroupLag;
import dev.weft.events.worker.Worker;
import dev.weft.events.worker.WorkerObserver;
import dev.weft.events.worker.WorkerStatistics;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.observation.ObservationRegistry;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Weft's metrics and traces through Micrometer: build one from a {@link MeterRegistry} (meters), an
 * {@link ObservationRegistry} (Observations, which Micrometer Tracing turns into spans), or both,
 * then hand its pieces to what you want watched. Every meter and observation is listed in
 * {@code docs/METRICS.md}.
 *
 * <pre>{@code
 * WeftMicrometer weft = WeftMicrometer.builder().meterRegistry(meters).observationRegistry(observations).build();
 * ScopeObserver.register(weft.scopeObserver());               // every scope tree: weft.scope.*, span weft.scope
 * Loader<Long, User> users = Loader.builder(repo::findAllById).name("users")
 *         .listener(weft.batchListener()).build();            // weft.loader.*, span weft.loader.batch
 * weft.bindLoader(users);
 * EventBus bus = EventBus.builder().declare(SightingReported.class)
 *         .observer(weft.eventObserver("sightings")).build(); // traceparent in each envelope, span weft.event.handle
 * weft.bindBus(bus, "sightings");                             // weft.bus.*
 * Worker worker = Worker.builder(transport, codec).on(SightingReported.class, this::record)
 *         .observer(weft.workerObserver()).build();           // span weft.worker.delivery continues the emitter's trace
 * weft.bindWorker(worker);                                    // weft.worker.*
 * }</pre>
 *
 * <h2>Traces</h2>
 * The observations carry the trace: a scope's observation is current in its body, and a task
 * forked into it runs with the observation that was current where it was forked (so a span started
 * in a task is a child of the scope's). An event's envelope gets, when it is emitted, the
 * propagation fields of a {@code weft.event.emit} observation (a W3C {@code traceparent} with
 * Micrometer Tracing's default propagation, {@code docs/WIRE.md}); a bus handler's
 * {@code weft.event.handle} and a worker's {@code weft.worker.delivery} continue that trace, in this
 * process or after any transport. For spans, the observation registry needs Micrometer Tracing's
 * handlers, propagating ones included ({@code PropagatingSenderTracingObservationHandler} and
 * {@code PropagatingReceiverTracingObservationHandler}; Spring Boot registers them).
 *
 * <h2>Cost</h2>
 * Without a registry for either, the pieces do nothing. Meters are resolved once per scope tag,
 * handler and event type, and event type and group, and cached: per scope, fork, handler try and
 * delivery they cost a counter increment or a timer record (a timer: two clock reads around the
 * work), with no lookup by tags and no allocation. A bus handler's timer can be switched off
 * ({@link Builder#busHandlerTimer}) where handlers cost nanoseconds. The
 * {@code bind*} meters read the object's {@code statistics()} when the registry is scraped, not
 * on the hot path. {@code docs/BENCHMARKS.md} has the measured overhead.
 *
 * <p>Thread-safe; build one per registry pair and share it.
 */
public final class WeftMicrometer {
    private final MeterRegistry meters;
    private final ObservationRegistry observations;
    private final Function<Scope, String> scopeTag;
    private final Duration statisticsReuse;
    private final boolean busHandlerTimer;
    private final Duration lagInterval;
    private final ScopeInstrumentation scopes;
    private final LoaderInstrumentation loaders;
    private final WorkerInstrumentation workers;

    private WeftMicrometer(Builder b) {
        this.meters = b.meters;
        this.observations = b.observations;
        this.scopeTag = b.scopeTag;
        this.statisticsReuse = b.statisticsReuse;
        this.busHandlerTimer = b.busHandlerTimer;
        this.lagInterval = b.lagInterval;
        this.scopes = new ScopeInstrumentation(meters, observations, scopeTag);
        this.loaders = new LoaderInstrumentation(meters, observations);
        this.workers = new WorkerInstrumentation(meters, observations);
    }

    /** A builder: give it a meter registry, an observation registry, or both. */
    public static Builder builder() {
        return new Builder();
    }

    /** The meter registry, if one was given. */
    public Optional<MeterRegistry> meterRegistry() {
        return Optional.ofNullable(meters);
    }

    /** The observation registry, if one was given. */
    public Optional<ObservationRegistry> observationRegistry() {
        return Optional.ofNullable(observations);
    }

    /**
     * The scope observer: {@code weft.scope.*} meters and the {@code weft.scope} observation, and
     * the current observation carried into forked tasks. Register it for the process
     * ({@link ScopeObserver#register}, or {@link #registerScopes()}) or give it to one tree
     * ({@link Scope.Builder#observer}). The same instance every call.
     */
    public ScopeObserver scopeObserver() {
        return scopes;
    }

    /** Registers {@link #scopeObserver()} for every scope tree opened from now on; close the registration to stop. */
    public ScopeObserver.Registration registerScopes() {
        return ScopeObserver.register(scopes);
    }

    /**
     * The loader listener, for {@link Loader.Builder#listener}: {@code weft.loader.batch.*} meters
     * and the {@code weft.loader.batch} observation. A batch serves callers that may belong to
     * different traces, so its span starts a trace of its own. The same instance every call.
     */
    public BatchListener batchListener() {
        return loaders;
    }

    /**
     * An observer for one bus ({@link EventBus.Builder#observer}): puts the trace context into each
     * event's envelope (observation {@code weft.event.emit}), times each handler try
     * ({@code weft.bus.handler.duration}) and observes it ({@code weft.event.handle}, continuing the
     * envelope's trace).
     *
     * @param busName the value of the {@code bus} tag (and {@code weft.bus} key); a few fixed names, not one per request
     */
    public EventObserver eventObserver(String busName) {
        return new BusInstrumentation(requireName(busName, "busName"), meters, observations, busHandlerTimer);
    }

    /**
     * The worker observer ({@link Worker.Builder#observer}): {@code weft.worker.handling.duration},
     * {@code weft.worker.redelivered} and the {@code weft.worker.delivery} observation, which
     * continues the trace the event's envelope carries. The same instance every call.
     */
    public WorkerObserver workerObserver() {
        return workers;
    }

    /** Registered meters, removed from the registry by {@link #close()}. */
    public interface Binding extends AutoCloseable {
        /** Removes the meters from the registry. Idempotent. */
        @Override
        void close();
    }

    /**
     * Registers the {@code weft.bus.*} meters that read {@code bus.statistics()} when scraped
     * (each scrape reads it once): events emitted, rejected, held, discarded, dispatched, the
     * queue's use and capacity, deliveries, retries and dead letters. Nothing is registered
     * without a meter registry.
     *
     * @param busName the {@code bus} tag, as given to {@link #eventObserver}
     * @return the binding; closing it removes the meters
     */
    public Binding bindBus(EventBus bus, String busName) {
        Objects.requireNonNull(bus, "bus");
        Tags tags = Tags.of("bus", requireName(busName, "busName"));
        Meters m = new Meters();
        if (meters == null) return m;
        Snapshot<?, BusStatistics> s = new Snapshot<>(bus, EventBus::statistics, statisticsReuse, meters.config().clock());
        m.counter("weft.bus.events.emitted", "Events accepted by emit", tags, s, BusStatistics::emitted);
        m.counter("weft.bus.events.rejected", "Emits refused: undeclared, invalid, queue full, bus closed", tags, s, BusStatistics::rejected);
        m.counter("weft.bus.events.discarded", "Events dropped because their scope failed", tags, s, BusStatistics::discardedByFailedScopes);
        m.counter("weft.bus.events.dispatched", "Events routed to handlers", tags, s, BusStatistics::dispatched);
        m.gauge("weft.bus.events.held", "Events held by scopes still open", tags, s, BusStatistics::heldInScopes);
        m.gauge("weft.bus.queue.used", "Events in flight, counted against the capacity", tags, s, BusStatistics::queued);
        m.gauge("weft.bus.queue.capacity", "The bound on events in flight", tags, s, BusStatistics::capacity);
        m.gauge("weft.bus.dead.letters.stored", "Letters in the dead-letter store now", tags, s, BusStatistics::deadLetters);
        m.counter("weft.bus.deliveries", "Events handlers and outboxes started on", tags, s, st -> sum(st, BusStatistics.Handler::delivered));
        m.counter("weft.bus.retries", "Tries repeated after a failure", tags, s, st -> sum(st, BusStatistics.Handler::retries));
        m.counter("weft.bus.dead.letters", "Events handlers and outboxes gave up on", tags, s, st -> sum(st, BusStatistics.Handler::deadLettered));
        return m;
    }

    /**
     * Registers the {@code weft.worker.*} meters that read {@code worker.statistics()} when
     * scraped, tagged with its {@code group}: received, handled, retries, rejected (failed),
     * dead letters, duplicates (de-duplicated), left for redelivery, abandoned, transport errors,
     * and the events in flight. If the worker's transport can tell its group's lag
     * ({@link Worker#reportsLag()}: the in-memory and Redis Streams transports), also
     * {@code weft.worker.lag} and {@code weft.worker.pending}, tagged with {@code group} and
     * {@code transport}: they ask the transport at most once per {@link Builder#lagInterval}
     * (default 10 s), however often the registry is scraped, and read NaN when it cannot tell.
     *
     * @return the binding; closing it removes the meters
     */
    public Binding bindWorker(Worker worker) {
        Objects.requireNonNull(worker, "worker");
        Tags tags = Tags.of("group", worker.group());
        Meters m = new Meters();
        if (meters == null) return m;
        Snapshot<?, WorkerStatistics> s = new Snapshot<>(worker, Worker::statistics, Duration.ZERO, meters.config().clock());
        m.counter("weft.worker.received", "Deliveries taken from the transport", tags, s, WorkerStatistics::received);
        m.counter("weft.worker.handled", "Events whose handlers all succeeded", tags, s, WorkerStatistics::handled);
        m.counter("weft.worker.retries", "Tries repeated after a handler failed", tags, s, WorkerStatistics::retries);
        m.counter("weft.worker.rejected", "Events given back after their last try", tags, s, WorkerStatistics::rejected);
        m.counter("weft.worker.dead.letters", "Entries dead-lettered without running a handler", tags, s, WorkerStatistics::deadLettered);
        m.counter("weft.worker.duplicates", "Deliveries of events handled already (acknowledged, not run again)", tags, s, WorkerStatistics::duplicates);
        m.counter("weft.worker.left.for.redelivery", "Deliveries taken but not started at shutdown", tags, s, WorkerStatistics::leftForRedelivery);
        m.counter("weft.worker.abandoned", "Events whose handlers were cancelled at shutdown", tags, s, WorkerStatistics::abandoned);
        m.counter("weft.worker.transport.errors", "Failed receives, acknowledgements or rejects", tags, s, WorkerStatistics::transportErrors);
        m.gauge("weft.worker.in.flight", "Events being handled now", tags, s, WorkerStatistics::inFlight);
        if (worker.reportsLag()) {
            Snapshot<?, GroupLag> lag = new Snapshot<>(worker, WeftMicrometer::lagOrNull, lagInterval, meters.config().clock());
            Tags lagTags = tags.and("transport", worker.transportName());
            m.gauge("weft.worker.lag", "Events of the group's stream not yet delivered to it, plus those delivered and not acknowledged",
                    lagTags, lag, GroupLag::total);
            m.gauge("weft.worker.pending", "Events delivered to the group and not acknowledged", lagTags, lag, GroupLag::pending);
        }
        return m;
    }

    /**
     * Registers {@code weft.loader.loads} and {@code weft.loader.cache.hits}, read from
     * {@code loader.statistics()} when scraped and tagged with its name (batches are the
     * {@link #batchListener()}'s).
     *
     * @return the binding; closing it removes the meters
     */
    public Binding bindLoader(Loader<?, ?> loader) {
        Objects.requireNonNull(loader, "loader");
        Meters m = new Meters();
        if (meters == null) return m;
        Snapshot<?, LoaderStatistics> s = new Snapshot<>(loader, Loader::statistics, Duration.ZERO, meters.config().clock());
        Tags tags = Tags.of("loader", loader.statistics().loader());
        m.counter("weft.loader.loads", "Keys asked for", tags, s, LoaderStatistics::loads);
        m.counter("weft.loader.cache.hits", "Keys answered from a cache or joined to one already asked for", tags, s, LoaderStatistics::cacheHits);
        return m;
    }

    /**
     * Registers the {@code weft.channel.*} meters, read from {@code channel.statistics()} when
     * scraped and tagged with its name: buffer use and capacity, waiting senders and receivers,
     * elements discarded.
     *
     * @return the binding; closing it removes the meters
     */
    public Binding bindChannel(Channel<?> channel) {
        Objects.requireNonNull(channel, "channel");
        Meters m = new Meters();
        if (meters == null) return m;
        Snapshot<?, ChannelStatistics> s = new Snapshot<>(channel, Channel::statistics, Duration.ZERO, meters.config().clock());
        Tags tags = Tags.of("channel", channel.statistics().name());
        m.gauge("weft.channel.buffer.used", "Elements buffered now", tags, s, ChannelStatistics::bufferUsed);
        m.gauge("weft.channel.buffer.capacity", "Buffer size (Integer.MAX_VALUE: unbounded)", tags, s, ChannelStatistics::capacity);
        m.gauge("weft.channel.senders.waiting", "Threads blocked sending", tags, s, ChannelStatistics::waitingSenders);
        m.gauge("weft.channel.receivers.waiting", "Threads blocked receiving", tags, s, ChannelStatistics::waitingReceivers);
        m.counter("weft.channel.discarded", "Elements dropped because every receiver was closed", tags, s, ChannelStatistics::discarded);
        return m;
    }

    /** The worker's lag, or null (the gauges read NaN) if the transport cannot tell now or failed to answer. */
    private static GroupLag lagOrNull(Worker worker) {
        try {
            return worker.lag().orElse(null);
        } catch (RuntimeException unreachable) {
            return null;
        }
    }

    private static long sum(BusStatistics s, java.util.function.ToLongFunction<BusStatistics.Handler> f) {
        long n = 0;
        for (BusStatistics.Handler h : s.handlers()) n += f.applyAsLong(h);
        return n;
    }

    private static String requireName(String name, String what) {
        Objects.requireNonNull(name, what);
        if (name.isBlank()) throw new IllegalArgumentException(what + " is blank: give a short fixed name, e.g. \"orders\"");
        return name;
    }

    /**
     * A statistics snapshot of {@code target}, reused for {@code reuse} (on the registry's clock)
     * so that one scrape reads it once, or a worker's lag asks the broker once per interval. It holds the target weakly, as Micrometer holds a gauge's object: the meters do
     * not keep a bus or a worker alive, and read NaN once it is gone.
     */
    private static final class Snapshot<T, S> {
        private final WeakReference<T> target;
        private final Function<T, S> read;
        private final long reuseNanos;
        private S last;
        private long readAt;
        private boolean taken;
        private final Clock clock;

        Snapshot(T target, Function<T, S> read, Duration reuse, Clock clock) {
            this.clock = clock;
            this.target = new WeakReference<>(target);
            this.read = read;
            this.reuseNanos = reuse.toNanos();
        }

        /** The target, or null if it is gone. */
        Object target() {
            return target.get();
        }

        /** The statistics, or null if the target is gone. */
        synchronized S get() {
            T t = target.get();
            if (t == null) return null;
            long now = clock.monotonicTime();
            if (!taken || reuseNanos == 0 || now - readAt >= reuseNanos) {
                last = read.apply(t);
                readAt = now;
                taken = true;
            }
            return last;
        }

        double read(ToDoubleFunction<S> f) {
            S snap = get();
            return snap == null ? Double.NaN : f.applyAsDouble(snap);
        }
    }

    /** The meters of one binding. */
    private final class Meters implements Binding {
        private final List<Meter> registered = new ArrayList<>();

        // Micrometer holds the target weakly; the function, which the meter holds, holds the
        // snapshot, and the snapshot holds the target weakly too: the meters live until removed,
        // and read NaN once the target is gone.
        <S> void counter(String name, String description, Tags tags, Snapshot<?, S> s, ToDoubleFunction<S> f) {
            registered.add(FunctionCounter.builder(name, s.target(), target -> s.read(f)).description(description)
                    .tags(tags).register(meters));
        }

        <S> void gauge(String name, String description, Tags tags, Snapshot<?, S> s, ToDoubleFunction<S> f) {
            registered.add(Gauge.builder(name, s.target(), target -> s.read(f)).description(description)
                    .tags(tags).register(meters));
        }

        @Override
        public synchronized void close() {
            for (Meter meter : registered) meters.remove(meter);
            registered.clear();
        }
    }

    /** Configures a {@link WeftMicrometer}. Not thread-safe. */
    public static final class Builder {
        private MeterRegistry meters;
        private ObservationRegistry observations;
        private Function<Scope, String> scopeTag;
        private Duration statisticsReuse = Duration.ofMillis(100);
        private boolean busHandlerTimer = true;
        private Duration lagInterval = Duration.ofSeconds(10);

        private Builder() {}

        /** Where meters go; without one, no meter is recorded. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meters = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** Where observations go (spans, with Micrometer Tracing); without one, nothing is observed and no trace context is carried. */
        public Builder observationRegistry(ObservationRegistry registry) {
            this.observations = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Tags the {@code weft.scope.*} meters with {@code scope}, the value {@code tag} gives for
         * each scope (null: no tag for that scope). Off by default: scope names are often unique
         * ({@code scope-17}, {@code http GET /users/42}) and one series per name would overwhelm
         * the registry. Give a function with few values, e.g.
         * {@code s -> s.name().startsWith("import-") ? "import" : null}.
         */
        public Builder scopeTag(Function<Scope, String> tag) {
            this.scopeTag = Objects.requireNonNull(tag, "tag");
            return this;
        }

        /**
         * Whether {@link #eventObserver}s time each try of each bus handler
         * ({@code weft.bus.handler.duration}; on by default). A timed try costs two clock reads
         * and a {@code Timer.record} (tens of nanoseconds, more on a virtual machine's clock):
         * nothing beside a handler that writes to a database, but several times the cost of a
         * {@code SYNC} handler that only adds a number ({@code docs/BENCHMARKS.md},
         * ADR 0073). Off, the bus's tries, retries and dead letters are still counted by
         * {@link #bindBus} at no cost per event, and the {@code weft.event.handle} observation is
         * unchanged.
         */
        public Builder busHandlerTimer(boolean on) {
            this.busHandlerTimer = on;
            return this;
        }

        /**
         * How often the {@code weft.worker.lag} and {@code weft.worker.pending} gauges of
         * {@link #bindWorker} ask the transport (a broker round trip): at most once per
         * {@code interval}, scrapes in between read the last answer. Default 10 s.
         *
         * @throws IllegalArgumentException if {@code interval} is negative
         */
        public Builder lagInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("lagInterval is " + interval + ": give zero (ask on every scrape) or more, e.g. Duration.ofSeconds(10)");
            }
            this.lagInterval = interval;
            return this;
        }

        /** For tests: how long a bus statistics snapshot is reused by the {@code bindBus} meters (default 100 ms). */
        Builder statisticsReuse(Duration reuse) {
            this.statisticsReuse = Objects.requireNonNull(reuse, "reuse");
            return this;
        }

        /** @throws IllegalStateException if neither registry was given */
        public WeftMicrometer build() {
            if (meters == null && observations == null) {
                throw new IllegalStateException("WeftMicrometer needs a registry: give .meterRegistry(..) for meters,"
                        + " .observationRegistry(..) for observations and traces, or both");
            }
            return new WeftMicrometer(this);
        }
    }
}
