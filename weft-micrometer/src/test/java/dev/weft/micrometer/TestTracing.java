package dev.weft.micrometer;

import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Micrometer Tracing as Spring Boot sets it up, on OpenTelemetry with W3C propagation and an
 * in-memory exporter: an observation registry whose observations become spans, and those spans.
 */
final class TestTracing implements AutoCloseable {
    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final SdkTracerProvider provider = SdkTracerProvider.builder().setSampler(Sampler.alwaysOn())
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider)
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
    final OtelTracer tracer;
    final ObservationRegistry registry = ObservationRegistry.create();

    TestTracing() {
        io.opentelemetry.api.trace.Tracer otel = sdk.getTracer("weft-micrometer-test");
        OtelCurrentTraceContext current = new OtelCurrentTraceContext();
        tracer = new OtelTracer(otel, current, event -> {}, new OtelBaggageManager(current, List.of(), List.of()));
        OtelPropagator propagator = new OtelPropagator(sdk.getPropagators(), otel);
        registry.observationConfig().observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
                new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
                new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
                new DefaultTracingObservationHandler(tracer)));
    }

    List<SpanData> spans() {
        return exporter.getFinishedSpanItems();
    }

    /** The one finished span named {@code name}. */
    SpanData span(String name) {
        List<SpanData> named = spans().stream().filter(s -> s.getName().equals(name)).toList();
        if (named.size() != 1) throw new AssertionError("expected one span named '" + name + "', found " + named.size() + " in " + describe());
        return named.get(0);
    }

    List<SpanData> spansNamed(String name) {
        return spans().stream().filter(s -> s.getName().equals(name)).toList();
    }

    /** Name, span id and parent of every span: for failure messages. */
    String describe() {
        return spans().stream().map(s -> s.getName() + "[" + s.getSpanId() + " <- " + s.getParentSpanId() + " trace " + s.getTraceId() + "]")
                .collect(Collectors.joining(", "));
    }

    @Override
    public void close() {
        sdk.close();
    }
}
