package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.RetryPolicy;
import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.EncodedDeadLetter;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.TransportMessage;
import dev.weft.jdbc.JdbcDeadLetterStore;
import dev.weft.redis.RedisDeadLetterStore;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.test.RedisServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, item 3: {@code weft dead list|replay|purge} on the durable dead-letter stores, a
 * table through a JDBC URL (H2, PostgreSQL) and a Redis stream ({@code --key}), with letters a bus
 * and a worker parked there.
 */
class DeadLetterStoreCliTest {
    static final AtomicInteger SEQ = new AtomicInteger();
    static RedisServer redis;

    @EventName("parcel.shipped")
    public record ParcelShipped(String parcel) {}

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) redis.close();
    }

    record Run(int code, String out, String err) {}

    static Run weft(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = WeftCli.run(new PrintWriter(out, true), new PrintWriter(err, true), env, args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Letters as a service leaves them: one its bus's handler "mailer" parked, one of worker group "mailers". */
    static Letters park(EncodedDeadLetterStore store) throws Exception {
        try (EventBus bus = EventBus.builder().declare(ParcelShipped.class).codec(new JacksonEventCodec()).deadLetters(store)
                .retry(RetryPolicy.none()).build()) {
            bus.handler("mailer").sync().on(ParcelShipped.class, p -> {
                throw new IllegalStateException("smtp refused " + p.parcel());
            });
            bus.emit(new ParcelShipped("p1"));
            assertThat(bus.awaitIdle(Duration.ofSeconds(10))).isTrue();
        }
        EncodedDeadLetter busLetter = store.list("mailer", 1).get(0);
        String eventId = UUID.randomUUID().toString();
        String body = "{\"name\":\"parcel.shipped\",\"id\":\"" + eventId + "\",\"time\":\"2026-12-01T10:00:00Z\",\"trace\":{},\"payload\":{\"parcel\":\"p2\"}}";
        EncodedDeadLetter workerLetter = new EncodedDeadLetter(UUID.randomUUID(), "worker:mailers",
                new TransportMessage(eventId, "parcel.shipped", body.getBytes(StandardCharsets.UTF_8)),
                "failed 3 tries in worker w1: IllegalStateException: smtp refused\njava.lang.IllegalStateException: smtp refused\n\tat Mailer.send(Mailer.java:9)",
                3, Instant.parse("2026-12-01T10:00:01Z"));
        store.add(workerLetter);
        return new Letters(busLetter, workerLetter);
    }

    record Letters(EncodedDeadLetter bus, EncodedDeadLetter worker) {}

    /** list, list --id, list --limit, replay (the worker's letter to a stream, the bus's left), purge, against the store at {@code where}. */
    static void listReplayPurge(EncodedDeadLetterStore store, Map<String, String> env, String... where) throws Exception {
        Letters l = park(store);
        String stream = "cli-replay:" + UUID.randomUUID();
        String url = "redis://127.0.0.1:" + redis.port();

        Run list = weft(env, args(where, "dead", "list"));
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains(l.bus().id() + "  parcel.shipped " + l.bus().message().id() + "  handler mailer, 1 try")
                .contains(": java.lang.IllegalStateException: smtp refused p1")
                .contains(l.worker().id() + "  parcel.shipped " + l.worker().message().id() + "  handler worker:mailers, 3 tries, 2026-12-01T10:00:01Z: failed 3 tries");
        assertThat(list.out().indexOf(l.bus().id().toString())).as("oldest first").isLessThan(list.out().indexOf(l.worker().id().toString()));

        Run one = weft(env, args(where, "dead", "list", "--id", l.worker().id().toString()));
        assertThat(one.out()).contains("body: " + new String(l.worker().message().body(), StandardCharsets.UTF_8))
                .contains("\tat Mailer.send(Mailer.java:9)");
        assertThat(weft(env, args(where, "dead", "list", "--limit", "1")).out()).contains("(1 of 2 shown");
        assertThat(weft(env, args(where, "dead", "list", "--handler", "nobody")).out()).contains("no dead letters in " + store.name() + " of handler nobody");

        Run replay = weft(env, args(where, "dead", "replay", "--url", url, "--stream", stream));
        assertThat(replay.code()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("replayed 1 dead letter(s) from " + store.name() + " to " + stream);
        assertThat(replay.err()).contains("[##############################] 1/1")
                .contains("left 1 letter(s) of the bus handler(s) 'mailer'").contains("EventBus.replay(id)");
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(url).stream(stream).build()) {
            var got = t.receive("mailers", "w2", 10, Duration.ZERO);
            assertThat(got).hasSize(1);
            assertThat(got.get(0).message()).isEqualTo(l.worker().message()); // same id, name and bytes
        }
        assertThat(store.find(l.worker().id())).as("removed once published").isEmpty();
        assertThat(store.find(l.bus().id())).as("a bus handler's letter stays").isPresent();
        Run refused = weft(env, args(where, "dead", "replay", "--url", url, "--stream", stream, "--id", l.bus().id().toString()));
        assertThat(refused.code()).isEqualTo(1);

        assertThat(weft(env, args(where, "dead", "purge", "--handler", "mailer")).code()).as("needs --yes").isEqualTo(2);
        assertThat(store.count(null)).isEqualTo(1);
        Run purge = weft(env, args(where, "dead", "purge", "--handler", "mailer", "--yes"));
        assertThat(purge.out()).contains("purged 1 dead letter(s) from " + store.name());
        assertThat(store.count(null)).isZero();
        Run none = weft(env, args(where, "dead", "purge", "--id", l.bus().id().toString(), "--yes"));
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err()).contains("no dead letter " + l.bus().id());
    }

    static String[] args(String[] where, String... command) {
        String[] all = new String[command.length + where.length];
        System.arraycopy(command, 0, all, 0, command.length);
        System.arraycopy(where, 0, all, command.length, where.length);
        return all;
    }

    @Test
    void onH2_throughAJdbcUrl() throws Exception {
        String url = "jdbc:h2:mem:cli-" + SEQ.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
        try (StoreCommands.OneConnection pool = new StoreCommands.OneConnection(url, null, null)) {
            JdbcDeadLetterStore store = JdbcDeadLetterStore.builder(pool).table("service_dead_letters").createTable(true).build();
            listReplayPurge(store, Map.of(), "--jdbc", url, "--table", "service_dead_letters");
        }
    }

    @Test
    void onPostgres_throughAJdbcUrl_userFromTheOption() throws Exception {
        String pgUrl = postgresUrl();
        try (StoreCommands.OneConnection pool = new StoreCommands.OneConnection(pgUrl, "weft", null)) {
            String table = "cli_dead_letters_" + SEQ.incrementAndGet();
            JdbcDeadLetterStore store = JdbcDeadLetterStore.builder(pool).table(table).createTable(true).build();
            listReplayPurge(store, Map.of("WEFT_JDBC_PASSWORD", "unused-by-trust"), "--jdbc", pgUrl, "--jdbc-user", "weft", "--table", table);
        }
    }

    /**
     * The JDBC URL of weft-jdbc's PostgresServer (a PostgreSQL of the test run's own; skips the
     * test without it unless CI=true). Reached by reflection: this module's tests compile against
     * the module dev.weft.jdbc, which hides the test jar's classes in the same package; at run time
     * both are on the class path.
     */
    static String postgresUrl() throws Exception {
        Class<?> server = Class.forName("dev.weft.jdbc.PostgresServer");
        Object pg;
        try {
            pg = server.getMethod("shared").invoke(null);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof Exception x ? x : e; // a JUnit assumption (skip) comes out as it is
        }
        return (String) server.getMethod("jdbcUrl").invoke(pg);
    }

    @Test
    void onARedisStream_byItsKey() throws Exception {
        String key = "cli-dead:" + UUID.randomUUID();
        try (RedisDeadLetterStore store = RedisDeadLetterStore.builder(redis.uri()).key(key).build()) {
            listReplayPurge(store, Map.of("WEFT_REDIS_URL", redis.uri()), "--key", key);
        }
    }

    @Test
    void badCombinationsAreUsageErrors_andAMissingTableOrDatabaseIsAClearErrorWithoutThePassword() throws Exception {
        Map<String, String> env = new HashMap<>();
        Run both = weft(env, "dead", "list", "--jdbc", "jdbc:h2:mem:x", "--key", "k");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("--jdbc and --key name two dead-letter stores");
        Run group = weft(env, "dead", "list", "--key", "k", "--group", "g");
        assertThat(group.code()).isEqualTo(2);
        assertThat(group.err()).contains("--handler (a worker's: worker:<group>)");
        Run handler = weft(env, "dead", "purge", "--handler", "mailer", "--yes");
        assertThat(handler.code()).isEqualTo(2);
        assertThat(handler.err()).contains("add --jdbc <url> or --key <key>");

        String url = "jdbc:h2:mem:cli-missing-" + SEQ.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
        Run missing = weft(env, "dead", "list", "--jdbc", url, "--table", "not_there");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("cannot list dead letters").contains("createTable(true)");

        int free = RedisServer.freePort();
        Run down = weft(Map.of("WEFT_JDBC_PASSWORD", "Env-Secret-5"), "dead", "list",
                "--jdbc", "jdbc:postgresql://127.0.0.1:" + free + "/app?user=app&password=Url-Secret-4");
        assertThat(down.code()).isEqualTo(1);
        assertThat(down.err()).contains("cannot reach the database at jdbc:postgresql://127.0.0.1:" + free + "/app?user=app&password=***")
                .doesNotContain("Url-Secret-4").doesNotContain("Env-Secret-5");
        Run unknown = weft(env, "dead", "list", "--jdbc", "jdbc:nosuchdb://x");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("No suitable driver");
        assertThat(weft(env, "dead", "list", "--help").out()).contains("--jdbc").contains("--key").contains("--handler").contains("--id");
    }

    @Test
    void aStoreLetterListedByTheStreamCommandsIsNotConfusedWithTheStreamsOwn() {
        // The stream's own dead letters (<stream>:dead) and a store's are separate: --key names the store's stream.
        String stream = "cli-own:" + UUID.randomUUID();
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream(stream).maxDeliveries(1).build()) {
            t.publish(new TransportMessage(UUID.randomUUID().toString(), "parcel.shipped", "{}".getBytes(StandardCharsets.UTF_8)));
            t.receive("g", "c", 1, Duration.ZERO).get(0).reject("no");
            Run own = weft(Map.of("WEFT_REDIS_URL", redis.uri()), "dead", "list", "--stream", stream);
            assertThat(own.out()).contains("group g, consumer c");
            Run store = weft(Map.of("WEFT_REDIS_URL", redis.uri()), "dead", "list", "--key", stream + ":dead");
            assertThat(store.code()).isZero();
            assertThat(store.out()).as("transport dead letters are not store letters: skipped").contains("no dead letters in redis:" + stream + ":dead");
        }
    }
}
