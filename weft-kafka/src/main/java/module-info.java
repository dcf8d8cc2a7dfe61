/**
 * Weft's Kafka transport: {@link dev.weft.kafka.KafkaTransport}, an at-least-once
 * {@link dev.weft.events.transport.Transport} on Apache Kafka topics and consumer groups, on
 * kafka-clients (ADR 0060).
 *
 * <p>The one exported package, {@code dev.weft.kafka}, is the whole API; the implementation in it
 * is package-private. No Kafka type appears in the API: client settings go in as strings.
 */
// kafka-clients has no module descriptor and no Automatic-Module-Name: its automatic module's
// name, kafka.clients, comes from the jar's file name.
@SuppressWarnings("requires-automatic")
module dev.weft.kafka {
    requires transitive dev.weft.events;
    requires kafka.clients;

    exports dev.weft.kafka;
}
