package dev.weft.micrometer;

import dev.weft.Cancelled;
import dev.weft.events.worker.WorkerObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.ReceiverContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The worker's handling timer and redelivery counter, and the {@code weft.worker.delivery}
 * observation, which continues the trace the event's envelope carries (its {@code traceparent}).
 */
final class WorkerInstrumentation implements WorkerObserver {
    private final MeterRegistry meters;
    private final ObservationRegistry observations;
    /** Group, then event, to its meters: resolved once, then found by two map reads (no key built per delivery). */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, EventMeters>> cache = new ConcurrentHashMap<>();

    WorkerInstrumentation(MeterRegistry meters, ObservationRegistry observations) {
        this.meters = meters;
        this.observations = observations;
    }

    @Override
    public void deliver(DeliveryRun run) {
        String event = run.event().name();
        int deliveryCount = run.delivery().deliveryCount();
        Observation o = null;
        if (observations != null && !observations.isNoop()) {
            ReceiverContext<Map<String, String>> receiver = new ReceiverContext<>(MapCarrier.GETTER, Kind.CONSUMER);
            receiver.setCarrier(run.event().trace());
            receiver.setRemoteServiceName("weft-worker " + run.group());
            o = Observation.createNotStarted("weft.worker.delivery", () -> receiver, observations)
                    .contextualName(event + " deliver")
                    .lowCardinalityKeyValue("weft.event", event)
                    .lowCardinalityKeyValue("weft.worker.group", run.group())
                    .highCardinalityKeyValue("weft.worker.consumer", run.consumer())
                    .highCardinalityKeyValue("weft.event.id", run.event().id().toString())
                    .highCardinalityKeyValue("weft.delivery.count", Integer.toString(deliveryCount))
                    .start();
        }
        EventMeters m = meters != null ? metersOf(run.group(), event) : null;
        if (m != null && deliveryCount > 1) m.redelivered.increment();
        long start = m != null ? meters.config().clock().monotonicTime() : 0;
        String outcome = "abandoned";
        Observation.Scope in = o != null ? o.openScope() : null;
        try {
            outcome = ScopeInstrumentation.lower(run.proceed());
        } catch (Cancelled c) {
            if (o != null) o.error(c);
            throw c;
        } finally {
            if (o != null) {
                in.close();
                o.lowCardinalityKeyValue("weft.worker.outcome", outcome);
                o.stop();
            }
            if (m != null) m.duration(outcome).record(meters.config().clock().monotonicTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private EventMeters metersOf(String group, String event) {
        ConcurrentHashMap<String, EventMeters> byEvent = cache.get(group);
        if (byEvent == null) byEvent = cache.computeIfAbsent(group, g -> new ConcurrentHashMap<>());
        EventMeters m = byEvent.get(event);
        if (m == null) m = byEvent.computeIfAbsent(event, e -> new EventMeters(group, e));
        return m;
    }

    /** One group's meters for one event type. */
    private final class EventMeters {
        final Counter redelivered;
        final Timer handled, rejected, abandoned;

        EventMeters(String group, String event) {
            redelivered = Counter.builder("weft.worker.redelivered").description("Deliveries the worker ran that the transport had delivered before")
                    .tags("group", group, "event", event).register(meters);
            handled = timer(group, event, "handled");
            rejected = timer(group, event, "rejected");
            abandoned = timer(group, event, "abandoned");
        }

        Timer duration(String outcome) {
            return switch (outcome) {
                case "handled" -> handled;
                case "rejected" -> rejected;
                default -> abandoned;
            };
        }

        private Timer timer(String group, String event, String outcome) {
            return Timer.builder("weft.worker.handling.duration").description("Worker deliveries: every try of the handlers and the settlement, by outcome")
                    .tags("group", group, "event", event, "outcome", outcome).register(meters);
        }
    }
}
