package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.transport.TransportMessage;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.test.RedisServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 6, item 7: `weft` shows a stream's state and lists, replays and purges dead letters. */
class WeftCliTest {
    static RedisServer redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start("--user", "ops", "on", ">ops-Secret-1", "~*", "&*", "+@all");
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) redis.close();
    }

    record Run(int code, String out, String err) {}

    static Run weft(String envUrl, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = WeftCli.run(new PrintWriter(out, true), new PrintWriter(err, true), envUrl, args);
        return new Run(code, out.toString(), err.toString());
    }

    static TransportMessage message(String text) {
        return new TransportMessage(UUID.randomUUID().toString(), "job.submitted", text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void showsTheStreamItsGroupsAndConsumers_thenListsReplaysAndPurgesDeadLetters() {
        String stream = "cli:" + UUID.randomUUID();
        String url = "redis://ops:ops-Secret-1@127.0.0.1:" + redis.port();
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(url).stream(stream).maxDeliveries(1).build()) {
            for (int i = 0; i < 5; i++) t.publish(message("job " + i));
            var got = t.receive("mailers", "mailer-1", 3, Duration.ZERO);
            got.get(0).ack();
            got.get(1).reject("smtp refused"); // maxDeliveries 1: dead letter at once
            got.get(2).reject("smtp refused");

            Run show = weft(url, "show", "--stream", stream);
            assertThat(show.code()).isZero();
            assertThat(show.out()).contains("stream " + stream + ": 5 entries, 2 dead letters")
                    .containsPattern("group mailers\\s+pending\\s+0\\s+lag\\s+2")
                    .contains("consumer mailer-1").contains("idle");
            assertThat(show.out() + show.err()).doesNotContain("ops-Secret-1");

            Run list = weft(url, "dead", "list", "--stream", stream);
            assertThat(list.out()).contains("job.submitted").contains("group mailers, consumer mailer-1, 1 deliveries: smtp refused");

            Run replay = weft(url, "dead", "replay", "--stream", stream, "--group", "mailers");
            assertThat(replay.code()).isZero();
            assertThat(replay.out()).contains("replayed 2 dead letter(s)");
            assertThat(replay.err()).contains("[##############################] 2/2");
            assertThat(t.info().length()).isEqualTo(7);
            assertThat(t.info().deadLetters()).isZero();
            assertThat(t.receive("mailers", "mailer-1", 10, Duration.ZERO)).hasSize(4); // 2 never read + 2 replayed

            t.publish(message("again"));
            t.receive("audit", "a1", 100, Duration.ZERO).forEach(d -> d.reject("audit down"));
            assertThat(weft(url, "dead", "purge", "--stream", stream).code()).isEqualTo(2); // needs --yes
            Run purge = weft(url, "dead", "purge", "--stream", stream, "--group", "audit", "--yes");
            assertThat(purge.out()).contains("purged 8 dead letter(s)");
            assertThat(weft(url, "dead", "list", "--stream", stream).out()).contains("no dead letters");
        }
    }

    @Test
    void showsAPartitionedStreamWhole() {
        // Written through 3 partitions: `weft show` must read all of them, not the empty base stream.
        String stream = "cli-parts:" + UUID.randomUUID();
        String url = "redis://ops:ops-Secret-1@127.0.0.1:" + redis.port();
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(url).stream(stream).partitions(3)
                .partitionKey(m -> new String(m.body(), java.nio.charset.StandardCharsets.UTF_8)).build()) {
            for (int i = 0; i < 6; i++) t.publish(message("job " + i));
            assertThat(t.recordedPartitions()).hasValue(3);
            Run show = weft(url, "show", "--stream", stream);
            assertThat(show.code()).isZero();
            assertThat(show.out()).contains("stream " + stream + ": 6 entries");
        }
        try (RedisStreamsTransport plain = RedisStreamsTransport.builder(url).stream("cli-plain:" + UUID.randomUUID()).build()) {
            assertThat(plain.recordedPartitions()).isEmpty();
        }
    }

    @Test
    void aWrongPasswordOrNoRedisIsAClearErrorWithoutTheSecret() throws Exception {
        Run wrong = weft("redis://ops:Not-It-77@127.0.0.1:" + redis.port(), "show");
        assertThat(wrong.code()).isEqualTo(1);
        assertThat(wrong.err()).contains("refused the credentials").doesNotContain("Not-It-77");
        Run down = weft(null, "--url", "redis://127.0.0.1:" + RedisServer.freePort(), "show");
        assertThat(down.code()).isEqualTo(1);
        assertThat(down.err()).contains("is redis-server running");
        assertThat(weft(null, "--help").out()).contains("dead").contains("show");
    }
}
