package dev.weft.examples;

import com.sun.net.httpserver.HttpServer;
import dev.weft.events.EventBus;
import dev.weft.events.EventRejectedException;
import dev.weft.events.EventType;
import dev.weft.events.InMemoryTransport;
import dev.weft.events.RequestScopeFilter;
import dev.weft.events.Transport;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.examples.SightingsHttp.SightingReported;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.redis.Worker;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The sightings service: {@code POST /sightings?species=kestrel&count=2} reports a sighting. After
 * the response, the event updates local statistics (a handler of the bus) and travels through a
 * transport to a {@link Worker} that handles it (here it "tells the birders"; in real life, another
 * process). The transport is in memory by default, and Redis Streams when {@code WEFT_REDIS_URL}
 * is set ({@code redis://host:port}): then workers in other processes share the events, and none
 * is lost if one dies.
 *
 * <p>Run it: {@code ./dev mvn -q -pl weft-examples -am install -DskipTests exec:java
 * -Dexec.mainClass=dev.weft.examples.SightingsService}; with Redis: put
 * {@code WEFT_REDIS_URL=redis://127.0.0.1:6379} in front. It starts the server on a free port,
 * sends four reports, prints what happened, and stops.
 */
public final class SightingsService implements AutoCloseable {
    private final HttpServer server;
    private final EventBus bus;
    private final Transport transport;
    private final Worker worker;
    private final Thread workerThread;
    private final Map<String, Integer> statistics = new ConcurrentHashMap<>();
    private final Semaphore handledByWorker = new Semaphore(0);

    private SightingsService(String redisUrl, PrintStream out) throws IOException {
        transport = redisUrl == null || redisUrl.isBlank()
                ? InMemoryTransport.create()
                : RedisStreamsTransport.builder(redisUrl).stream("sightings").build();
        JacksonEventCodec codec = new JacksonEventCodec();
        EventType<SightingReported> type = EventType.of(SightingReported.class)
                .validatedBy(s -> s.count() >= 1 ? null : "count must be at least 1, got " + s.count());
        bus = EventBus.builder().declare(type).codec(codec).transport(transport).build();
        bus.handler("statistics").async().on(SightingReported.class, s -> statistics.merge(s.species(), s.count(), Integer::sum));
        worker = Worker.builder(transport, codec).group("birders").consumer("worker-1").pollWait(Duration.ofMillis(200))
                .on(type, s -> {
                    out.println("  [worker] birders told: " + s.count() + " " + s.species());
                    handledByWorker.release();
                }).build();
        workerThread = Thread.ofVirtual().name("sightings-worker").start(worker::run);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/sightings", exchange -> {
            Map<String, String> q = new TreeMap<>();
            String raw = exchange.getRequestURI().getQuery();
            if (raw != null) {
                for (String part : raw.split("&")) {
                    int eq = part.indexOf('=');
                    if (eq > 0) q.put(part.substring(0, eq), part.substring(eq + 1));
                }
            }
            SightingReported s = new SightingReported(q.getOrDefault("species", "unknown"), Integer.parseInt(q.getOrDefault("count", "1")));
            byte[] body;
            try {
                bus.emit(s); // held until the response is out; refused here if invalid (E3)
                body = ("recorded " + s.count() + " " + s.species() + "\n").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(201, body.length);
            } catch (EventRejectedException invalid) {
                body = (invalid.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(400, body.length);
            }
            exchange.getResponseBody().write(body);
        }).getFilters().add(new RequestScopeFilter((exchange, failure) -> { /* the status says it */ }));
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** Starts the service on a free port; Redis Streams if {@code redisUrl} is set, else in memory. */
    public static SightingsService start(String redisUrl, PrintStream out) throws IOException {
        return new SightingsService(redisUrl, out);
    }

    /** The server's base address. */
    public URI address() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The local statistics: birds per species. */
    public Map<String, Integer> statistics() {
        return new TreeMap<>(statistics);
    }

    /** The transport's name. */
    public String transportName() {
        return transport.name();
    }

    /** Waits until the worker handled {@code n} more events. */
    public boolean awaitWorker(int n, Duration timeout) throws InterruptedException {
        return handledByWorker.tryAcquire(n, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops the server, lets the bus and the worker finish (a few seconds at most), closes the transport. */
    @Override
    public void close() {
        server.stop(0);
        try {
            bus.awaitIdle(Duration.ofSeconds(10));
            worker.shutdown(Duration.ofSeconds(5));
            workerThread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing anyway
        } finally {
            bus.close();
            transport.close();
        }
    }

    public static void main(String[] args) throws Exception {
        run(System.out, System.getenv("WEFT_REDIS_URL"));
    }

    static void run(PrintStream out, String redisUrl) throws Exception {
        try (SightingsService app = start(redisUrl, out); HttpClient client = HttpClient.newHttpClient()) {
            out.println("sightings service on " + app.address() + ", events through " + app.transportName()
                    + (redisUrl == null || redisUrl.isBlank() ? " (set WEFT_REDIS_URL=redis://host:port to use Redis)" : ""));
            int accepted = 0;
            for (String q : new String[] {"species=kestrel&count=2", "species=owl&count=1", "species=kestrel&count=3", "species=kite&count=0"}) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(app.address().resolve("/sightings?" + q))
                        .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                out.println("POST /sightings?" + q + " -> " + r.statusCode() + " " + r.body().strip());
                if (r.statusCode() == 201) accepted++;
            }
            boolean all = app.awaitWorker(accepted, Duration.ofSeconds(20));
            app.bus.awaitIdle(Duration.ofSeconds(10));
            out.println("local statistics after the responses: " + app.statistics());
            out.println(all ? "worker handled " + accepted + " of " + accepted + " accepted sightings; the refused one (count 0) was never sent"
                    : "worker has not handled every sighting within 20 s: " + app.worker.statistics());
        }
    }
}
