package dev.weft.micrometer;

import dev.weft.CancelReason;
import dev.weft.ExecutionKind;
import dev.weft.Scope;
import dev.weft.ScopeObserver;
import dev.weft.ScopeSummary;
import dev.weft.Task;
import dev.weft.events.EventBus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.ReceiverContext;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/** Scope meters and the {@code weft.scope} observation; carries the current observation into forked tasks. */
final class ScopeInstrumentation implements ScopeObserver {
    private final MeterRegistry meters;
    private final ObservationRegistry observations;
    private final Function<Scope, String> scopeTag;
    /** Meters per value of the {@code scope} tag ("" without one). */
    private final Map<String, ScopeMeters> byScope = new ConcurrentHashMap<>();
    private final AtomicLong active = new AtomicLong();
    /** The meters without a {@code scope} tag (null without a meter registry). */
    private final ScopeMeters untagged;

    ScopeInstrumentation(MeterRegistry meters, ObservationRegistry observations, Function<Scope, String> scopeTag) {
        this.meters = meters;
        this.observations = observations;
        this.scopeTag = scopeTag;
        if (meters != null) {
            meters.gauge("weft.scope.open", Tags.empty(), active, AtomicLong::doubleValue);
            untagged = byScope.computeIfAbsent("", ScopeMeters::new);
        } else {
            untagged = null;
        }
    }

    /** The meters of one value of the {@code scope} tag. */
    private final class ScopeMeters {
        final Counter opened;
        final Counter failures;
        final EnumMap<ExecutionKind, Counter> tasks = new EnumMap<>(ExecutionKind.class);
        final EnumMap<ScopeSummary.Outcome, Timer> duration = new EnumMap<>(ScopeSummary.Outcome.class);
        final EnumMap<CancelReason.Kind, Counter> cancellations = new EnumMap<>(CancelReason.Kind.class);

        ScopeMeters(String scope) {
            Tags base = scope.isEmpty() ? Tags.empty() : Tags.of("scope", scope);
            opened = Counter.builder("weft.scope.opened").description("Scopes opened").tags(base).register(meters);
            failures = Counter.builder("weft.scope.failures").description("Failures reported in scopes' exception groups")
                    .tags(base).register(meters);
            for (ExecutionKind k : ExecutionKind.values()) {
                tasks.put(k, Counter.builder("weft.scope.tasks").description("Tasks forked into scopes, by where they run")
                        .tags(base).tag("kind", lower(k)).register(meters));
            }
            for (ScopeSummary.Outcome o : ScopeSummary.Outcome.values()) {
                duration.put(o, Timer.builder("weft.scope.duration").description("Scopes from opening to closing, by outcome")
                        .tags(base).tag("outcome", lower(o)).register(meters));
            }
            for (CancelReason.Kind k : CancelReason.Kind.values()) {
                cancellations.put(k, Counter.builder("weft.scope.cancellations").description("Scopes cancelled themselves, by reason")
                        .tags(base).tag("reason", lower(k)).register(meters));
            }
        }
    }

    private ScopeMeters metersOf(Scope scope) {
        if (scopeTag == null) return untagged; // the fork path: no lookup
        String tag = "";
        if (scopeTag != null) {
            String t = scopeTag.apply(scope);
            if (t != null) tag = t;
        }
        return byScope.computeIfAbsent(tag, ScopeMeters::new);
    }

    /** What {@link #scopeOpened} hands to {@link #scopeClosed}. */
    private record Opened(ScopeMeters meters, Observation observation, Observation.Scope inScope) {}

    @Override
    public Object scopeOpened(Scope scope) {
        ScopeMeters m = null;
        if (meters != null) {
            m = metersOf(scope);
            m.opened.increment();
            active.incrementAndGet();
        }
        Observation o = null;
        Observation.Scope in = null;
        if (observations != null && !observations.isNoop()) {
            o = newObservation(scope).contextualName(scope.name()).highCardinalityKeyValue("weft.scope.name", scope.name()).start();
            if (o.isNoop()) {
                o = null;
            } else {
                in = o.openScope();
            }
        }
        return m == null && o == null ? null : new Opened(m, o, in);
    }

    /**
     * A scope observation. With no observation current (a request served without a tracing HTTP
     * server, e.g. through RequestScopeFilter) and a trace context bound to the scope
     * ({@link EventBus#TRACE}, which that filter binds from the request's headers), the scope
     * continues that trace: its context is a receiver's, carrying the bound map.
     */
    private Observation newObservation(Scope scope) {
        if (observations.getCurrentObservation() == null) {
            Map<String, String> bound = EventBus.TRACE.find().orElse(null);
            if (bound != null && !bound.isEmpty()) {
                ReceiverContext<Map<String, String>> incoming = new ReceiverContext<>(MapCarrier.GETTER, Kind.SERVER);
                incoming.setCarrier(bound);
                return Observation.createNotStarted("weft.scope", () -> incoming, observations);
            }
        }
        return Observation.createNotStarted("weft.scope", observations);
    }

    @Override
    public void taskForked(Scope scope, Task<?> task) {
        if (meters != null) metersOf(scope).tasks.get(task.kind()).increment();
    }

    @Override
    public <T> Callable<T> wrap(Scope scope, Task<?> task, Callable<T> work) {
        if (observations == null) return work;
        Observation parent = observations.getCurrentObservation();
        if (parent == null) return work;
        return () -> {
            Observation.Scope in = parent.openScope();
            try {
                return work.call();
            } finally {
                in.close();
            }
        };
    }

    @Override
    public void scopeCancelled(Scope scope, CancelReason reason) {
        if (meters != null) metersOf(scope).cancellations.get(reason.kind()).increment();
    }

    @Override
    public void scopeClosed(Scope scope, Object state, ScopeSummary summary) {
        if (!(state instanceof Opened opened)) return;
        if (opened.meters != null) {
            active.decrementAndGet();
            opened.meters.duration.get(summary.outcome()).record(summary.elapsed());
            if (summary.failures() > 0) opened.meters.failures.increment(summary.failures());
        }
        if (opened.observation != null) {
            opened.observation.lowCardinalityKeyValue("weft.scope.outcome", lower(summary.outcome()))
                    .highCardinalityKeyValue("weft.scope.tasks", Integer.toString(summary.tasksForked()))
                    .highCardinalityKeyValue("weft.scope.failures", Integer.toString(summary.failures()));
            opened.inScope.close();
            opened.observation.stop();
        }
    }

    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
