package dev.weft.redis;

import dev.weft.test.LogCapture;
import dev.weft.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.TaskState;
import dev.weft.events.transport.TransportClosedException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** R3: lists as a reliable queue (BLMOVE into a processing list, LREM after success, a reaper). */
class RedisReliableQueueTest {
    static RedisServer redis;
    static RedisClient client;
    static StatefulRedisConnection<String, String> admin;
    static RedisCommands<String, String> r;
    String key;
    final List<RedisReliableQueue> open = new ArrayList<>();
    final LogCapture log = new LogCapture();

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
        client = RedisClient.create(redis.uri());
        admin = client.connect();
        r = admin.sync();
    }

    @AfterAll
    static void stopRedis() {
        if (admin != null) admin.close();
        if (client != null) client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        if (redis != null) redis.close();
    }

    @BeforeEach
    void freshKey() {
        key = "q:" + UUID.randomUUID();
    }

    @AfterEach
    void closeAll() {
        open.forEach(RedisReliableQueue::close);
    }

    RedisReliableQueue queue(String consumer) {
        RedisReliableQueue q = RedisReliableQueue.builder(redis.uri()).queue(key).consumer(consumer).staleAfter(Duration.ofMinutes(5)).logger(log).build();
        open.add(q);
        return q;
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(RedisReliableQueue.Item i) {
        return new String(i.value(), StandardCharsets.UTF_8);
    }

    @Test
    void r3_itemsComeOutInOrderIntoTheProcessingListAndAckRemovesThem() {
        RedisReliableQueue q = queue("w1");
        q.push(b("a"));
        q.push(b("b"));
        RedisReliableQueue.Item a = q.take(Duration.ZERO).orElseThrow();
        assertThat(s(a)).isEqualTo("a");
        assertThat(r.lrange(key + ":processing:w1", 0, -1)).containsExactly("a");
        assertThat(q.processing()).isEqualTo(1);
        a.ack();
        a.ack(); // idempotent
        assertThat(q.processing()).isZero();
        assertThat(s(q.take(Duration.ofSeconds(5)).orElseThrow())).isEqualTo("b");
        assertThat(q.take(Duration.ZERO)).isEmpty();
        assertThat(q.take(Duration.ofMillis(50))).isEmpty();
    }

    @Test
    void r3_aRequeuedItemIsTakenNext() {
        RedisReliableQueue q = queue("w1");
        q.push(b("a"));
        q.push(b("b"));
        q.take(Duration.ZERO).orElseThrow().requeue();
        assertThat(s(q.take(Duration.ZERO).orElseThrow())).isEqualTo("a");
        assertThat(q.size()).isEqualTo(1);
    }

    @Test
    void r3_theReaperRequeuesWhatAStaleConsumerHeld_andLeavesLiveConsumersAlone() {
        RedisReliableQueue dies = queue("dies"), lives = queue("lives");
        for (String v : List.of("a", "b", "c")) dies.push(b(v));
        dies.take(Duration.ZERO).orElseThrow();
        dies.take(Duration.ZERO).orElseThrow(); // never settled: the process dies
        RedisReliableQueue.Item held = lives.take(Duration.ZERO).orElseThrow();
        assertThat(lives.reap()).as("nobody stale yet").isZero();
        r.del(key + ":alive:dies"); // what expiry of its staleAfter does
        assertThat(lives.reap()).isEqualTo(2);
        assertThat(log.all()).contains("consumer dies not seen");
        assertThat(r.llen(key + ":processing:dies")).isZero();
        assertThat(r.llen(key + ":processing:lives")).isEqualTo(1); // untouched
        List<String> next = new ArrayList<>();
        for (int i = 0; i < 2; i++) next.add(s(lives.take(Duration.ZERO).orElseThrow()));
        assertThat(next).containsExactlyInAnyOrder("a", "b");
        held.ack();
    }

    @Test
    void r3_aWaitingTakeIsACancellationPoint_andClosedRefuses() {
        RedisReliableQueue q = queue("w1");
        AtomicReference<Task<?>> taker = new AtomicReference<>();
        Scope.run(scope -> {
            CountDownLatch taking = new CountDownLatch(1);
            taker.set(scope.fork(() -> {
                taking.countDown();
                return q.take(Duration.ofMinutes(10));
            }));
            assertThat(taking.await(20, TimeUnit.SECONDS)).isTrue();
            scope.cancel("test over");
            return null;
        });
        assertThat(taker.get().state()).isEqualTo(TaskState.CANCELLED);
        Thread.interrupted();
        q.close();
        assertThatThrownBy(() -> q.push(b("x"))).isInstanceOf(TransportClosedException.class);
    }
}
