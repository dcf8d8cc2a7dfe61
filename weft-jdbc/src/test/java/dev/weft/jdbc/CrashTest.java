package dev.weft.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Scope;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.jdbc.Events.SightingReported;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.events.worker.Worker;
import dev.weft.test.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13, item 6: a service JVM ({@link OutboxProcess}) killed with SIGKILL at each step of an
 * event's way out, on H2 (over TCP, served by this JVM) and on PostgreSQL: after the business
 * commit and before any relay ran; in the middle of a relay's batch; after the transport
 * confirmed and before the rows were marked; while Redis was down. Then a relay of this JVM takes
 * over, and a {@link Worker} handles the stream. For each: every committed event reaches its
 * handler at least once, no event of a transaction that rolled back after emitting is ever
 * published, and the duplicates on the stream and in the handler are counted and printed.
 */
// Each test starts a JVM, kills it and recovers: on a loaded 2-core machine that has taken 25 s, too
// close to the 30 s default; 120 s still fails a hang fast.
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CrashTest {
    static final int N = 40, ROLLBACKS = 5;
    static Server h2;
    static RedisServer redis;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        h2 = Server.createTcpServer("-tcpPort", Integer.toString(PostgresServer.freePort()), "-ifNotExists").start();
    }

    @AfterAll
    static void stop() {
        if (h2 != null) h2.stop();
        if (redis != null) redis.close();
    }

    static List<String[]> steps() {
        List<String[]> out = new java.util.ArrayList<>();
        for (String db : List.of("H2", "PostgreSQL")) {
            for (String step : List.of("committed", "mid-batch", "confirmed", "redis-down")) out.add(new String[] {db, step});
        }
        return out;
    }

    @ParameterizedTest(name = "{0}: killed at {1}")
    @MethodSource("steps")
    void everyCommittedEventIsHandledAtLeastOnce_noRolledBackEventIsPublished(String dbKind, String step) throws Exception {
        TestDb db = dbKind.equals("H2") ? h2Db() : TestDb.postgres();
        String table = db.table("crash_outbox"), sightings = db.table("crash_sightings"), stream = "crash:" + table;
        db.exec("CREATE TABLE " + sightings + " (id BIGINT PRIMARY KEY, species VARCHAR(50) NOT NULL, n INT NOT NULL)");
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource()).table(table).createTable(true).build();
        Path marker = Files.createTempFile("weft-crash", ".step");
        if (step.equals("redis-down")) redis.stop();
        Process service = new ProcessBuilder(javaExe(), "-cp", System.getProperty("java.class.path"), OutboxProcess.class.getName(),
                db.url, db.user == null ? "-" : db.user, table, sightings, redis.uri(), stream, step, Integer.toString(N), Integer.toString(ROLLBACKS),
                marker.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            await(() -> read(marker).contains(step) || !service.isAlive(), 60, "the service to reach step " + step);
            assertThat(service.isAlive()).as("the service reached the step and waits to be killed").isTrue();
            service.destroyForcibly(); // SIGKILL
            assertThat(service.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            service.destroyForcibly();
        }
        if (step.equals("redis-down")) redis.restart();

        assertThat(db.number("SELECT COUNT(*) FROM " + sightings)).as("the committed rows, and no rolled-back one").isEqualTo(N);
        // Another instance's relay takes over what the dead one left.
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream(stream).build()) {
            OutboxRelay relay = outbox.relay(t).build();
            await(() -> {
                try {
                    relay.publishPending();
                    return outbox.pending() == 0;
                } catch (Exception stillLocked) {
                    return false; // H2 may take a moment to notice the dead session and drop its locks
                }
            }, 60, "the relay to publish what is left");
            Map<Long, Integer> onStream = streamIds(stream);
            List<Long> handled = new CopyOnWriteArrayList<>();
            Worker w = Worker.builder(t, new JacksonEventCodec()).group("crash").consumer("w1").pollWait(Duration.ofMillis(50))
                    .on(SightingReported.class, s -> handled.add(s.id())).build();
            long entries = onStream.values().stream().mapToLong(Integer::longValue).sum();
            Scope.run(s -> {
                s.fork(() -> {
                    w.run();
                    return null;
                });
                await(() -> w.statistics().handled() + w.statistics().duplicates() >= entries, 60, "the worker to handle the stream");
                w.shutdown(Duration.ofSeconds(5));
                return null;
            });
            Set<Long> committed = new HashSet<>();
            for (long i = 1; i <= N; i++) committed.add(i);
            assertThat(new HashSet<>(handled)).as("every committed event reached its handler, and nothing else did").isEqualTo(committed);
            assertThat(onStream.keySet()).as("no rolled-back event was ever published").isEqualTo(committed);
            long streamDuplicates = entries - onStream.size();
            long handlerDuplicates = handled.size() - new HashSet<>(handled).size();
            System.out.printf("crash test %s, killed at %s: %d committed events, %d stream entries (%d duplicates), handler ran %d times"
                    + " (%d duplicates, dropped by the worker's de-duplication: %d)%n", dbKind, step, N, entries, streamDuplicates, handled.size(),
                    handlerDuplicates, w.statistics().duplicates());
            if (step.equals("confirmed")) assertThat(streamDuplicates).as("the whole confirmed batch is published again").isEqualTo(N);
            if (step.equals("mid-batch")) assertThat(streamDuplicates).as("the first half is published again").isEqualTo(N / 2);
            if (step.equals("committed") || step.equals("redis-down")) assertThat(streamDuplicates).isZero();
            assertThat(handlerDuplicates).as("within the de-duplication window each handler runs once").isZero();
        } finally {
            db.close();
        }
    }

    private static TestDb h2Db() throws Exception {
        return TestDb.h2Tcp(h2.getPort());
    }

    private Map<Long, Integer> streamIds(String stream) {
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            Map<Long, Integer> ids = new HashMap<>();
            for (StreamMessage<String, String> m : c.sync().xrange(stream, io.lettuce.core.Range.create("-", "+"))) {
                SightingReported s = (SightingReported) new JacksonEventCodec().decode(m.getBody().get("body").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        n -> SightingReported.class).payload();
                ids.merge(s.id(), 1, Integer::sum);
            }
            return ids;
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static String javaExe() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Bounded polling of state another process writes (a file, a table, a stream): it orders nothing, the condition decides. */
    static void await(BooleanSupplier done, int seconds, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) throw new AssertionError("gave up after " + seconds + " s waiting for " + what);
            Thread.sleep(20); // the polling interval, not an ordering step
        }
    }
}
