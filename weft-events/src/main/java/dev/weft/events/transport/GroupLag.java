package dev.weft.events.transport;

/**
 * How far a consumer group is behind, as its {@link Transport} reads it ({@link Transport#lag}).
 *
 * @param undelivered messages published that the group has not been handed yet
 * @param pending     messages handed to the group's consumers and not acknowledged yet (being
 *                    handled, waiting for redelivery, or held by a consumer that went away)
 */
public record GroupLag(long undelivered, long pending) {

    /**
     * @throws IllegalArgumentException if a count is negative
     */
    public GroupLag {
        if (undelivered < 0 || pending < 0) {
            throw new IllegalArgumentException("a group's lag cannot be negative: undelivered " + undelivered + ", pending " + pending);
        }
    }

    /** What the group has yet to finish: {@code undelivered + pending}. */
    public long total() {
        return undelivered + pending;
    }
}
