package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.redis.RedisStreamsTransport;
import dev.weft.test.RedisCluster;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 15: `weft show` and `weft dead` work on a Redis Cluster URI (the stream's key is hash-tagged there). */
class WeftCliClusterTest {
    static RedisCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = RedisCluster.start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    @Test
    void showsAndListsDeadLettersOnACluster() {
        String stream = "cli:" + UUID.randomUUID();
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(cluster.uri()).stream(stream).maxDeliveries(1).build()) {
            for (int i = 0; i < 3; i++) t.publish(WeftCliTest.message("job " + i));
            var got = t.receive("mailers", "mailer-1", 2, Duration.ZERO);
            got.get(0).ack();
            got.get(1).reject("smtp refused");

            WeftCliTest.Run show = WeftCliTest.weft(cluster.uri(), "show", "--stream", stream);
            assertThat(show.code()).as(show.err()).isZero();
            assertThat(show.out()).contains("stream {" + stream + "}: 3 entries, 1 dead letters")
                    .containsPattern("group mailers\\s+pending\\s+0\\s+lag\\s+1");
            WeftCliTest.Run list = WeftCliTest.weft(null, "--url", cluster.uri(), "dead", "list", "--stream", stream);
            assertThat(list.out()).contains("group mailers, consumer mailer-1, 1 deliveries: smtp refused");
        }
    }
}
