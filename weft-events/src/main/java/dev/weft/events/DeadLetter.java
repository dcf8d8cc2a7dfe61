package dev.weft.events;

import dev.weft.events.transport.Envelope;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * An event that a handler could not handle after every retry (rule E5), kept with its error so
 * that it can be inspected and {@linkplain EventBus#replay replayed}.
 *
 * @param id       this dead letter's id (not the event's: one event can fail in several handlers)
 * @param handler  the name of the handler that failed
 * @param event    the event, as it was emitted
 * @param error    what the last try threw; read back from a durable store (ADR 0042), an exception
 *                 whose message is the stored text's first line (the original class and message):
 *                 the exception object itself is not kept
 * @param attempts how many tries were made
 * @param time     when it was parked, on the bus's clock
 */
public record DeadLetter(UUID id, String handler, Envelope<?> event, Throwable error, int attempts, Instant time) {
    /** @throws NullPointerException if any component is null */
    public DeadLetter {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(time, "time");
    }
}
