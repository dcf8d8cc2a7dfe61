package dev.weft.cli;

import dev.weft.cli.StoreCommands.OpenStore;
import dev.weft.cli.StoreCommands.StoreOptions;
import dev.weft.kafka.KafkaTransport;
import dev.weft.redis.DeadLetterEntry;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.redis.StreamInfo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code weft}: looks at and repairs the Redis streams and Kafka topics of Weft's transports.
 *
 * <pre>
 * weft show   --stream sightings                  length, dead letters, groups (pending, lag), consumers (pending, idle)
 * weft dead list    --stream sightings [--group g] [--limit 20]
 * weft dead replay  --stream sightings [--group g] [--limit N]   with a progress bar
 * weft dead purge   --stream sightings [--group g] --yes
 *
 * weft show         --kafka host:port --topic sightings          partitions, dead letters, groups (committed offsets, lag, members)
 * weft dead list    --kafka host:port --topic sightings [--group g] [--limit 20]
 * weft dead replay  --kafka host:port --topic sightings [--group g] [--limit N]
 * weft dead purge   --kafka host:port --topic sightings [--group g] --yes   (hides them: Kafka deletes no single record)
 *
 * weft dead list    --jdbc jdbc:postgresql://db/app [--table t] [--handler h] [--id letter] [--limit 20]
 * weft dead replay  --jdbc jdbc:postgresql://db/app [--handler h] [--id letter] --stream sightings
 * weft dead purge   --jdbc jdbc:postgresql://db/app [--handler h] [--id letter] --yes
 * (the same with --key weft:dead-letters for the dead-letter store on a Redis stream)
 * </pre>
 *
 * <p>Without {@code --jdbc} or {@code --key}, {@code weft dead} works on the stream's own dead
 * letters ({@code <stream>:dead}, written by consumers that gave up on an entry). With one of them
 * it works on a durable dead-letter store (ADR 0042) that a bus or a worker writes:
 * {@code JdbcDeadLetterStore}'s table or {@code RedisDeadLetterStore}'s stream. {@code replay}
 * publishes a store's letter to {@code --stream}, as a new entry with the event's id and bytes, and
 * then removes it from the store; only letters of a worker ({@code worker:<group>}) or of a bus's
 * transport ({@code transport:<name>}) can be replayed so, since a bus's own handlers run in its
 * service ({@code EventBus.replay}, {@code replayAll}).
 *
 * <p>The Redis URI comes from {@code --url} or {@code WEFT_REDIS_URL} (default
 * {@code redis://127.0.0.1:6379}) or is a Redis Cluster's ({@code redis-cluster://host:port,host:port});
 * it may hold a user and password, which are never printed. Kafka is chosen by {@code --kafka}
 * ({@code host:port[,host:port]}), or by {@code WEFT_KAFKA_BOOTSTRAP} when {@code --url} is not
 * given; its client settings (SASL, TLS) come from a properties file, {@code --kafka-config}, and
 * are never printed. The Kafka commands create no topic. A JDBC URL may name the user
 * ({@code ?user=..}, or {@code --jdbc-user}); the password comes from {@code WEFT_JDBC_PASSWORD}
 * (an option would show in the process list) or the URL.
 * Exit code 0 on success, 1 when Redis or the database fails (the message says why), 2 for bad usage.
 */
@Command(name = "weft", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "weft 0.1.0",
        description = "Shows Weft's Redis streams or Kafka topics and their consumer groups; lists, replays and purges dead letters.",
        subcommands = {WeftCli.Show.class, WeftCli.Dead.class})
public final class WeftCli {

    @Option(names = "--url", scope = CommandLine.ScopeType.INHERIT, description = "Redis URI (redis://[user:password@]host:port, rediss:// for TLS, redis-cluster://host:port,host:port for a Redis Cluster); default: $WEFT_REDIS_URL or redis://127.0.0.1:6379")
    String url;

    @Option(names = "--stream", description = "the stream's key (default: ${DEFAULT-VALUE})", defaultValue = "weft:events", scope = CommandLine.ScopeType.INHERIT)
    String stream;

    @Option(names = "--kafka", paramLabel = "<host:port>", scope = CommandLine.ScopeType.INHERIT,
            description = "Kafka instead of Redis: bootstrap servers host:port[,host:port]; default: $WEFT_KAFKA_BOOTSTRAP unless --url is given")
    String kafka;

    @Option(names = "--topic", paramLabel = "<topic>", defaultValue = "weft.events", scope = CommandLine.ScopeType.INHERIT,
            description = "with Kafka: the transport's topic (default: ${DEFAULT-VALUE}); its dead letters are in <topic>.dead")
    String topic;

    @Option(names = "--kafka-config", paramLabel = "<file>", scope = CommandLine.ScopeType.INHERIT,
            description = "with Kafka: a properties file of client settings (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.*); never printed")
    Path kafkaConfig;

    @Option(names = "--kafka-timeout", paramLabel = "<seconds>", defaultValue = "15", scope = CommandLine.ScopeType.INHERIT,
            description = "with Kafka: how long to wait for an answer (default: ${DEFAULT-VALUE} s)")
    int kafkaTimeoutSeconds;

    @Spec
    CommandLine.Model.CommandSpec spec;

    private WeftCli() {}

    String jdbcPassword() {
        return jdbcPassword;
    }

    /** Runs the tool; exits with its exit code. */
    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), System.getenv(), args));
    }

    /** Runs the tool with these streams and {@code WEFT_REDIS_URL}; returns the exit code (for tests). */
    public static int run(PrintWriter out, PrintWriter err, String envUrl, String... args) {
        return run(out, err, envUrl == null ? Map.of() : Map.of("WEFT_REDIS_URL", envUrl), args);
    }

    /**
     * Runs the tool with these streams and environment ({@code WEFT_REDIS_URL}, {@code WEFT_KAFKA_BOOTSTRAP},
     * {@code WEFT_JDBC_PASSWORD}); returns the exit code.
     */
    public static int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
        WeftCli root = new WeftCli();
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("weft: " + e.getMessage());
            return e instanceof CommandLine.ParameterException ? 2 : 1;
        });
        root.envUrl = env.get("WEFT_REDIS_URL");
        root.envKafka = env.get("WEFT_KAFKA_BOOTSTRAP");
        root.jdbcPassword = env.get("WEFT_JDBC_PASSWORD");
        return cl.execute(args);
    }

    private String envUrl;
    private String envKafka;
    private String jdbcPassword;

    /** The stream's transport, with the number of partitions recorded for it (a partitioned stream is read whole). */
    RedisStreamsTransport open() {
        RedisStreamsTransport t = RedisStreamsTransport.builder(redisUrl()).stream(stream).build();
        int n;
        try {
            n = t.recordedPartitions().orElse(1);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        if (n <= 1) return t;
        t.close();
        return RedisStreamsTransport.builder(redisUrl()).stream(stream).partitions(n).build();
    }

    /**
     * Kafka's bootstrap servers when the command is for Kafka, else null: {@code --kafka}, or
     * {@code $WEFT_KAFKA_BOOTSTRAP} unless {@code --url} names a Redis.
     *
     * @throws CommandLine.ParameterException when both {@code --kafka} and {@code --url} are given
     */
    String kafkaBootstrap() {
        if (kafka != null && url != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--kafka and --url name two transports: give one");
        }
        if (kafka != null) return kafka;
        if (url == null && envKafka != null && !envKafka.isBlank()) return envKafka.trim();
        return null;
    }

    KafkaTransport openKafka(String bootstrap) {
        if (kafkaTimeoutSeconds < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--kafka-timeout is " + kafkaTimeoutSeconds + ": at least 1 second");
        return KafkaCommands.open(bootstrap, topic, kafkaConfig, Duration.ofSeconds(kafkaTimeoutSeconds));
    }

    String redisUrl() {
        return url != null ? url : envUrl != null && !envUrl.isBlank() ? envUrl : "redis://127.0.0.1:6379";
    }

    @Command(name = "show", description = {"Shows the stream: length, dead letters, consumer groups (pending, lag) and their consumers (pending, idle).",
            "With --kafka: the topic's partitions (offsets, leader, replicas), its dead letters, and the consumer groups"
                    + " (committed offset and lag per partition, members)."})
    static final class Show implements Callable<Integer> {
        @ParentCommand
        WeftCli root;

        @Override
        public Integer call() {
            PrintWriter out = root.spec.commandLine().getOut();
            String kafka = root.kafkaBootstrap();
            if (kafka != null) {
                try (KafkaTransport t = root.openKafka(kafka)) {
                    return KafkaCommands.show(t, out);
                }
            }
            try (RedisStreamsTransport t = root.open()) {
                StreamInfo info = t.info();
                out.printf("stream %s: %d entries, %d dead letters (%s)%n", info.stream(), info.length(), info.deadLetters(), t.deadLetterStream());
                if (info.groups().isEmpty()) out.println("  no consumer groups");
                for (StreamInfo.Group g : info.groups()) {
                    out.printf("  group %-20s pending %6d  lag %6s  last delivered %s%n", g.name(), g.pending(), g.lag() < 0 ? "?" : Long.toString(g.lag()), g.lastDeliveredId());
                    for (StreamInfo.Consumer c : g.consumers()) {
                        out.printf("    consumer %-20s pending %6d  idle %s%n", c.name(), c.pending(), idle(c.idleMillis()));
                    }
                }
            }
            return 0;
        }

        static String idle(long ms) {
            if (ms < 1000) return ms + " ms";
            if (ms < 120_000) return (ms / 1000) + " s";
            if (ms < 7_200_000) return (ms / 60_000) + " min";
            return (ms / 3_600_000) + " h";
        }
    }

    @Command(name = "dead", description = "Dead letters: list, replay, purge.", subcommands = {List_.class, Replay.class, Purge.class})
    static final class Dead {
        @ParentCommand
        WeftCli root;
    }

    @Command(name = "list", description = "Lists dead letters, oldest first.")
    static final class List_ implements Callable<Integer> {
        @ParentCommand
        Dead dead;

        @Mixin
        StoreOptions store;

        @Option(names = "--group", description = "only this consumer group's (the stream's or topic's own dead letters)")
        String group;

        @Option(names = "--limit", defaultValue = "20", description = "at most this many (default: ${DEFAULT-VALUE})")
        int limit;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = dead.root.spec.commandLine().getOut();
            if (store.chosen(dead.root.spec, group)) {
                try (OpenStore s = store.open(dead.root)) {
                    return StoreCommands.list(s.store(), store, limit, out);
                }
            }
            String kafka = dead.root.kafkaBootstrap();
            if (kafka != null) {
                try (KafkaTransport t = dead.root.openKafka(kafka)) {
                    return KafkaCommands.list(t, group, limit, out);
                }
            }
            try (RedisStreamsTransport t = dead.root.open()) {
                List<DeadLetterEntry> all = t.deadLetterEntries(group, limit);
                if (all.isEmpty()) out.println("no dead letters");
                for (DeadLetterEntry d : all) {
                    String what = d.message() != null ? d.message().name() + " " + d.message().id() : "(not a Weft entry) " + d.raw();
                    out.printf("%s  %s  group %s, consumer %s, %d deliveries: %s%n", d.deadLetterId(), what, d.group(), d.consumer(), d.deliveries(), d.error());
                }
            }
            return 0;
        }
    }

    @Command(name = "replay", description = {"Publishes dead letters again as new entries of --stream (every group sees them again; consumers de-duplicate by id).",
            "With --kafka: as new records of --topic, each dead letter then marked as replayed in <topic>.dead."})
    static final class Replay implements Callable<Integer> {
        @ParentCommand
        Dead dead;

        @Mixin
        StoreOptions store;

        @Option(names = "--group", description = "only this consumer group's (the stream's or topic's own dead letters)")
        String group;

        @Option(names = "--limit", defaultValue = "2147483647", description = "at most this many")
        int limit;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = dead.root.spec.commandLine().getOut();
            PrintWriter err = dead.root.spec.commandLine().getErr();
            String kafka = dead.root.kafkaBootstrap();
            if (store.chosen(dead.root.spec, group)) {
                if (kafka != null) {
                    try (OpenStore s = store.open(dead.root); KafkaTransport t = dead.root.openKafka(kafka)) {
                        return StoreCommands.replay(s.store(), store, limit, t, "topic " + t.topic(), out, err);
                    }
                }
                try (OpenStore s = store.open(dead.root); RedisStreamsTransport t = dead.root.open()) {
                    return StoreCommands.replay(s.store(), store, limit, t, t.stream(), out, err);
                }
            }
            if (kafka != null) {
                try (KafkaTransport t = dead.root.openKafka(kafka)) {
                    return KafkaCommands.replay(t, group, limit, out, err);
                }
            }
            try (RedisStreamsTransport t = dead.root.open()) {
                int total = (int) t.deadLetterEntries(group, limit).stream().filter(d -> d.message() != null).count();
                ProgressBar bar = new ProgressBar(err, total);
                int n = t.replayDeadLetters(group, limit, bar::update);
                bar.done();
                out.printf("replayed %d dead letter(s) to %s%n", n, t.stream());
            }
            return 0;
        }
    }

    @Command(name = "purge", description = {"Deletes dead letters for good.",
            "With --kafka: marks them as purged in <topic>.dead, so list and replay skip them; Kafka deletes no single record,"
                    + " so they stay in the topic until its retention removes them."})
    static final class Purge implements Callable<Integer> {
        @ParentCommand
        Dead dead;

        @Mixin
        StoreOptions store;

        @Option(names = "--group", description = "only this consumer group's (the stream's or topic's own dead letters)")
        String group;

        @Option(names = "--yes", description = "really delete them")
        boolean yes;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = dead.root.spec.commandLine().getOut();
            boolean fromStore = store.chosen(dead.root.spec, group);
            String kafka = fromStore ? null : dead.root.kafkaBootstrap();
            if (!yes) {
                dead.root.spec.commandLine().getErr().println(kafka != null
                        ? "weft: purge hides dead letters for good (Kafka deletes them only with the topic's retention); add --yes to do it"
                        : "weft: purge deletes dead letters for good; add --yes to do it");
                return 2;
            }
            if (fromStore) {
                try (OpenStore s = store.open(dead.root)) {
                    return StoreCommands.purge(s.store(), store, out);
                }
            }
            if (kafka != null) {
                try (KafkaTransport t = dead.root.openKafka(kafka)) {
                    return KafkaCommands.purge(t, group, out);
                }
            }
            try (RedisStreamsTransport t = dead.root.open()) {
                out.printf("purged %d dead letter(s)%n", t.purgeDeadLetters(group));
            }
            return 0;
        }
    }

    /** A text progress bar on one line of the error stream: {@code [#########...........]  45/100}. */
    static final class ProgressBar {
        private static final int WIDTH = 30;
        private final PrintWriter to;
        private final int total;
        private int shown = -1;

        ProgressBar(PrintWriter to, int total) {
            this.to = to;
            this.total = total;
        }

        void update(int done) {
            int filled = total == 0 ? WIDTH : (int) ((long) done * WIDTH / total);
            if (filled == shown && done != total) return; // redraw only when the bar moves
            shown = filled;
            to.print("\r[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + done + "/" + total);
            to.flush();
        }

        void done() {
            if (shown >= 0) to.println();
        }
    }
}
