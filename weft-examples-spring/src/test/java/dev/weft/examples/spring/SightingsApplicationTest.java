package dev.weft.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.BusStatistics;
import dev.weft.events.EventBus;
import dev.weft.events.HandlerMode;
import dev.weft.spring.WeftHandler;
import dev.weft.test.Poll;
import dev.weft.test.RedisServer;
import jakarta.servlet.Filter;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The example end to end: the real application on a random port (Tomcat, virtual threads, H2),
 * a real redis-server (skipped with the reason when it is not installed, failed with CI=true),
 * talked to with the JDK's HTTP client.
 */
@DirtiesContext // closed after this class, before its redis-server (a bean of Probes) stops
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        classes = {SightingsApplication.class, SightingsApplicationTest.Probes.class})
class SightingsApplicationTest {

    private static RedisServer redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start(); // skips this class, saying why, when redis-server is missing (fails it with CI=true)
    }

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry registry) {
        registry.add("weft.redis.url", () -> redis.uri());
        registry.add("weft.worker.poll-wait", () -> "50ms");
    }

    @LocalServerPort
    int port;
    @Autowired
    Birders birders;
    @Autowired
    Probes probes;
    @Autowired
    EventBus bus;
    @Autowired
    Sightings sightings;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eventsAfterTheResponseNoneAfterAFailureOneBatchPerRequestAndTheFiguresOnTheActuator() throws Exception {
        // 1. Events after the response: a handler that runs first checks the response was complete by then.
        assertThat(send("POST", "/sightings?report=1&species=kestrel&count=2").statusCode()).isEqualTo(201);
        assertThat(send("POST", "/sightings?report=2&species=owl&count=1").statusCode()).isEqualTo(201);
        Poll.until(() -> birders.told().containsAll(java.util.Set.of(1, 2))); // through Redis to the worker
        Poll.until(() -> birders.statistics().size() == 2);
        assertThat(probes.completedBeforeHandler).containsEntry(1, true).containsEntry(2, true);
        assertThat(birders.statistics()).isEqualTo(Map.of("kestrel", 2, "owl", 1));

        // 1b. One trace from the request to the worker's handler, across Redis.
        Poll.until(() -> probes.spans.getFinishedSpanItems().stream().filter(x -> x.getName().equals("sighting.reported deliver")).count() >= 2);
        List<SpanData> finished = probes.spans.getFinishedSpanItems();
        List<SpanData> posts = finished.stream().filter(x -> x.getKind() == SpanKind.SERVER && x.getName().toLowerCase(java.util.Locale.ROOT)
                .contains("post")).toList();
        List<SpanData> deliveries = finished.stream().filter(x -> x.getName().equals("sighting.reported deliver")).toList();
        assertThat(posts).as("the two POST spans in %s", finished).hasSize(2);
        assertThat(deliveries).extracting(SpanData::getTraceId)
                .as("each worker delivery continues the trace of its request")
                .containsExactlyInAnyOrderElementsOf(posts.stream().map(SpanData::getTraceId).toList());
        for (SpanData d : deliveries) {
            SpanData emit = finished.stream().filter(x -> x.getSpanId().equals(d.getParentSpanId())).findFirst().orElseThrow();
            assertThat(emit.getName()).isEqualTo("sighting.reported emit");
        }

        // 2. A failed request dispatches nothing: the dodo's row and event were made, then the request failed (500).
        assertThat(send("POST", "/sightings?report=3&species=dodo&count=1").statusCode()).isEqualTo(500);
        assertThat(send("POST", "/sightings?report=4&species=kite&count=0").statusCode()).isEqualTo(400); // refused at the emit
        assertThat(send("POST", "/sightings?report=5&species=kestrel&count=3").statusCode()).isEqualTo(201);
        Poll.until(() -> birders.told().contains(5)); // the stream is ordered: had #3 been published, it would be before #5
        assertThat(bus.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(birders.told()).containsExactlyInAnyOrder(1, 2, 5);
        assertThat(probes.completedBeforeHandler).doesNotContainKeys(3, 4);
        BusStatistics stats = bus.statistics();
        assertThat(stats.discardedByFailedScopes()).as("the dodo's event").isEqualTo(1);
        assertThat(stats.rejected()).as("the count of 0").isEqualTo(1);

        // 3. The per-request loader: three species, three tasks, one query.
        int before = sightings.summaryQueries();
        HttpResponse<String> summary = send("GET", "/sightings/summary?species=kestrel,owl,kite");
        assertThat(summary.statusCode()).isEqualTo(200);
        JsonNode s = json.readTree(summary.body());
        assertThat(s.get("birds").get("kestrel").asInt()).isEqualTo(5);
        assertThat(s.get("birds").get("owl").asInt()).isEqualTo(1);
        assertThat(s.get("birds").get("kite").asInt()).isEqualTo(0);
        assertThat(s.get("batches").asInt()).isEqualTo(1);
        assertThat(s.get("keys").asInt()).isEqualTo(3);
        assertThat(sightings.summaryQueries() - before).isEqualTo(1);

        // 4. The actuator endpoint's figures and the transport's health.
        Poll.until(() -> actuatorWorkerHandled() == 3);
        JsonNode weft = json.readTree(send("GET", "/actuator/weft").body());
        assertThat(weft.get("bus").get("emitted").asLong()).isEqualTo(4); // #1, #2, the dodo, #5 (the count of 0 was refused)
        assertThat(weft.get("bus").get("discardedByFailedScopes").asLong()).isEqualTo(1);
        assertThat(weft.get("worker").get("handled").asLong()).isEqualTo(3);
        assertThat(weft.get("loaders").get("birds-by-species").get("batches").asLong()).isEqualTo(1);
        assertThat(weft.get("loaders").get("birds-by-species").get("keys").asLong()).isEqualTo(3);
        JsonNode stream = weft.get("transport").get("stream");
        assertThat(stream.get("stream").asString()).isEqualTo("sightings");
        assertThat(stream.get("length").asLong()).isEqualTo(3);
        JsonNode group = stream.get("groups").get(0);
        assertThat(group.get("name").asString()).isEqualTo("birders");
        assertThat(group.get("lag").asLong()).isZero();
        assertThat(weft.toString()).doesNotContain(redis.uri().substring("redis://".length())); // no address or password leaks

        JsonNode health = json.readTree(send("GET", "/actuator/health").body());
        assertThat(health.get("components").get("weft").get("status").asString()).isEqualTo("UP");
        assertThat(health.get("components").get("weft").get("details").get("lag.birders").asLong()).isZero();

        // The handler switch and the dead letters list, through the endpoint.
        HttpResponse<String> off = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/weft/handlers/statistics"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"enabled\": false}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(off.statusCode()).isEqualTo(200);
        assertThat(bus.isEnabled("statistics")).isFalse();
        JsonNode dead = json.readTree(send("GET", "/actuator/weft/dead-letters").body());
        assertThat(dead.get("bus").size()).isZero();
        assertThat(dead.get("transport").size()).isZero();
    }

    private long actuatorWorkerHandled() {
        try {
            JsonNode w = json.readTree(send("GET", "/actuator/weft").body()).get("worker");
            return w == null || w.isNull() ? -1 : w.get("handled").asLong();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Test probes: a filter outside Weft's that notes when each response was completed (closed),
     * and a SYNC handler that notes, when it runs, whether its request's response was complete.
     */
    @TestConfiguration
    static class Probes {
        final Map<Integer, Long> completed = new ConcurrentHashMap<>();
        final Map<Integer, Boolean> completedBeforeHandler = new ConcurrentHashMap<>();
        final InMemorySpanExporter spans = InMemorySpanExporter.create();

        /**
         * Micrometer Tracing on OpenTelemetry (W3C propagation, every span kept in memory), handed
         * to Boot's ObservationRegistry as one handler, as Boot's tracing auto-configuration would.
         */
        @Bean
        ObservationHandler<Observation.Context> tracingHandler() {
            SdkTracerProvider provider = SdkTracerProvider.builder().setSampler(Sampler.alwaysOn())
                    .addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
            OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider)
                    .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
            io.opentelemetry.api.trace.Tracer otel = sdk.getTracer("weft-examples-spring-test");
            OtelCurrentTraceContext current = new OtelCurrentTraceContext();
            OtelTracer tracer = new OtelTracer(otel, current, event -> { }, new OtelBaggageManager(current, List.of(), List.of()));
            OtelPropagator propagator = new OtelPropagator(sdk.getPropagators(), otel);
            return new ObservationHandler.FirstMatchingCompositeObservationHandler(
                    new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
                    new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
                    new DefaultTracingObservationHandler(tracer));
        }

        /** The redis-server stops with the context, after the worker (lifecycles stop before beans are destroyed). */
        @Bean(destroyMethod = "close")
        RedisServer redisServer() {
            return redis;
        }

        @Bean
        FilterRegistrationBean<Filter> completionProbe() {
            FilterRegistrationBean<Filter> r = new FilterRegistrationBean<>((request, response, chain) -> {
                String report = request.getParameter("report");
                chain.doFilter(request, report == null ? response
                        : new NotingClose((HttpServletResponse) response, () -> completed.put(Integer.parseInt(report), System.nanoTime())));
            });
            r.setOrder(Integer.MIN_VALUE); // outside Weft's filter (Integer.MIN_VALUE + 2), which closes this wrapper's stream
            return r;
        }

        @WeftHandler(name = "probe", mode = HandlerMode.SYNC)
        void probe(SightingReported s) {
            completedBeforeHandler.put(s.report(), completed.containsKey(s.report()));
        }
    }

    /** A response whose output stream notes its close. */
    static final class NotingClose extends HttpServletResponseWrapper {
        private final Runnable onClose;
        private ServletOutputStream stream;

        NotingClose(HttpServletResponse response, Runnable onClose) {
            super(response);
            this.onClose = onClose;
        }

        @Override
        public synchronized ServletOutputStream getOutputStream() throws IOException {
            if (stream == null) {
                ServletOutputStream out = super.getOutputStream();
                stream = new ServletOutputStream() {
                    @Override public void write(int b) throws IOException { out.write(b); }
                    @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); }
                    @Override public void flush() throws IOException { out.flush(); }
                    @Override public void close() throws IOException {
                        out.close();
                        onClose.run();
                    }
                    @Override public boolean isReady() { return out.isReady(); }
                    @Override public void setWriteListener(WriteListener l) { out.setWriteListener(l); }
                };
            }
            return stream;
        }
    }
}
