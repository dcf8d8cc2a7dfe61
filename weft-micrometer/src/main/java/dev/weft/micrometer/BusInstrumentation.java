package dev.weft.micrometer;

import dev.weft.events.EventObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.observation.transport.SenderContext;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One bus's handler meters, the {@code weft.event.emit} observation that writes the trace context
 * into each event's envelope, and the {@code weft.event.handle} observation around each try, which
 * continues the trace the envelope carries.
 */
final class BusInstrumentation implements EventObserver {
    private final String bus;
    private final MeterRegistry meters;
    private final ObservationRegistry observations;
    /** Whether tries are timed: a meter registry, and the handler timer not switched off. */
    private final boolean timed;
    /** Handler, then event, to its pair of timers; each resolved once, then found by two map reads (no allocation). */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, Timers>> timers = new ConcurrentHashMap<>();

    BusInstrumentation(String bus, MeterRegistry meters, ObservationRegistry observations, boolean handlerTimer) {
        this.bus = bus;
        this.meters = meters;
        this.observations = observations;
        this.timed = meters != null && handlerTimer;
    }

    /** The {@code weft.bus.handler.duration} timers of one handler on one event. */
    private record Timers(Timer success, Timer failure) {}

    @Override
    public Map<String, String> trace(String event, Map<String, String> context) {
        if (observations == null || observations.isNoop()) return context;
        Map<String, String> carrier = new HashMap<>(context);
        SenderContext<Map<String, String>> sender = new SenderContext<>(MapCarrier.SETTER, Kind.PRODUCER);
        sender.setCarrier(carrier);
        sender.setRemoteServiceName("weft-bus " + bus);
        Observation o = Observation.createNotStarted("weft.event.emit", () -> sender, observations)
                .contextualName(event + " emit")
                .lowCardinalityKeyValue("weft.bus", bus)
                .lowCardinalityKeyValue("weft.event", event);
        // A tracing handler writes the propagation fields (a W3C traceparent) into the carrier when it starts.
        o.start().stop();
        return carrier.size() == context.size() && carrier.equals(context) ? context : carrier;
    }

    @Override
    public void handle(HandlerRun run) throws Exception {
        Observation o = null;
        if (observations != null && !observations.isNoop()) {
            ReceiverContext<Map<String, String>> receiver = new ReceiverContext<>(MapCarrier.GETTER, Kind.CONSUMER);
            receiver.setCarrier(run.envelope().trace());
            receiver.setRemoteServiceName("weft-bus " + bus);
            o = Observation.createNotStarted("weft.event.handle", () -> receiver, observations)
                    .contextualName(run.event() + " handle")
                    .lowCardinalityKeyValue("weft.bus", bus)
                    .lowCardinalityKeyValue("weft.event", run.event())
                    .lowCardinalityKeyValue("weft.handler", run.handler())
                    .highCardinalityKeyValue("weft.event.id", run.envelope().id().toString())
                    .highCardinalityKeyValue("weft.attempt", Integer.toString(run.attempt()))
                    .start();
        }
        // One pair of clock reads and one Timer.record per try; the timers are resolved before the try
        // (not between its clock reads), and after the first try of a handler on an event that is two map reads.
        Timers t = timed ? timers(run.handler(), run.event()) : null;
        long start = t != null ? meters.config().clock().monotonicTime() : 0;
        boolean failed = true;
        Observation.Scope in = o != null ? o.openScope() : null;
        try {
            run.proceed();
            failed = false;
        } catch (Exception | Error e) {
            if (o != null) o.error(e);
            throw e;
        } finally {
            if (o != null) {
                in.close();
                o.lowCardinalityKeyValue("weft.outcome", failed ? "failure" : "success");
                o.stop();
            }
            if (t != null) {
                long took = meters.config().clock().monotonicTime() - start;
                (failed ? t.failure : t.success).record(took, TimeUnit.NANOSECONDS);
            }
        }
    }

    /**
     * The timers of {@code handler} on {@code event}. The names are the bus's own strings (their
     * hash codes cached, equal by identity), so once resolved this is two {@code get}s; the
     * capturing lambda of {@code computeIfAbsent} is only made on the first try.
     */
    private Timers timers(String handler, String event) {
        ConcurrentHashMap<String, Timers> byEvent = timers.get(handler);
        if (byEvent == null) byEvent = timers.computeIfAbsent(handler, h -> new ConcurrentHashMap<>());
        Timers pair = byEvent.get(event);
        if (pair == null) pair = byEvent.computeIfAbsent(event, e -> new Timers(timer(handler, e, "success"), timer(handler, e, "failure")));
        return pair;
    }

    private Timer timer(String handler, String event, String outcome) {
        return Timer.builder("weft.bus.handler.duration").description("Tries of a bus handler on an event, by outcome")
                .tags("bus", bus, "handler", handler, "event", event, "outcome", outcome)
                .register(meters);
    }
}
