package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.EncodedDeadLetter;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.EventCodec;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import dev.weft.test.DeadLetterStoreContract;
import dev.weft.test.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisDeadLetterStore} against a redis-server of the test's own (issue 13, item 3):
 * weft-test's {@link DeadLetterStoreContract} (every rule of a dead-letter store, on the store and
 * through a bus), plus what is the Redis store's own: its layout (docs/WIRE.md), read back with
 * plain commands, and its errors. "After a restart" is a new store, with its own connection, on the
 * same key.
 */
class RedisDeadLetterStoreTest extends DeadLetterStoreContract {
    static RedisServer redis;
    static RedisClient client;
    static StatefulRedisConnection<String, String> admin;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start("--user", "ops", "on", ">ops-Secret-1", "~*", "&*", "+@all");
        client = RedisClient.create(redis.uri());
        admin = client.connect();
    }

    @AfterAll
    static void stopRedis() {
        if (admin != null) admin.close();
        if (client != null) client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        if (redis != null) redis.close();
    }

    @Override
    protected EncodedDeadLetterStore create() {
        return RedisDeadLetterStore.builder(redis.uri()).key("dead:" + UUID.randomUUID()).build();
    }

    @Override
    protected EncodedDeadLetterStore reopen(EncodedDeadLetterStore store) {
        return RedisDeadLetterStore.builder(redis.uri()).key(((RedisDeadLetterStore) store).key()).build();
    }

    @Override
    protected void close(EncodedDeadLetterStore store) {
        ((RedisDeadLetterStore) store).close();
    }

    @Override
    protected EventCodec codec() {
        return new JacksonEventCodec();
    }

    // ---------------------------------------------------------------- the Redis store's own

    @Test
    void aLetterIsOneStreamEntryInTheDocumentedLayout_andAnIndexEntry() {
        RedisDeadLetterStore s = (RedisDeadLetterStore) store;
        EncodedDeadLetter l = letter("worker:mailers", "{\"parcel\":\"p1\",\"items\":1}");
        s.add(l);
        s.add(l); // the same letter again: kept once
        var entries = admin.sync().xrange(s.key(), io.lettuce.core.Range.create("-", "+"));
        assertThat(entries).hasSize(1);
        Map<String, String> f = entries.get(0).getBody();
        assertThat(f).containsEntry("v", "1").containsEntry("id", l.message().id()).containsEntry("name", "parcel.shipped")
                .containsEntry("body", "{\"parcel\":\"p1\",\"items\":1}").containsEntry("letter", l.id().toString())
                .containsEntry("handler", "worker:mailers").containsEntry("attempts", "2").containsEntry("error", l.error())
                .containsEntry("time", Long.toString(l.time().toEpochMilli()));
        assertThat(admin.sync().hget(s.key() + ":index", l.id().toString())).isEqualTo(entries.get(0).getId());
        assertThat(s.remove(l.id())).isPresent();
        assertThat(admin.sync().exists(s.key() + ":index")).isZero();
        assertThat(admin.sync().xlen(s.key())).isZero();
    }

    @Test
    void entriesThatAreNotLettersAreSkipped_andListsPageThroughLongStreams() {
        RedisDeadLetterStore s = (RedisDeadLetterStore) store;
        admin.sync().xadd(s.key(), Map.of("something", "else"));
        for (int i = 0; i < 1_203; i++) s.add(letter(i % 3 == 0 ? "audit" : "mailer", "{\"n\":" + i + "}"));
        assertThat(s.list(null, Integer.MAX_VALUE)).hasSize(1_203);
        assertThat(s.count("audit")).isEqualTo(401);
        List<EncodedDeadLetter> mailer = s.list("mailer", 1_000);
        assertThat(mailer).hasSize(802);
        assertThat(s.purge("mailer")).isEqualTo(802);
        assertThat(s.count(null)).isEqualTo(402); // 401 letters and the foreign entry, which purge by handler leaves
        assertThat(s.purge(null)).isEqualTo(402);
    }

    @Test
    void aRedisThatIsDownOrAClosedStoreIsAClearError_withoutThePassword() throws Exception {
        try (RedisDeadLetterStore down = RedisDeadLetterStore.builder("redis://ops:Not-It-77@127.0.0.1:" + RedisServer.freePort())
                .commandTimeout(Duration.ofSeconds(2)).build()) {
            assertThatThrownBy(() -> down.add(letter("mailer", "{}"))).isInstanceOf(TransportException.class)
                    .hasMessageContaining("is redis-server running").hasMessageNotContaining("Not-It-77");
            assertThat(down.toString()).doesNotContain("Not-It-77");
        }
        try (RedisDeadLetterStore wrong = RedisDeadLetterStore.builder("redis://ops:Not-It-77@127.0.0.1:" + redis.port()).build()) {
            // "refused the credentials" as a rule; under heavy load Lettuce has been seen to report the
            // closed connection instead (SecurityAndLimitsTest pins the message): never the password.
            assertThatThrownBy(() -> wrong.count(null)).isInstanceOf(TransportException.class)
                    .hasMessageContaining("Redis at redis://ops@127.0.0.1:" + redis.port()).hasMessageNotContaining("Not-It-77");
        }
        RedisDeadLetterStore s = (RedisDeadLetterStore) store;
        s.close();
        assertThatThrownBy(() -> s.count(null)).isInstanceOf(TransportClosedException.class);
    }

    @Test
    void aScriptFlushedFromTheServerIsSentAgain() {
        EncodedDeadLetter a = letter("mailer", "{}");
        store.add(a);
        admin.sync().scriptFlush();
        EncodedDeadLetter b = letter("mailer", "{}");
        store.add(b);
        assertThat(store.remove(a.id())).isPresent();
        assertThat(store.list(null, 10)).extracting(EncodedDeadLetter::id).containsExactly(b.id());
    }
}
