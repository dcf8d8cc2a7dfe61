package dev.weft.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.weft.sync.CapacityLimiter;
import dev.weft.DeadlineExceeded;
import dev.weft.Scope;
import dev.weft.sync.Semaphore;
import dev.weft.events.BusStatistics;
import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.EventRejectedException;
import dev.weft.events.EventType;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.http.RequestScopeFilter;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.transport.Delivery;
import dev.weft.jdbc.JdbcOutbox;
import dev.weft.jdbc.OutboxRelay;
import org.h2.jdbcx.JdbcDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.examples.SightingsClient.Answer;
import dev.weft.examples.SightingsClient.Collected;
import dev.weft.examples.SightingsClient.Report;
import dev.weft.kafka.KafkaTransport;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.events.worker.Worker;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

/**
 * The README's main example ({@code ./dev example}): a sightings service.
 * {@code POST /sightings?report=1&species=kestrel&count=2} reports a sighting. The handler emits a
 * {@link SightingReported} event, which its request's scope holds until the response is sent
 * ({@link RequestScopeFilter}, rule E4); then the event updates local statistics (a handler of the
 * bus) and travels through a transport to a {@link Worker} that handles it (here it "tells the
 * birders"; in real life, another process). A report with a count below 1 is refused at the emit
 * (E3): the answer is 400 and no event exists to dispatch.
 *
 * <p>Each sighting is stored in an embedded H2 database, and its event goes through the
 * transactional outbox (weft-jdbc): {@code outbox.transaction(..)} inserts the row and the event in
 * one transaction, and an {@link OutboxRelay} publishes committed events to the transport. The
 * demo stages a transport outage while the reports come in: the relay's publishes fail, the
 * events wait in the outbox table, committed with their rows, and reach the worker when the
 * transport is back, none lost and none dead-lettered.
 *
 * <p>The transport is in memory by default, and Redis Streams when {@code WEFT_REDIS_URL} is set
 * ({@code redis://[user:password@]host:port}), or Kafka when {@code WEFT_KAFKA_BOOTSTRAP} is set
 * ({@code host:port[,host:port...]}; it wins over the Redis URL): then workers in other processes
 * share the events, and none is lost if one dies.
 *
 * <p>{@link #main} starts the service on a free port and sends four reports through the channel
 * pipeline of {@link SightingsClient}, all within a deadline; it prints what happened, in the order
 * it happened, and stops. Run it with {@code ./dev example}; with Redis, put
 * {@code WEFT_REDIS_URL=redis://127.0.0.1:6379} in front; with Kafka,
 * {@code WEFT_KAFKA_BOOTSTRAP=127.0.0.1:9092}.
 */
public final class SightingsService implements AutoCloseable {

    /** The event. Records are the bus's event types; the name is fixed for the wire. */
    @EventName("sighting.reported")
    public record SightingReported(int report, String species, int count) {}

    /** What a run of the demo saw, for its test. */
    record Outcome(Collected collected, Map<String, Integer> statistics, Set<Integer> statisticsSaw, Set<Integer> workerSaw,
                   BusStatistics bus, boolean redis) {}

    static final List<Report> REPORTS = List.of(
            new Report(1, "kestrel", 2), new Report(2, "owl", 1), new Report(3, "kite", 0), new Report(4, "kestrel", 3));
    static final int POSTERS = 3;
    static final int AT_ONCE = 2;
    static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final String STREAM = "sightings";

    private final PrintStream story;
    private final Transport transport;
    private final String transportDescription;
    private final String transportShort;
    private final JdbcDataSource database = new JdbcDataSource();
    private final JdbcOutbox outbox;
    private final StagedOutage outage;
    private final OutboxRelay relay;
    private final Thread relayThread;
    private final EventBus bus;
    private final Worker worker;
    private final Thread workerThread;
    private final HttpServer server;
    private final Map<String, Integer> statistics = new ConcurrentHashMap<>();
    private final Set<Integer> statisticsSaw = new ConcurrentSkipListSet<>();
    private final Set<Integer> workerSaw = new ConcurrentSkipListSet<>();
    private final Semaphore statisticsUpdated = new Semaphore(0); // Weft's: acquire is a cancellation point
    private final Semaphore workerHandled = new Semaphore(0);
    private final Semaphore exchangesDone = new Semaphore(0); // released when a handler has told its part of the story

    private SightingsService(String redisUrl, String kafkaBootstrap, PrintStream story) throws IOException {
        this.story = story;
        boolean kafka = kafkaBootstrap != null && !kafkaBootstrap.isBlank();
        boolean redis = !kafka && redisUrl != null && !redisUrl.isBlank();
        if (kafka) {
            transport = KafkaTransport.builder(kafkaBootstrap).topic(STREAM).build();
            transportDescription = "Kafka (topic '" + STREAM + "' at " + kafkaBootstrap.trim() + ")";
            transportShort = "Kafka at " + kafkaBootstrap.trim();
        } else if (redis) {
            transport = RedisStreamsTransport.builder(redisUrl).stream(STREAM).build();
            transportDescription = "Redis Streams (stream '" + STREAM + "' at " + withoutPassword(redisUrl) + ")";
            transportShort = "Redis Streams at " + withoutPassword(redisUrl);
        } else {
            transport = InMemoryTransport.create();
            transportDescription = "the in-memory transport (this process only; set WEFT_REDIS_URL=redis://host:port to use Redis Streams)";
            transportShort = "the in-memory transport";
        }
        JacksonEventCodec codec = new JacksonEventCodec();
        EventType<SightingReported> type = EventType.of(SightingReported.class)
                .validatedBy(s -> s.count() >= 1 ? null : "count must be at least 1, got " + s.count());
        database.setURL("jdbc:h2:mem:sightings-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        try (Connection c = database.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE sightings (report INT PRIMARY KEY, species VARCHAR(64) NOT NULL, birds INT NOT NULL)");
            outbox = JdbcOutbox.builder(database).createTable(true).build();
        } catch (SQLException e) {
            transport.close();
            throw new IOException("cannot set up the embedded database: " + e.getMessage(), e);
        }
        bus = EventBus.builder().declare(type).codec(codec).outbox(outbox).build();
        outage = new StagedOutage(transport);
        relay = outbox.relay(outage).backoff(Duration.ofMillis(50), Duration.ofMillis(200)).logger(outage.quietLogger()).build();
        relayThread = Thread.ofVirtual().name("sightings-relay").start(relay::run);
        bus.handler("statistics").async().on(SightingReported.class, s -> {
            int total = statistics.merge(s.species(), s.count(), Integer::sum);
            story.println("#" + s.report() + " [stats]  updated after the response: " + s.species() + " " + total);
            statisticsSaw.add(s.report());
            statisticsUpdated.release();
        });
        worker = Worker.builder(transport, codec).group("birders").consumer("worker-1").pollWait(Duration.ofMillis(200))
                .on(type, s -> {
                    story.println("#" + s.report() + " [worker] handled after the response: birders told of " + s.count() + " " + s.species());
                    workerSaw.add(s.report());
                    workerHandled.release();
                }).build();
        workerThread = Thread.ofVirtual().name("sightings-worker").start(worker::run);
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException | RuntimeException e) {
            stopEvents();
            throw e;
        }
        server.createContext("/sightings", this::report)
                .getFilters().add(new RequestScopeFilter((exchange, failure) ->
                        story.println("[server] " + exchange.getRequestURI() + " failed, so its events were dropped: " + failure)));
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** Starts the service on a free port; Redis Streams if {@code redisUrl} is set, else in memory. */
    public static SightingsService start(String redisUrl, PrintStream story) throws IOException {
        return new SightingsService(redisUrl, null, story);
    }

    /**
     * Starts the service on a free port; Kafka if {@code kafkaBootstrap} ({@code host:port,...}) is
     * set, else Redis Streams if {@code redisUrl} is set, else in memory.
     */
    public static SightingsService start(String redisUrl, String kafkaBootstrap, PrintStream story) throws IOException {
        return new SightingsService(redisUrl, kafkaBootstrap, story);
    }

    /** The HTTP handler: runs inside the request's scope, thanks to the filter. */
    private void report(HttpExchange exchange) throws IOException {
        try {
            respond(exchange);
        } finally {
            exchangesDone.release();
        }
    }

    private void respond(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            exchange.sendResponseHeaders(405, -1);
            return;
        }
        Map<String, String> q = SightingsHttp.query(exchange.getRequestURI());
        String tag = "#" + q.getOrDefault("report", "?");
        int status;
        String answer;
        try {
            SightingReported s = new SightingReported(Integer.parseInt(q.getOrDefault("report", "0")),
                    q.getOrDefault("species", "unknown"), Integer.parseInt(q.getOrDefault("count", "1")));
            outbox.transaction(c -> { // the row and the event commit together, or neither does
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO sightings (report, species, birds) VALUES (?, ?, ?)")) {
                    ps.setInt(1, s.report());
                    ps.setString(2, s.species());
                    ps.setInt(3, s.count());
                    ps.executeUpdate();
                }
                bus.emit(s); // stored in the outbox table with the row; refused here if invalid (E3), which rolls the row back
                return null;
            });
            story.println(tag + " [server] accepted " + s.count() + " " + s.species() + "; its row and its event are committed together in H2"
                    + " (the outbox), and its event is " + Scope.current()
                    .map(request -> "held by scope '" + request.name() + "' until the response is sent")
                    .orElse("dispatched at once: there is no request scope to hold it"));
            status = 201;
            answer = "recorded " + s.count() + " " + s.species();
        } catch (EventRejectedException | NumberFormatException refused) {
            story.println(tag + " [server] refused: " + refused.getMessage());
            status = 400;
            answer = refused.getMessage();
        } catch (SQLException failed) {
            story.println(tag + " [server] the database failed: " + failed.getMessage());
            status = 500;
            answer = "the sighting was not stored";
        }
        byte[] body = (answer + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        } // the response is complete: only now may the request's scope end and hand its events on
        story.println(tag + " [server] response sent: " + status + (status == 201 ? "" : "; no event was emitted, so none is dispatched"));
    }

    /** The server's base address. */
    public URI address() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The local statistics: birds per species (a snapshot). */
    public Map<String, Integer> statistics() {
        return new TreeMap<>(statistics);
    }

    /** Which transport the events go through, with its Redis URL if any (never its password). */
    public String transportDescription() {
        return transportDescription;
    }

    /**
     * Waits until the server's handlers finished {@code n} more exchanges: the client may hold a
     * response before the handler that sent it has printed "response sent". A cancellation point.
     */
    public void awaitExchanges(int n) {
        for (int i = 0; i < n; i++) exchangesDone.acquire();
    }

    /**
     * Waits until the statistics were updated and the worker handled {@code n} more events each.
     * A cancellation point: call it in a scope with a deadline.
     */
    public void awaitEvents(int n) {
        for (int i = 0; i < n; i++) statisticsUpdated.acquire();
        for (int i = 0; i < n; i++) workerHandled.acquire();
    }

    /** Stops the server, lets the bus and the worker finish (a few seconds at most), closes the transport. */
    @Override
    public void close() {
        server.stop(0);
        stopEvents();
    }

    private void stopEvents() {
        try {
            relay.shutdown();
            relayThread.join(Duration.ofSeconds(5));
            bus.awaitIdle(Duration.ofSeconds(5));
            worker.shutdown(Duration.ofSeconds(5));
            workerThread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing anyway
        } finally {
            bus.close();
            transport.close();
        }
    }

    /**
     * {@code url} as it may be printed: scheme, user, host, port and database, never the password
     * (nor the query, which could carry settings one would rather not show).
     */
    static String withoutPassword(String url) {
        try {
            URI u = new URI(url);
            String info = u.getRawUserInfo();
            String user = info == null ? "" : info.split(":", -1)[0];
            return u.getScheme() + "://" + (user.isEmpty() ? "" : user + "@") + u.getHost()
                    + (u.getPort() >= 0 ? ":" + u.getPort() : "") + (u.getRawPath() == null ? "" : u.getRawPath());
        } catch (URISyntaxException | RuntimeException notAUri) {
            return "(a Redis URL that is not shown)";
        }
    }

    public static void main(String[] args) throws Exception {
        run(System.out, System.getenv("WEFT_REDIS_URL"), System.getenv("WEFT_KAFKA_BOOTSTRAP"));
    }

    /** Runs the demo: the service, the client pipeline, the events after the responses; prints the story. */
    static Outcome run(PrintStream out, String redisUrl) throws IOException {
        return run(out, redisUrl, null);
    }

    /** As {@link #run(PrintStream, String)}, on Kafka when {@code kafkaBootstrap} is set. */
    static Outcome run(PrintStream out, String redisUrl, String kafkaBootstrap) throws IOException {
        long started = System.nanoTime();
        try (SightingsService service = start(redisUrl, kafkaBootstrap, out); HttpClient http = HttpClient.newHttpClient()) {
            out.println("sightings service on " + service.address() + "; events go through " + service.transportDescription());
            service.outage.begin();
            out.println("[outbox] staging a transport outage: the transport refuses every publish until the reports are answered");
            out.println("client: producer -> channel -> " + POSTERS + " posters (a CapacityLimiter lets " + AT_ONCE
                    + " POST at once) -> channel -> collector, all within " + DEADLINE.toSeconds() + " s");
            try {
                return Scope.builder().name("sightings-demo").timeout(DEADLINE).run(scope -> {
                    Collected c = SightingsClient.post(http, service.address(), REPORTS, POSTERS, new CapacityLimiter(AT_ONCE));
                    service.awaitExchanges(c.answers().size()); // so every "response sent" line comes before the summary
                    List<Answer> accepted = c.answers().stream().filter(Answer::accepted).toList();
                    List<Answer> rejected = c.answers().stream().filter(a -> !a.accepted()).toList();
                    out.println("collector: " + c.answers().size() + " answers, " + accepted.size() + " accepted (201), "
                            + rejected.size() + " rejected (" + rejected.stream().map(a -> "#" + a.report().id() + ": " + a.status())
                            .collect(Collectors.joining(", ")) + "); at most " + c.mostAtOnce() + " requests at once (limit " + c.limit() + ")");

                    service.outage.awaitRefused(); // the relay has tried at least once and been refused
                    out.println("[outbox] during the outage the relay was refused " + service.outage.refusals() + " time(s) and dropped nothing: "
                            + service.pendingInOutbox() + " events wait in the outbox table, committed with their sightings (" + service.rows() + " rows)");
                    service.outage.end();
                    out.println("[outbox] the transport is back: the relay publishes what waited");
                    service.awaitEvents(accepted.size()); // the events come after the responses: wait for them, under the same deadline
                    service.bus.awaitIdle(DEADLINE);
                    BusStatistics bus = service.bus.statistics();
                    SortedSet<Integer> statisticsSaw = new TreeSet<>(service.statisticsSaw);
                    SortedSet<Integer> workerSaw = new TreeSet<>(service.workerSaw);
                    for (Answer a : rejected) {
                        int id = a.report().id();
                        boolean nothing = !statisticsSaw.contains(id) && !workerSaw.contains(id);
                        out.println("#" + id + " was rejected and " + (nothing ? "dispatched nothing" : "still dispatched an event")
                                + ": the bus emitted " + bus.emitted() + " events and refused " + bus.rejected()
                                + "; the statistics saw " + tags(statisticsSaw) + ", the worker " + tags(workerSaw));
                    }
                    Map<String, Integer> statistics = service.statistics();
                    out.println("every accepted report's event survived the outage: the worker handled " + tags(workerSaw) + ", "
                            + service.bus.deadLetters().size() + " dead letters, " + service.pendingInOutbox() + " events left in the outbox");
                    out.println("final statistics: " + statistics + " (" + statistics.values().stream().mapToInt(Integer::intValue).sum()
                            + " birds from " + accepted.size() + " accepted reports)");
                    out.println("done in " + (System.nanoTime() - started) / 1_000_000 + " ms; events went through " + service.transportShort);
                    return new Outcome(c, statistics, statisticsSaw, workerSaw, bus, service.transport instanceof RedisStreamsTransport);
                });
            } catch (DeadlineExceeded late) {
                var w = service.worker.statistics();
                out.println("not done within " + DEADLINE.toSeconds() + " s: the worker handled " + w.handled() + " events and met "
                        + w.transportErrors() + " transport errors" + (w.transportErrors() > 0
                        ? " (is it running: " + service.transportShort + "?)" : "") + "; bus: " + service.bus.statistics());
                throw late;
            }
        }
    }

    private long pendingInOutbox() {
        try {
            return outbox.pending();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the outbox: " + e.getMessage(), e);
        }
    }

    private long rows() {
        try (Connection c = database.getConnection(); Statement st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM sightings")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the sightings: " + e.getMessage(), e);
        }
    }

    /**
     * The transport, with an outage the demo stages: while it lasts every publish fails with a
     * {@link TransportException}, as Redis Streams does while Redis is unreachable.
     */
    static final class StagedOutage implements Transport {
        private final Transport real;
        private final AtomicBoolean down = new AtomicBoolean();
        private final AtomicInteger refusals = new AtomicInteger();
        private final Semaphore refused = new Semaphore(0);

        StagedOutage(Transport real) {
            this.real = real;
        }

        void begin() {
            down.set(true);
        }

        void end() {
            down.set(false);
        }

        int refusals() {
            return refusals.get();
        }

        /** Waits until the relay was refused once; a cancellation point. */
        void awaitRefused() {
            refused.acquire();
            refused.release();
        }

        /** The relay reports each refused try; the story counts them instead of printing each. */
        System.Logger quietLogger() {
            return new System.Logger() {
                @Override public String getName() { return "sightings-relay"; }
                @Override public boolean isLoggable(Level level) { return false; }
                @Override public void log(Level level, java.util.ResourceBundle bundle, String msg, Throwable thrown) {}
                @Override public void log(Level level, java.util.ResourceBundle bundle, String format, Object... params) {}
            };
        }

        @Override public String name() { return real.name(); }
        @Override public void publish(TransportMessage m) { publishAll(List.of(m)); }

        @Override
        public void publishAll(List<TransportMessage> messages) {
            if (down.get()) {
                refusals.incrementAndGet();
                refused.release();
                throw new TransportException("transport '" + real.name() + "' is down (an outage the demo stages)");
            }
            real.publishAll(messages);
        }

        @Override public List<Delivery> receive(String group, String consumer, int max, Duration wait) { return real.receive(group, consumer, max, wait); }
        @Override public List<TransportMessage> deadLetters(String group) { return real.deadLetters(group); }
        @Override public void close() { real.close(); }
    }

    private static String tags(Set<Integer> ids) {
        return ids.stream().map(id -> "#" + id).collect(Collectors.joining(" ", "", ids.isEmpty() ? "nothing" : ""));
    }
}
