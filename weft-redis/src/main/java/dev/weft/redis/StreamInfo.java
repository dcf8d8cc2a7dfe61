package dev.weft.redis;

import java.util.List;

/**
 * A snapshot of a stream as {@link RedisStreamsTransport#info()} read it ({@code XLEN},
 * {@code XINFO GROUPS}, {@code XINFO CONSUMERS}).
 *
 * @param stream      the stream's key
 * @param length      entries in the stream
 * @param deadLetters entries in its dead-letter stream
 * @param groups      its consumer groups
 */
public record StreamInfo(String stream, long length, long deadLetters, List<Group> groups) {

    /**
     * One consumer group.
     *
     * @param name            its name
     * @param pending         entries delivered and not acknowledged
     * @param lag             entries not yet delivered to the group, or -1 if Redis cannot tell (after deletions)
     * @param lastDeliveredId the last entry id delivered to the group
     * @param consumers       its consumers
     */
    public record Group(String name, long pending, long lag, String lastDeliveredId, List<Consumer> consumers) {}

    /**
     * One consumer of a group.
     *
     * @param name       its name
     * @param pending    entries it holds unacknowledged
     * @param idleMillis how long since it last read or claimed
     */
    public record Consumer(String name, long pending, long idleMillis) {}
}
