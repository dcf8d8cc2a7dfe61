/** The {@code weft} command-line tool: streams, topics, consumer groups and dead letters in Redis and Kafka, dead letters in a database. */
@SuppressWarnings("requires-automatic")
module dev.weft.cli {
    requires dev.weft.redis;
    requires dev.weft.jdbc;
    requires dev.weft.kafka;
    requires java.logging;
    requires info.picocli;

    opens dev.weft.cli to info.picocli;
}
