package dev.weft.events;

/**
 * {@link EventBus#emit} refused an event; nothing of it was dispatched or held (rules E3, E7).
 * The message names the event and the problem.
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public class EventRejectedException extends RuntimeException {

    /** Why an event was refused. */
    public enum Reason {
        /** Its type was not declared on the bus (E3). */
        UNDECLARED,
        /** Its payload failed validation (E3). */
        INVALID,
        /**
         * A transport of the bus takes it, and the bus's {@link dev.weft.events.transport.EventCodec EventCodec} cannot encode its
         * payload (E3): usually a payload type the codec does not know how to write.
         */
        UNENCODABLE,
        /** The dispatch queue was full and the policy is {@link FullPolicy#FAIL} (E7). */
        QUEUE_FULL,
        /** The bus was closed. */
        CLOSED,
        /**
         * The bus writes the event to an {@link dev.weft.events.transport.Outbox Outbox} (a transactional outbox), and the emitting
         * thread runs in no unit of work of that outbox: there is no transaction to store it with,
         * and the bus does not fall back to memory (ADR 0040).
         */
        NO_UNIT_OF_WORK
    }

    private final Reason reason;
    private final String eventName;

    /** A rejection of the event named {@code eventName} (or the type name, if undeclared). */
    public EventRejectedException(Reason reason, String eventName, String message) {
        super(message);
        this.reason = java.util.Objects.requireNonNull(reason, "reason");
        this.eventName = java.util.Objects.requireNonNull(eventName, "eventName");
    }

    /** Why the event was refused. */
    public Reason reason() {
        return reason;
    }

    /** The event's declared name, or its type's name if it was not declared. */
    public String eventName() {
        return eventName;
    }
}
