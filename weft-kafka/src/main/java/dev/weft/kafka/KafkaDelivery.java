package dev.weft.kafka;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportMessage;

/** One hand-out of a record by a {@link GroupMember}; settling it goes back to the member. */
final class KafkaDelivery implements Delivery {
    private final GroupMember member;
    private final GroupMember.Entry entry;
    private final int seq;
    private final int count;
    private final String consumer;

    KafkaDelivery(GroupMember member, GroupMember.Entry entry, int seq, int count, String consumer) {
        this.member = member;
        this.entry = entry;
        this.seq = seq;
        this.count = count;
        this.consumer = consumer;
    }

    @Override
    public TransportMessage message() {
        return entry.message;
    }

    @Override
    public int deliveryCount() {
        return count;
    }

    /**
     * Marks the record handled; its offset is committed once every earlier record of its
     * partition is settled too (by the member's poll thread, within about 100 ms). Returns without
     * waiting for that commit: after a crash, what was acknowledged and not yet committed is
     * delivered again (consumers de-duplicate by id).
     */
    @Override
    public void ack() {
        member.ack(entry);
    }

    @Override
    public void reject(String reason) {
        member.reject(entry, seq, consumer, reason == null ? "rejected" : reason);
    }

    @Override
    public void deadLetter(String reason) {
        member.deadLetter(entry, seq, consumer, reason == null ? "dead-lettered" : reason);
    }

    @Override
    public String toString() {
        return "KafkaDelivery[" + entry.record.topic() + "-" + entry.record.partition() + "@" + entry.record.offset() + ", " + message()
                + ", delivery " + count + "]";
    }
}
