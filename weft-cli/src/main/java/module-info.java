/** The {@code weft} command-line tool: streams, consumer groups and dead letters in Redis. */
@SuppressWarnings("requires-automatic")
module dev.weft.cli {
    requires dev.weft.redis;
    requires info.picocli;

    opens dev.weft.cli to info.picocli;
}
