package dev.weft.events.transport;

/**
 * A {@link Transport} could not do what was asked: the broker is down, refused the message, or
 * the transport is closed. Publishing that throws this was not confirmed: the bus retries it by
 * the transport outbox's {@link dev.weft.RetryPolicy RetryPolicy}, then parks the event in the dead-letter store.
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public class TransportException extends RuntimeException {
    /** With a message that says what failed and what to do. */
    public TransportException(String message) {
        super(message);
    }

    /** With a message and the broker client's error. */
    public TransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
