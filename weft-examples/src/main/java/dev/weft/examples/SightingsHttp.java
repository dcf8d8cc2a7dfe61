package dev.weft.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.weft.events.EventBus;
import dev.weft.events.EventHandler;
import dev.weft.events.EventName;
import dev.weft.events.EventType;
import dev.weft.events.http.RequestScopeFilter;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Events after the response, and none for a failed request (rule E4), with the JDK's own HTTP
 * server: {@code POST /sightings?species=kestrel&count=2} records a sighting and emits
 * {@code sighting.reported}; the bus's handlers run after the response has been sent, and not at
 * all if the request failed ({@code &fail=true} fails it after the event was emitted; a count
 * below 1 is refused by the event's validation).
 *
 * <p>Run it: {@code ./mvnw -pl weft-examples -am install -DskipTests exec:java
 * -Dexec.mainClass=dev.weft.examples.SightingsHttp} (or {@code ./dev mvn ...} to find a JDK). It
 * starts the server on a free port, sends three requests, prints what happens, and stops.
 */
public final class SightingsHttp implements AutoCloseable {

    /** The event. Records are the bus's event types; the name is fixed for the wire. */
    @EventName("sighting.reported")
    public record SightingReported(String species, int count) {}

    private final HttpServer server;
    private final EventBus bus;

    private SightingsHttp(HttpServer server, EventBus bus) {
        this.server = server;
        this.bus = bus;
    }

    /** Starts the server on {@code port} (0: any free port) with {@code notifier} as the bus's handler of sightings. */
    public static SightingsHttp start(int port, EventHandler<SightingReported> notifier) throws IOException {
        EventBus bus = EventBus.builder()
                .declare(EventType.of(SightingReported.class)
                        .validatedBy(s -> s.count() >= 1 ? null : "count must be at least 1, got " + s.count()))
                .build();
        bus.handler("notifier").async().on(SightingReported.class, notifier);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/sightings", exchange -> report(exchange, bus))
                .getFilters().add(new RequestScopeFilter((exchange, failure) -> { /* the example prints the status instead */ }));
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return new SightingsHttp(server, bus);
    }

    /** The handler: runs inside the request's scope, thanks to the filter. */
    private static void report(HttpExchange exchange, EventBus bus) throws IOException {
        Map<String, String> q = query(exchange.getRequestURI());
        if (!exchange.getRequestMethod().equals("POST")) {
            exchange.sendResponseHeaders(405, -1);
            return;
        }
        SightingReported s = new SightingReported(q.getOrDefault("species", "unknown"), Integer.parseInt(q.getOrDefault("count", "1")));
        bus.emit(s); // held by the request's scope; invalid payloads throw here (E3)
        if (Boolean.parseBoolean(q.get("fail"))) throw new IllegalStateException("storage failed after the event was emitted");
        byte[] body = ("recorded " + s.count() + " " + s.species() + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(201, body.length);
        exchange.getResponseBody().write(body);
    }

    /** The query parameters of {@code uri} (no decoding: the examples send plain words and numbers). */
    static Map<String, String> query(URI uri) {
        Map<String, String> m = new HashMap<>();
        String raw = uri.getQuery();
        if (raw == null) return m;
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            if (eq > 0) m.put(part.substring(0, eq), part.substring(eq + 1));
        }
        return m;
    }

    /** The server's base address, e.g. {@code http://127.0.0.1:54321}. */
    public URI address() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The bus, for its statistics. */
    public EventBus bus() {
        return bus;
    }

    @Override
    public void close() {
        server.stop(0);
        bus.close();
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    static void run(PrintStream out) throws Exception {
        try (SightingsHttp app = start(0, s -> out.println("  [notifier] birders told: " + s.count() + " " + s.species()));
             HttpClient client = HttpClient.newHttpClient()) {
            for (String q : new String[] {"species=kestrel&count=2", "species=owl&count=1&fail=true", "species=kite&count=0"}) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(app.address().resolve("/sightings?" + q))
                        .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                out.println("POST /sightings?" + q + " -> " + r.statusCode() + " " + r.body().strip());
                app.bus().awaitIdle(Duration.ofSeconds(10));
            }
            var stats = app.bus().statistics();
            out.println("events emitted " + stats.emitted() + ", dispatched " + stats.dispatched() + ", dropped with their failed request "
                    + stats.discardedByFailedScopes() + ", refused at emit " + stats.rejected());
        }
    }
}
