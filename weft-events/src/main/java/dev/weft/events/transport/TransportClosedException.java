package dev.weft.events.transport;

/** The {@link Transport} was closed: nothing more can be published or received through it. */
public class TransportClosedException extends TransportException {
    /** For the transport named {@code transport}. */
    public TransportClosedException(String transport) {
        super("transport '" + transport + "' is closed");
    }
}
