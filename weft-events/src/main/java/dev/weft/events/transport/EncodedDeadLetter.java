package dev.weft.events.transport;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A dead letter as a durable store keeps it (ADR 0042): the event as the bytes its codec wrote (the
 * JSON envelope of rule E8, exactly as a transport carries it), who gave up on it, and the error as
 * text. No Java object of the event or of the exception is kept, so a store needs neither the
 * event's record type nor a codec, and a letter survives a restart, a redeploy with new classes, and
 * a look with {@code weft dead list}. A bus turns it back into a typed
 * {@link dev.weft.events.DeadLetter} with its codec and declared types when it lists or replays it.
 *
 * @param id       the letter's own id (not the event's: one event can fail in several handlers)
 * @param handler  who gave up on it: a bus handler's name ({@code "mailer"}), {@code "transport:<name>"}
 *                 for an event a bus could never publish, {@code "worker:<group>"} for a {@code Worker}'s
 * @param message  the event: its id, name and encoded envelope
 * @param error    what the last try threw, as text (see {@link #errorText}); at most
 *                 {@link #MAX_ERROR_CHARS} characters, longer text is cut
 * @param attempts how many tries were made (at least 1)
 * @param time     when it was parked; stores keep it to the millisecond
 */
public record EncodedDeadLetter(UUID id, String handler, TransportMessage message, String error, int attempts, Instant time) {

    /** The most characters of error text a letter keeps: 8,000 (the first lines of a stack trace). */
    public static final int MAX_ERROR_CHARS = 8_000;

    /**
     * @throws NullPointerException     if a component is null
     * @throws IllegalArgumentException if {@code handler} is blank or {@code attempts} is below 1
     */
    public EncodedDeadLetter {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(time, "time");
        if (handler.isBlank()) throw new IllegalArgumentException("handler is blank: name who gave up on the event");
        if (attempts < 1) throw new IllegalArgumentException("attempts is " + attempts + ": a dead letter was tried at least once");
        if (error.length() > MAX_ERROR_CHARS) error = error.substring(0, MAX_ERROR_CHARS - 1) + "…";
    }

    /**
     * {@code error} as a letter keeps it: its stack trace as {@link Throwable#printStackTrace()}
     * prints it (class, message, frames, causes), cut at {@link #MAX_ERROR_CHARS}.
     */
    public static String errorText(Throwable error) {
        Objects.requireNonNull(error, "error");
        StringWriter w = new StringWriter();
        error.printStackTrace(new PrintWriter(w));
        String text = w.toString().stripTrailing();
        return text.length() > MAX_ERROR_CHARS ? text.substring(0, MAX_ERROR_CHARS - 1) + "…" : text;
    }

    /** The first line of {@link #error}: the exception's class and message. */
    public String errorSummary() {
        int nl = error.indexOf('\n');
        return (nl < 0 ? error : error.substring(0, nl)).stripTrailing();
    }
}
