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

/**
 * One bus's handler meters, the {@code weft.event.emit} observation that writes the trace context
 * into each event's envelope, and the {@code weft.event.handle} observation around each try, which
 * continues the trace the envelope carries.
 */
final class BusInstrumentation implements EventObserver {
    private final String bus;
    private final MeterRegistry meters;
    private final ObservationRegistry observations;
    /** handler, then event, to its timers for success and failure. */
    private final Map<String, Map<String, Timer[]>> timers = new ConcurrentHashMap<>();

    BusInstrumentation(String bus, MeterRegistry meters, ObservationRegistry observations) {
        this.bus = bus;
        this.meters = meters;
        this.observations = observations;
    }

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
        long start = meters != null ? meters.config().clock().monotonicTime() : 0;
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
            if (meters != null) {
                long took = meters.config().clock().monotonicTime() - start;
                timer(run.handler(), run.event(), failed).record(took, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Looked up by the handler's and the event's names, which are the bus's own strings (hash codes cached): no allocation per try. */
    private Timer timer(String handler, String event, boolean failed) {
        Timer[] pair = timers.computeIfAbsent(handler, h -> new ConcurrentHashMap<>()).computeIfAbsent(event, e -> new Timer[] {
                timer(handler, e, "success"), timer(handler, e, "failure")});
        return pair[failed ? 1 : 0];
    }

    private Timer timer(String handler, String event, String outcome) {
        return Timer.builder("weft.bus.handler.duration").description("Tries of a bus handler on an event, by outcome")
                .tags("bus", bus, "handler", handler, "event", event, "outcome", outcome)
                .register(meters);
    }
}
