package dev.weft.channels;

/**
 * An operation on a channel that can never succeed: sending when every receiver was closed,
 * receiving when the send side is closed and the buffer drained, or using a handle after it was
 * closed. A send that throws it did not send its element (rule C4). The message says which case
 * it is and what to do.
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public final class ChannelClosedException extends IllegalStateException {
    ChannelClosedException(String message) {
        super(message);
    }
}
