package dev.weft.kafka;

import java.util.List;

/**
 * A snapshot of a topic as {@link KafkaTransport#info()} read it through Kafka's admin API: its
 * partitions, its dead letters, and the consumer groups that committed offsets on it.
 *
 * @param topic             the topic
 * @param partitions        its partitions, by number
 * @param deadLetters       dead letters in the dead-letter topic not yet replayed or purged (every group)
 * @param groups            the consumer groups with committed offsets on the topic
 * @param deadLetterTopic   the dead-letter topic ({@code <topic>.dead} unless the builder named another)
 * @param deadLetterRecords records retained in the dead-letter topic: dead letters, replayed and purged
 *                          ones included (Kafka deletes no single record), and the marks that settle them
 */
public record TopicInfo(String topic, List<Partition> partitions, long deadLetters, List<Group> groups, String deadLetterTopic,
                        long deadLetterRecords) {

    /** Records retained in the topic now (end offset minus earliest offset, summed over partitions). */
    public long records() {
        long n = 0;
        for (Partition p : partitions) n += p.endOffset() - p.earliestOffset();
        return n;
    }

    /**
     * One partition.
     *
     * @param partition      its number
     * @param earliestOffset the first offset still retained
     * @param endOffset      the offset the next record gets
     * @param leader         the broker that leads it, or -1 when none does (offline)
     * @param replicas       the brokers that hold it
     * @param inSyncReplicas the replicas that are caught up
     */
    public record Partition(int partition, long earliestOffset, long endOffset, int leader, List<Integer> replicas, List<Integer> inSyncReplicas) {}

    /**
     * One consumer group.
     *
     * @param name    its id
     * @param state   the broker's word for it ({@code Stable}, {@code Empty}, {@code PreparingRebalance}, ...)
     * @param lag       records not yet committed by the group, summed over the topic's partitions
     * @param members   its members now, with the partitions they hold
     * @param committed its committed offsets, by partition (partitions it never committed on are absent)
     */
    public record Group(String name, String state, long lag, List<Member> members, List<Committed> committed) {}

    /**
     * A group's committed offset on one partition: the first record it has not settled (ADR 0060).
     *
     * @param partition the partition
     * @param offset    the committed offset
     * @param lag       records from there to the partition's end
     */
    public record Committed(int partition, long offset, long lag) {}

    /**
     * One member of a group: a process (a {@link KafkaTransport} in it) with the partitions it holds.
     *
     * @param clientId   the client id it connected with
     * @param host       where it connected from
     * @param partitions the partitions of this topic assigned to it
     */
    public record Member(String clientId, String host, List<Integer> partitions) {}
}
