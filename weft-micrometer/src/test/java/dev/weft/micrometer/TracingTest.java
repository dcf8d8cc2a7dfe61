package dev.weft.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Scope;
import dev.weft.ScopeObserver;
import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.Transport;
import dev.weft.events.worker.Worker;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.test.RedisServer;
import io.micrometer.observation.Observation;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Spans and their parent/child links (Micrometer Tracing on OpenTelemetry, W3C propagation): into
 * forked tasks, from an emit to a bus handler, and from an emit across a transport (in memory,
 * then a real redis-server) to the worker's handler.
 */
class TracingTest {
    @EventName("sighting.reported")
    public record SightingReported(String species, int count) {}

    final TestTracing tracing = new TestTracing();
    final WeftMicrometer weft = WeftMicrometer.builder().observationRegistry(tracing.registry).build();

    @AfterEach
    void close() {
        tracing.close();
    }

    /** An observation the test opens, as application code would (say, the HTTP server's). */
    void observed(String name, Runnable r) {
        Observation.createNotStarted(name, tracing.registry).observe(r);
    }

    /** The W3C traceparent of {@code span}: version, trace id, span id, flags. */
    static String traceparent(SpanData span) {
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getSpanContext().getTraceFlags().asHex();
    }

    void assertChildOf(SpanData child, SpanData parent) {
        assertThat(child.getParentSpanId()).as("parent of %s in %s", child.getName(), tracing.describe()).isEqualTo(parent.getSpanId());
        assertThat(child.getTraceId()).isEqualTo(parent.getTraceId());
    }

    @Test
    void aScopeIsASpanAndItsTasksRunInsideIt() {
        observed("request", () -> Scope.builder().name("outer").observer(weft.scopeObserver()).run(s -> {
            s.fork(() -> {
                observed("in-task", () -> {});
                return null;
            });
            Scope.builder().name("inner").run(inner -> { // nested: inherits the observer
                inner.forkCpu(() -> {
                    observed("in-cpu-task", () -> {});
                    return null;
                });
                return null;
            });
            return null;
        }));

        SpanData request = tracing.span("request"), outer = tracing.span("outer"), inner = tracing.span("inner");
        assertChildOf(outer, request);
        assertChildOf(tracing.span("in-task"), outer);
        assertChildOf(inner, outer);
        assertChildOf(tracing.span("in-cpu-task"), inner);
        assertThat(outer.getAttributes().asMap()).anySatisfy((k, v) -> {
            assertThat(k.getKey()).isEqualTo("weft.scope.outcome");
            assertThat(v).isEqualTo("value");
        });
    }

    @Test
    void anOutermostScopeContinuesTheTraceBoundToIt_asRequestScopeFilterBindsItFromTheHeaders() {
        String incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        EventBus.unitOfWork("http GET /sightings").bind(EventBus.TRACE, Map.of("traceparent", incoming))
                .observer(weft.scopeObserver()).run(s -> {
                    Scope.builder().name("nested").run(n -> null);
                    return null;
                });
        SpanData request = tracing.span("http GET /sightings");
        assertThat(request.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(request.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
        assertChildOf(tracing.span("nested"), request);
    }

    @Test
    void aBusHandlerContinuesTheTraceOfTheEmitAfterTheScope() throws Exception {
        EventBus bus = EventBus.builder().declare(SightingReported.class).observer(weft.eventObserver("sightings")).build();
        AtomicReference<Map<String, String>> carried = new AtomicReference<>();
        CountDownLatch handled = new CountDownLatch(1);
        bus.handler("notifier").async().onPattern("sighting.*", e -> {
            carried.set(e.trace());
            observed("in-handler", () -> {});
            handled.countDown();
        });

        observed("request", () -> EventBus.unitOfWork("uow").observer(weft.scopeObserver()).run(s -> {
            bus.emit(new SightingReported("kestrel", 2));
            return null;
        }));
        assertThat(handled.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();

        SpanData uow = tracing.span("uow"), emit = tracing.span("sighting.reported emit"), handle = tracing.span("sighting.reported handle");
        assertChildOf(uow, tracing.span("request"));
        assertChildOf(emit, uow);
        assertChildOf(handle, emit);
        assertChildOf(tracing.span("in-handler"), handle);
        assertThat(carried.get().get("traceparent")).isEqualTo(traceparent(emit));
    }

    @Test
    void aLoaderBatchIsASpanOfItsOwnAndTheBatchFunctionRunsInsideIt() {
        dev.weft.batch.Loader<Integer, String> users = dev.weft.batch.Loader.<Integer, String>builder(keys -> {
            observed("in-batch-function", () -> {});
            java.util.Map<Integer, String> m = new java.util.HashMap<>();
            for (int k : keys) m.put(k, "user-" + k);
            return m;
        }).name("users").maxDelay(Duration.ofSeconds(10)) // quiescence decides, however loaded the machine
                .listener(weft.batchListener()).build();
        observed("request", () -> Scope.run(s -> {
            s.fork(() -> users.load(1));
            s.fork(() -> users.load(2));
            return null;
        }));
        SpanData batch = tracing.span("users batch");
        // A batch serves callers of possibly several traces: it starts its own.
        assertThat(batch.getParentSpanId()).isEqualTo(io.opentelemetry.api.trace.SpanId.getInvalid());
        assertThat(batch.getTraceId()).isNotEqualTo(tracing.span("request").getTraceId());
        assertChildOf(tracing.span("in-batch-function"), batch);
        assertThat(batch.getAttributes().asMap().entrySet()).extracting(e -> e.getKey().getKey() + "=" + e.getValue())
                .contains("weft.loader=users", "weft.loader.reason=quiescence", "weft.loader.outcome=success", "weft.loader.batch.keys=2");
    }

    @Test
    void theWorkerContinuesTheTraceAcrossAnInMemoryTransport() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        acrossTransport(t, false);
    }

    @Test
    void theWorkerContinuesTheTraceAcrossRedis() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream("trace:" + UUID.randomUUID()).build();
            try {
                acrossTransport(t, true);
            } finally {
                t.close();
            }
        }
    }

    /**
     * request -> uow scope -> emit span; the envelope carries the emit's traceparent over
     * {@code t}; the worker's delivery span is the emit's child, and the handler's code runs
     * inside it (inside the worker's handling scope, when scopes are observed process-wide).
     */
    void acrossTransport(Transport t, boolean scopesProcessWide) throws Exception {
        JacksonEventCodec codec = new JacksonEventCodec();
        EventBus bus = EventBus.builder().declare(SightingReported.class).codec(codec).transport(t)
                .observer(weft.eventObserver("sightings")).build();
        AtomicReference<Envelope<?>> received = new AtomicReference<>();
        CountDownLatch handled = new CountDownLatch(1);
        Worker worker = Worker.builder(t, codec).group("birders").consumer("w1").pollWait(Duration.ofMillis(20))
                .onEnvelope(SightingReported.class, e -> {
                    received.set(e);
                    observed("in-worker-handler", () -> {});
                    handled.countDown();
                })
                .observer(weft.workerObserver()).build();
        ScopeObserver.Registration registration = scopesProcessWide ? weft.registerScopes() : null;
        try {
            observed("request", () -> EventBus.unitOfWork("uow").observer(weft.scopeObserver()).run(s -> {
                bus.emit(new SightingReported("kestrel", 2));
                return null;
            }));
            Scope.run(scope -> {
                scope.fork(() -> {
                    worker.run();
                    return null;
                });
                assertThat(handled.await(20, TimeUnit.SECONDS)).isTrue();
                worker.shutdown(Duration.ofSeconds(5));
                return null;
            });
        } finally {
            if (registration != null) registration.close();
        }
        bus.close();

        SpanData request = tracing.span("request"), emit = tracing.span("sighting.reported emit");
        SpanData delivery = tracing.span("sighting.reported deliver"), inHandler = tracing.span("in-worker-handler");
        assertChildOf(emit, tracing.span("uow"));
        assertThat(emit.getTraceId()).isEqualTo(request.getTraceId());
        assertChildOf(delivery, emit);
        if (scopesProcessWide) {
            SpanData handling = tracing.span("handle-sighting.reported");
            assertChildOf(handling, delivery);
            assertChildOf(inHandler, handling);
        } else {
            assertChildOf(inHandler, delivery);
        }
        assertThat(received.get().trace()).containsEntry("traceparent", traceparent(emit));
        assertThat(delivery.getAttributes().asMap().entrySet()).anySatisfy(e -> {
            assertThat(e.getKey().getKey()).isEqualTo("weft.worker.outcome");
            assertThat(e.getValue()).isEqualTo("handled");
        });
    }
}
