package dev.weft.redis;

import dev.weft.test.LogCapture;
import dev.weft.test.Poll;
import dev.weft.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.TaskState;
import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** R3: pub/sub broadcast, at most once. */
class RedisBroadcastTest {
    static RedisServer redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) redis.close();
    }

    static TransportMessage message(String text) {
        return new TransportMessage(UUID.randomUUID().toString(), "price.changed", text.getBytes(StandardCharsets.UTF_8));
    }

    RedisBroadcast broadcast(String channel, LogCapture log) {
        return RedisBroadcast.builder(redis.uri()).channel(channel).bufferSize(3).logger(log).build();
    }

    @Test
    void r3_everySubscribedProcessGetsEveryMessageOnce_andOneConsumerPerGroupGetsIt() {
        String channel = "bc:" + UUID.randomUUID();
        LogCapture log = new LogCapture();
        try (RedisBroadcast nodeA = broadcast(channel, log); RedisBroadcast nodeB = broadcast(channel, log); RedisBroadcast publisher = broadcast(channel, log)) {
            assertThat(nodeA.receive("a", "a1", 10, Duration.ZERO)).isEmpty(); // subscribes
            assertThat(nodeB.receive("b", "b1", 10, Duration.ZERO)).isEmpty();
            TransportMessage m = message("{\"price\":3}");
            publisher.publish(m);
            List<Delivery> a = nodeA.receive("a", "a1", 10, Duration.ofSeconds(10));
            List<Delivery> b = nodeB.receive("b", "b1", 10, Duration.ofSeconds(10));
            assertThat(a).extracting(Delivery::message).containsExactly(m);
            assertThat(b).extracting(Delivery::message).containsExactly(m);
            assertThat(a.get(0).deliveryCount()).isEqualTo(1);
            a.get(0).reject("ignored: at most once");
            assertThat(nodeA.receive("a", "a2", 10, Duration.ZERO)).isEmpty(); // not again, not to another consumer
            assertThat(nodeA.deadLetters("a")).isEmpty();
        }
    }

    @Test
    void r3_atMostOnce_nothingPublishedBeforeTheSubscriptionArrives_andAFullBufferDropsTheOldest() throws Exception {
        String channel = "bc:" + UUID.randomUUID();
        LogCapture log = new LogCapture();
        try (RedisBroadcast node = broadcast(channel, log); RedisBroadcast publisher = broadcast(channel, log)) {
            publisher.publish(message("before anyone listened"));
            assertThat(node.receive("g", "c1", 10, Duration.ZERO)).isEmpty(); // subscribes now
            for (int i = 0; i < 5; i++) publisher.publish(message("m" + i));
            // Pub/sub announces nothing to the publisher: poll until the last one is in, dropping as it goes.
            Poll.until(() -> node.dropped() >= 2, 10);
            List<Delivery> got = node.receive("g", "c1", 10, Duration.ofSeconds(10));
            assertThat(got).extracting(d -> new String(d.message().body(), StandardCharsets.UTF_8)).containsExactly("m2", "m3", "m4");
            assertThat(node.dropped()).isEqualTo(2);
            assertThat(log.all()).contains("the oldest was dropped");
        }
    }

    @Test
    void r3_aMessageThatIsNotOursIsIgnoredAndCounted() throws Exception {
        String channel = "bc:" + UUID.randomUUID();
        LogCapture log = new LogCapture();
        RedisClient client = RedisClient.create(redis.uri());
        try (RedisBroadcast node = broadcast(channel, log); StatefulRedisConnection<String, String> admin = client.connect()) {
            node.receive("g", "c1", 10, Duration.ZERO);
            admin.sync().publish(channel, "hello from redis-cli");
            TransportMessage m = message("fine");
            admin.sync().publish(channel, "weft1 " + m.id() + " price.changed\nfine");
            List<Delivery> got = node.receive("g", "c1", 10, Duration.ofSeconds(10));
            assertThat(got).extracting(Delivery::message).containsExactly(m);
            assertThat(node.dropped()).isEqualTo(1);
            assertThat(log.all()).contains("not a Weft message");
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void r3_aWaitingReceiveIsACancellationPoint_andCloseRefusesFurtherUse() throws Exception {
        LogCapture log = new LogCapture();
        RedisBroadcast node = broadcast("bc:" + UUID.randomUUID(), log);
        AtomicReference<Task<?>> receiver = new AtomicReference<>();
        Scope.run(scope -> {
            CountDownLatch receiving = new CountDownLatch(1);
            receiver.set(scope.fork(() -> {
                node.receive("g", "c1", 10, Duration.ZERO);
                receiving.countDown();
                return node.receive("g", "c1", 10, Duration.ofMinutes(10));
            }));
            assertThat(receiving.await(20, TimeUnit.SECONDS)).isTrue();
            scope.cancel("test over");
            return null;
        });
        assertThat(receiver.get().state()).isEqualTo(TaskState.CANCELLED);
        Thread.interrupted();
        node.close();
        assertThatThrownBy(() -> node.publish(message("x"))).isInstanceOf(TransportClosedException.class);
        assertThatThrownBy(() -> node.receive("g", "c1", 1, Duration.ZERO)).isInstanceOf(TransportClosedException.class);
        assertThat(node.toString()).contains("at most once");
    }

    @Test
    void r3_aSubscriptionRedisRefusedFailsEveryReceiveUntilItIsGranted_neverASilentEmptyGroup() {
        String channel = "bc:" + UUID.randomUUID();
        String user = "listener-" + UUID.randomUUID();
        LogCapture log = new LogCapture();
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> admin = client.connect()) {
            // A user that may run every command but subscribe to no channel (Redis 7 channel ACLs).
            admin.sync().aclSetuser(user, AclSetuserArgs.Builder.on().addPassword("pw").allKeys().allCommands().resetChannels());
            String uri = "redis://" + user + ":pw@127.0.0.1:" + redis.port();
            try (RedisBroadcast node = RedisBroadcast.builder(uri).channel(channel).logger(log).build(); RedisBroadcast publisher = broadcast(channel, log)) {
                assertThatThrownBy(() -> node.receive("g", "c1", 10, Duration.ZERO)).isInstanceOf(TransportException.class).hasMessageContaining("NOPERM");
                assertThatThrownBy(() -> node.receive("g", "c1", 10, Duration.ZERO)).isInstanceOf(TransportException.class).hasMessageContaining("NOPERM");
                admin.sync().aclSetuser(user, AclSetuserArgs.Builder.allChannels());
                assertThat(node.receive("g", "c1", 10, Duration.ZERO)).isEmpty(); // subscribed now
                TransportMessage m = message("after the grant");
                publisher.publish(m);
                assertThat(node.receive("g", "c1", 10, Duration.ofSeconds(10))).extracting(Delivery::message).containsExactly(m);
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void r3_aGroupWhoseFirstReceiveReturnedIsSubscribed_alsoWhenAnotherGroupIsSubscribingAtTheSameTime() throws Exception {
        // Two groups make their first receive at once; b publishes as soon as its receive returned.
        // b must get its message: a first receive returns only once Redis confirmed the
        // subscription, also for the caller that found another group's receive subscribing. (a may
        // or may not: its first receive can come after the publish.)
        LogCapture log = new LogCapture();
        List<String> lost = new ArrayList<>();
        for (int round = 0; round < 30; round++) {
            try (RedisBroadcast node = broadcast("bc:" + UUID.randomUUID(), log)) {
                node.publish(message("nobody listens yet")); // connects the publishing side, so the race is on the subscription alone
                CountDownLatch go = new CountDownLatch(1);
                TransportMessage m = message("round " + round);
                Thread a = Thread.ofVirtual().start(() -> {
                    awaitQuietly(go);
                    node.receive("a", "a1", 1, Duration.ZERO);
                });
                Thread b = Thread.ofVirtual().start(() -> {
                    awaitQuietly(go);
                    node.receive("b", "b1", 1, Duration.ZERO);
                    node.publish(m);
                });
                go.countDown();
                a.join();
                b.join();
                List<Delivery> got = node.receive("b", "b1", 10, Duration.ofSeconds(2));
                if (got.stream().noneMatch(d -> d.message().equals(m))) lost.add("round " + round);
            }
        }
        assertThat(lost).isEmpty();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
