package dev.weft.bench.spring;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The starter's per-request overhead (issue 14, item 5: at most 1.05x): the same Spring Boot 4
 * application ({@link PingApp}, Spring MVC on embedded Tomcat, platform threads) started twice in
 * one fork on random ports, once with {@code WeftRequestFilter} ({@code weft.web.enabled=true},
 * the default) and once without ({@code weft.web.enabled=false}), and one trivial GET through
 * {@code java.net.http.HttpClient} (HTTP/1.1, one kept-alive connection per application) per
 * operation. No Redis, no worker, no metrics: the bus is local, and only the filter differs.
 *
 * <ul>
 *   <li>{@code pingWithFilter} / {@code pingWithoutFilter}: {@code GET /ping}, which answers
 *   {@code pong}; with the filter, the request runs in a unit of work ({@code EventBus.unitOfWork}:
 *   a scope, the trace headers bound, the response completed before the scope ends).</li>
 *   <li>{@code emitWithFilter} / {@code emitWithoutFilter}: {@code GET /emit}, which also emits one
 *   event to one {@code SYNC} handler; with the filter the event is held and dispatched after the
 *   response was sent, without it dispatched at once.</li>
 * </ul>
 *
 * Each operation checks its answer (status 200, body {@code pong}); the set-up checks that the
 * filter is there in one application and not in the other, and that an emitted event reaches its
 * handler. {@code SpringCompare} prints the ratios.
 *
 * <pre>
 * java -jar weft-bench-spring/target/spring-benchmarks.jar StarterRequest -f 2 -wi 3 -i 5 -w 2s -r 2s
 * java -cp weft-bench-spring/target/spring-benchmarks.jar dev.weft.bench.spring.SpringCompare
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class StarterRequestBenchmark {
    private ConfigurableApplicationContext withFilter, withoutFilter;
    private HttpClient clientWith, clientWithout;
    private HttpRequest pingWith, pingWithout, emitWith, emitWithout;

    @Setup(Level.Trial)
    public void start() throws Exception {
        withFilter = start(true);
        withoutFilter = start(false);
        if (!withFilter.containsBean("weftRequestFilter")) throw new IllegalStateException("the filter is missing where it should be on");
        if (withoutFilter.containsBean("weftRequestFilter")) throw new IllegalStateException("the filter is there where it should be off");
        // One client (one kept-alive HTTP/1.1 connection) per application, so neither waits for the other's.
        clientWith = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        clientWithout = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        pingWith = get(withFilter, "/ping");
        pingWithout = get(withoutFilter, "/ping");
        emitWith = get(withFilter, "/emit");
        emitWithout = get(withoutFilter, "/emit");
        checkEventHandled(withFilter, clientWith, emitWith);
        checkEventHandled(withoutFilter, clientWithout, emitWithout);
    }

    private static ConfigurableApplicationContext start(boolean filter) {
        SpringApplication app = new SpringApplication(PingApp.class);
        app.setLogStartupInfo(false);
        return app.run(
                "--server.port=0",
                "--weft.web.enabled=" + filter,
                "--weft.redis.enabled=false",
                "--weft.worker.enabled=false",
                "--weft.metrics.enabled=false",
                "--spring.main.banner-mode=off",
                "--logging.level.root=WARN");
    }

    private static HttpRequest get(ConfigurableApplicationContext app, String path) {
        String port = app.getEnvironment().getProperty("local.server.port");
        if (port == null) throw new IllegalStateException("the application has no local.server.port: is it a web application on embedded Tomcat?");
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).GET().build();
    }

    /** The event an {@code /emit} request emits reaches the handler (after the response, with the filter). */
    private static void checkEventHandled(ConfigurableApplicationContext app, HttpClient client, HttpRequest emit) throws Exception {
        PingApp.Counter counter = app.getBean(PingApp.Counter.class);
        long before = counter.handled.get();
        send(client, emit);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (counter.handled.get() == before) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("the event of GET /emit never reached its handler");
            Thread.onSpinWait();
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        if (clientWith != null) clientWith.close();
        if (clientWithout != null) clientWithout.close();
        if (withFilter != null) withFilter.close();
        if (withoutFilter != null) withoutFilter.close();
    }

    private static String send(HttpClient client, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || !"pong".equals(r.body())) {
            throw new IllegalStateException(request.uri() + " answered " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    @Benchmark
    public String pingWithFilter() throws Exception {
        return send(clientWith, pingWith);
    }

    @Benchmark
    public String pingWithoutFilter() throws Exception {
        return send(clientWithout, pingWithout);
    }

    @Benchmark
    public String emitWithFilter() throws Exception {
        return send(clientWith, emitWith);
    }

    @Benchmark
    public String emitWithoutFilter() throws Exception {
        return send(clientWithout, emitWithout);
    }
}
