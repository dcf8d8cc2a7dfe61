package dev.weft.spring;

import dev.weft.events.transport.Transport;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.redis.StreamInfo;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.util.ClassUtils;

/**
 * The health of Weft's transport ({@code weft} in {@code /actuator/health}): for Redis Streams, UP
 * when its stream can be read (with its length, dead letters and each group's lag), DOWN with the
 * error when Redis cannot be reached; another transport is UP with its name.
 */
public class WeftTransportHealthIndicator extends AbstractHealthIndicator {

    private static final boolean REDIS = ClassUtils.isPresent("dev.weft.redis.RedisStreamsTransport",
            WeftTransportHealthIndicator.class.getClassLoader());

    private final Transport transport;

    /** The health of {@code transport}. */
    public WeftTransportHealthIndicator(Transport transport) {
        super("Weft's transport is not reachable");
        this.transport = transport;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("transport", transport.name());
        if (REDIS && transport instanceof RedisStreamsTransport redis) {
            StreamInfo info = redis.info(); // throws when Redis cannot be reached: DOWN with the error
            builder.withDetail("stream", info.stream()).withDetail("length", info.length())
                    .withDetail("deadLetters", info.deadLetters());
            for (StreamInfo.Group g : info.groups()) builder.withDetail("lag." + g.name(), g.lag());
        }
        builder.up();
    }
}
