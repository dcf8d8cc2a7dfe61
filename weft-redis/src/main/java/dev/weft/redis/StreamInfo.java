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
     * The partitions of a partitioned stream as one: lengths, dead letters, pending and lag added
     * up (lag -1 if any partition cannot tell), a consumer's pending added up and its smallest
     * idle time; a group's last delivered id is the latest of its partitions'.
     */
    static StreamInfo sum(String stream, List<StreamInfo> parts) {
        long length = 0, dead = 0;
        java.util.Map<String, long[]> groups = new java.util.LinkedHashMap<>(); // pending, lag
        java.util.Map<String, String> last = new java.util.HashMap<>();
        java.util.Map<String, java.util.Map<String, long[]>> consumers = new java.util.HashMap<>(); // pending, idle
        for (StreamInfo p : parts) {
            length += p.length();
            dead += p.deadLetters();
            for (Group g : p.groups()) {
                long[] pl = groups.computeIfAbsent(g.name(), k -> new long[2]);
                pl[0] += g.pending();
                pl[1] = pl[1] < 0 || g.lag() < 0 ? -1 : pl[1] + g.lag();
                last.merge(g.name(), g.lastDeliveredId(), (a, b) -> RedisStreamsTransport.compareIds(a, b) >= 0 ? a : b);
                var cs = consumers.computeIfAbsent(g.name(), k -> new java.util.LinkedHashMap<>());
                for (Consumer c : g.consumers()) {
                    long[] pi = cs.computeIfAbsent(c.name(), k -> new long[] {0, Long.MAX_VALUE});
                    pi[0] += c.pending();
                    pi[1] = Math.min(pi[1], c.idleMillis());
                }
            }
        }
        List<Group> out = new java.util.ArrayList<>();
        for (var e : groups.entrySet()) {
            List<Consumer> cs = consumers.get(e.getKey()).entrySet().stream().map(c -> new Consumer(c.getKey(), c.getValue()[0], c.getValue()[1])).toList();
            out.add(new Group(e.getKey(), e.getValue()[0], e.getValue()[1], last.get(e.getKey()), cs));
        }
        return new StreamInfo(stream, length, dead, List.copyOf(out));
    }

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
