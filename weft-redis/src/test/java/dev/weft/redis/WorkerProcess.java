package dev.weft.redis;

import dev.weft.events.worker.Worker;
import dev.weft.events.EventName;
import dev.weft.events.jackson.JacksonEventCodec;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker in a process of its own, for the kill -9 test. Every event it handles is recorded with
 * {@code RPUSH <stream>:handled <event id>}; after {@code hangAfter} events its handlers stop
 * returning (they write {@code <stream>:hung} and wait forever), so the test can kill it while it
 * holds unacknowledged deliveries.
 *
 * <p>Arguments: redis URI, stream, group, consumer, hangAfter.
 */
public final class WorkerProcess {
    @EventName("job.submitted")
    public record JobSubmitted(int n) {}

    private WorkerProcess() {}

    public static void main(String[] args) throws Exception {
        String uri = args[0], stream = args[1], group = args[2], consumer = args[3];
        int hangAfter = Integer.parseInt(args[4]);
        RedisClient client = RedisClient.create(uri);
        StatefulRedisConnection<String, String> conn = client.connect();
        RedisCommands<String, String> r = conn.sync();
        AtomicInteger handled = new AtomicInteger();
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(uri).stream(stream).redeliverAfter(Duration.ofMillis(500)).build()) {
            Worker w = Worker.builder(t, new JacksonEventCodec()).group(group).consumer(consumer).concurrency(4).batchSize(16)
                    .pollWait(Duration.ofMillis(100))
                    .on(JobSubmitted.class, job -> {
                        if (handled.incrementAndGet() > hangAfter) {
                            r.set(stream + ":hung", consumer);
                            new CountDownLatch(1).await(); // until killed
                        }
                        r.rpush(stream + ":handled", Integer.toString(job.n()));
                    }).build();
            w.run();
        }
    }
}
