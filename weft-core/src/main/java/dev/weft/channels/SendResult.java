package dev.weft.channels;

/**
 * What {@link SendChannel#trySend} did, and if it did not send, why.
 */
public enum SendResult {
    /** The element was handed to a waiting receiver or buffered. */
    SENT,
    /** Not sent: the buffer is full (for a rendezvous channel: no receiver is waiting). */
    FULL,
    /** Not sent: every receive handle of the channel was closed, so nobody will ever receive it. */
    CLOSED
}
