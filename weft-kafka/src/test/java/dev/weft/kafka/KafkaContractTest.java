package dev.weft.kafka;

import dev.weft.events.transport.Transport;
import dev.weft.test.AtLeastOnceTransportContract;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;

/**
 * The Kafka transport passes the at-least-once transport suite unchanged, on a real KRaft broker.
 * One partition: the suite checks publish order across event names (its fences have a name of
 * their own, and the record key is the event's name), which Kafka keeps only within a partition.
 * A bound of 2,000 unsettled records per partition: one test holds 1,000 deliveries unacknowledged
 * until its fence arrives, which the default bound (1,000) would hold back (the partition pauses
 * at the bound, as documented).
 */
class KafkaContractTest extends AtLeastOnceTransportContract {
    static KafkaCluster kafka;

    @BeforeAll
    static void startKafka() {
        kafka = KafkaCluster.shared();
    }

    @Override
    protected Transport create(Settings s) {
        return KafkaTransport.builder(kafka.bootstrap()).topic("contract." + UUID.randomUUID()).partitions(1).maxUnsettledPerPartition(2_000)
                .maxDeliveries(s.maxDeliveries()).redeliverAfter(s.redeliverAfter()).clock(s.clock()).build();
    }
}
