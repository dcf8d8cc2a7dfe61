package dev.weft.redis;

import dev.weft.events.transport.Transport;
import dev.weft.test.AtLeastOnceTransportContract;
import dev.weft.test.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A partitioned Streams transport (4 partitions) on a single Redis passes the at-least-once suite unchanged (ADR 0064). */
class RedisPartitionedContractTest extends AtLeastOnceTransportContract {
    static RedisServer redis;
    static RedisClient client;
    static StatefulRedisConnection<String, String> admin;
    RedisStreamsTransport current;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
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
    protected Transport create(Settings s) {
        current = RedisStreamsTransport.builder(redis.uri()).stream("contract:" + UUID.randomUUID()).partitions(4)
                .maxDeliveries(s.maxDeliveries()).redeliverAfter(s.redeliverAfter()).build();
        return current;
    }

    /** Redis keeps time itself: every partition's pending entries are aged ({@link Admin#age}). */
    @Override
    protected void passTime(Duration d) {
        for (String stream : current.streams()) {
            if (admin.sync().exists(stream) > 0) Admin.age(admin.sync(), stream, d);
        }
    }
}
