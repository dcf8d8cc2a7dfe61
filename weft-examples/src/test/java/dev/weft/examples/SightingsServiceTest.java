package dev.weft.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.test.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Issue 6, item 9: the sightings service runs on the in-memory transport by default, and on Redis. */
class SightingsServiceTest {

    static String run(String redisUrl) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            SightingsService.run(out, redisUrl);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void runsOnTheInMemoryTransportByDefaultAndSaysWhatHappened() throws Exception {
        String out = run(null);
        assertThat(out).contains("events through in-memory").contains("set WEFT_REDIS_URL")
                .contains("-> 201 recorded 2 kestrel").contains("-> 400")
                .contains("[worker] birders told: 1 owl")
                .contains("local statistics after the responses: {kestrel=5, owl=1}")
                .contains("worker handled 3 of 3 accepted sightings");
    }

    @Test
    void runsOnRedisWhenAUrlIsGiven() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            String out = run(redis.uri());
            assertThat(out).contains("events through redis-streams:sightings")
                    .contains("local statistics after the responses: {kestrel=5, owl=1}")
                    .contains("worker handled 3 of 3 accepted sightings");
        }
    }
}
