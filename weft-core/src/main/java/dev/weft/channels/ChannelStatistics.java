package dev.weft.channels;

/**
 * An immutable snapshot of a channel, taken by {@code statistics()} on the channel or either of
 * its ends (after AnyIO's {@code MemoryObjectStreamStatistics}): never live state.
 *
 * @param name             the channel's name
 * @param bufferUsed       elements buffered now
 * @param capacity         buffer size: 0 for a rendezvous channel, {@link Channel#UNBOUNDED} for an unbounded one
 * @param openSenders      send handles not yet closed (clones included)
 * @param openReceivers    receive handles not yet closed (clones included)
 * @param waitingSenders   threads blocked in {@code send} (or a select clause sending to it)
 * @param waitingReceivers threads blocked in {@code receive} (or a select clause receiving from it)
 * @param discarded        elements dropped because every receiver was closed while they were buffered
 */
public record ChannelStatistics(String name, int bufferUsed, int capacity, int openSenders, int openReceivers,
                                int waitingSenders, int waitingReceivers, long discarded) {}
