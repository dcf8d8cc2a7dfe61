package dev.weft.redis;

import dev.weft.test.RedisServer;

import dev.weft.events.transport.Transport;
import dev.weft.test.AtLeastOnceTransportContract;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Redis Streams transport passes the same at-least-once transport suite as the in-memory one (R1). */
class RedisStreamsContractTest extends AtLeastOnceTransportContract {
    static RedisServer redis;
    static RedisClient client;
    static StatefulRedisConnection<String, String> admin;
    String stream;

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
        stream = "contract:" + UUID.randomUUID();
        return RedisStreamsTransport.builder(redis.uri()).stream(stream).maxDeliveries(s.maxDeliveries()).redeliverAfter(s.redeliverAfter()).build();
    }

    /** Redis keeps time itself: see {@link Admin#age}. */
    @Override
    protected void passTime(Duration d) {
        Admin.age(admin.sync(), stream, d);
    }
}
