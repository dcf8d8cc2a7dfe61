package dev.weft.examples.spring;

import dev.weft.events.EventType;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.Transport;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;

/**
 * The sightings service the Spring Boot way (README, "Spring Boot"): {@code POST /sightings}
 * stores a sighting in H2 and emits {@link SightingReported} in a {@code @Transactional} method;
 * the event waits for the transaction and for the response, then updates the statistics (a bus
 * handler) and goes through Redis Streams to the worker in this same application, which "tells the
 * birders". {@code GET /sightings/summary?species=a,b,c} reads each species' total through a
 * per-request loader: one query for all of them. {@code /actuator/weft} shows the figures.
 *
 * <p>Run it with {@code ./dev mvn -B -q -pl weft-examples-spring -am compile exec:java}; with
 * Redis, put {@code WEFT_REDIS_URL=redis://127.0.0.1:6379} in front. Without it the events go
 * through an in-memory transport (this process only), and everything else is the same.
 */
@SpringBootApplication
public class SightingsApplication {

    public static void main(String[] args) {
        SpringApplication.run(SightingsApplication.class, args);
    }

    /**
     * The event's type, with its validator: a count below 1 is refused at the emit (the answer is
     * 400). An EventType bean takes the place of the scanned @WeftEvent record.
     */
    @Bean
    EventType<SightingReported> sightingReported() {
        return EventType.of(SightingReported.class).named("sighting.reported")
                .validatedBy(s -> s.count() >= 1 ? null : "count must be at least 1, got " + s.count());
    }

    /** Without a Redis URL, an in-memory transport, so the worker still has something to consume. */
    @Bean(destroyMethod = "close")
    @ConditionalOnExpression("'${weft.redis.url:}'.isBlank()")
    Transport inMemoryTransport() {
        return InMemoryTransport.builder().name("in-memory").build();
    }
}
