/** The {@code weft} command-line tool: streams, consumer groups and dead letters in Redis, dead letters in a database. */
@SuppressWarnings("requires-automatic")
module dev.weft.cli {
    requires dev.weft.redis;
    requires dev.weft.jdbc;
    requires info.picocli;

    opens dev.weft.cli to info.picocli;
}
