package dev.weft.bench.modulith;

import java.util.concurrent.Executor;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;
import org.springframework.stereotype.Component;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * The Spring Boot application of {@link ModulithRegistryBenchmark}: a service whose transaction
 * inserts a row and publishes an event, and one transactional listener of that event, without
 * which Modulith records nothing. The listener runs {@code @Async} on {@code parked}, an executor
 * that drops what it is given: the publication is written in the business transaction and then
 * stays incomplete, as a Weft outbox row stays until a relay publishes it.
 */
@SpringBootApplication
@EnableAsync
public class RegistryApp {

    /** The event: the same fields as OutboxBenchmark's. */
    public record SightingReported(long id, String species, int count) {}

    /** The listener's executor: never runs a task (the relay's side is not measured). */
    @Bean
    public Executor parked() {
        return task -> {};
    }

    /** The business code. */
    @Service
    public static class Sightings {
        private final JdbcTemplate jdbc;
        private final ApplicationEventPublisher events;

        public Sightings(JdbcTemplate jdbc, ApplicationEventPublisher events) {
            this.jdbc = jdbc;
            this.events = events;
        }

        /** Inserts one row. */
        @Transactional
        public long insert(long id) {
            jdbc.update("INSERT INTO sightings (id, species, n) VALUES (?, 'kestrel', 2)", id);
            return id;
        }

        /** Inserts one row and publishes its event, which Modulith records in this transaction. */
        @Transactional
        public long insertAndPublish(long id) {
            jdbc.update("INSERT INTO sightings (id, species, n) VALUES (?, 'kestrel', 2)", id);
            events.publishEvent(new SightingReported(id, "kestrel", 2));
            return id;
        }
    }

    /** The one listener: Modulith writes one publication per transactional listener. */
    @Component
    public static class Mailer {
        /** Would mail the sighting; never runs here. */
        @Async("parked")
        @TransactionalEventListener
        public void on(SightingReported event) {
            throw new AssertionError("the parked executor runs nothing");
        }
    }
}
