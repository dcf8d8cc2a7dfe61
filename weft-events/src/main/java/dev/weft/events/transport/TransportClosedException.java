package dev.weft.events.transport;

/** The {@link Transport} was closed: nothing more can be published or received through it. */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public class TransportClosedException extends TransportException {
    /** For the transport named {@code transport}. */
    public TransportClosedException(String transport) {
        super("transport '" + transport + "' is closed");
    }
}
