package dev.weft.bench.spring;

import dev.weft.events.EventBus;
import dev.weft.events.HandlerMode;
import dev.weft.spring.WeftEvent;
import dev.weft.spring.WeftHandler;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The Spring Boot application of {@link StarterRequestBenchmark}: two trivial endpoints, one that
 * only answers and one that also emits an event, and a {@code SYNC} handler that counts the
 * events (it runs on the request's thread, after the response was sent, when the filter is on).
 */
@SpringBootApplication
public class PingApp {

    /** The event {@code /emit} emits. */
    @WeftEvent("bench.pinged")
    public record Pinged(long n) {}

    /** The endpoints. */
    @RestController
    public static class Endpoints {
        private final EventBus bus;
        private final AtomicLong next = new AtomicLong();

        public Endpoints(EventBus bus) {
            this.bus = bus;
        }

        /** A trivial answer: what the filter's cost is measured against. */
        @GetMapping("/ping")
        public String ping() {
            return "pong";
        }

        /** The same answer after emitting one event. */
        @GetMapping("/emit")
        public String emit() {
            bus.emit(new Pinged(next.incrementAndGet()));
            return "pong";
        }
    }

    /** Counts the events handled, for the benchmark's self-check. */
    @Component
    public static class Counter {
        final AtomicLong handled = new AtomicLong();

        @WeftHandler(name = "count", mode = HandlerMode.SYNC)
        void count(Pinged p) {
            handled.incrementAndGet();
        }
    }
}
