package dev.weft.cli;

import dev.weft.kafka.DeadLetterRecord;
import dev.weft.kafka.KafkaTransport;
import dev.weft.kafka.TopicInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code weft show} and {@code weft dead list|replay|purge} on a Kafka topic of {@code weft-kafka}
 * ({@code --kafka host:port}, or {@code $WEFT_KAFKA_BOOTSTRAP}): the topic's partitions, the
 * consumer groups with their committed offsets and lag, and the dead letters in
 * {@code <topic>.dead} (docs/WIRE.md).
 *
 * <p>Kafka deletes no single record: a replayed or purged dead letter is hidden by a mark in the
 * dead-letter topic (ADR 0060) and stays there until the topic's retention removes it; the purge
 * command says so.
 */
final class KafkaCommands {
    /** kafka-clients logs its settings and connections at INFO: a command line tool shows warnings only. */
    private static final Logger KAFKA_LOGS = Logger.getLogger("org.apache.kafka");

    private KafkaCommands() {}

    /**
     * The transport on {@code bootstrap} and {@code topic}, creating no topic (a missing one is an
     * error that names it), with the client settings of {@code configFile} if given.
     */
    static KafkaTransport open(String bootstrap, String topic, Path configFile, Duration timeout) {
        KAFKA_LOGS.setLevel(Level.WARNING);
        KafkaTransport.Builder b = KafkaTransport.builder(bootstrap).topic(topic).createTopics(false).publishTimeout(timeout)
                .closeTimeout(Duration.ofSeconds(2));
        if (configFile != null) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(configFile)) {
                p.load(in);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("--kafka-config " + configFile + ": no such file");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read --kafka-config " + configFile + ": " + e.getMessage(), e);
            }
            for (String key : p.stringPropertyNames()) {
                try {
                    b.property(key, p.getProperty(key));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--kafka-config " + configFile + ": " + e.getMessage(), e);
                }
            }
        }
        return b.build();
    }

    static int show(KafkaTransport t, PrintWriter out) {
        TopicInfo info = t.info();
        out.printf("topic %s: %d partition(s), %d records, %d dead letters (%s: %d records, replayed and purged ones and their marks included)%n",
                info.topic(), info.partitions().size(), info.records(), info.deadLetters(), info.deadLetterTopic(), info.deadLetterRecords());
        for (TopicInfo.Partition p : info.partitions()) {
            out.printf("  partition %-3d offsets %d to %d  leader %s  replicas %s  in sync %s%n", p.partition(), p.earliestOffset(), p.endOffset(),
                    p.leader() < 0 ? "none (offline)" : Integer.toString(p.leader()), p.replicas(), p.inSyncReplicas());
        }
        if (info.groups().isEmpty()) out.println("  no consumer groups (none has committed an offset on the topic)");
        for (TopicInfo.Group g : info.groups()) {
            out.printf("  group %-20s %-12s lag %6d%n", g.name(), g.state(), g.lag());
            for (TopicInfo.Committed c : g.committed()) {
                out.printf("    partition %-3d committed %d  lag %s%n", c.partition(), c.offset(), c.lag() < 0 ? "?" : Long.toString(c.lag()));
            }
            for (TopicInfo.Member m : g.members()) {
                out.printf("    member %s at %s  partitions %s%n", m.clientId(), m.host(), m.partitions());
            }
        }
        return 0;
    }

    static int list(KafkaTransport t, String group, int limit, PrintWriter out) {
        List<DeadLetterRecord> all = t.deadLetterRecords(group, limit);
        if (all.isEmpty()) out.println("no dead letters in " + t.deadLetterTopic() + (group != null ? " of group " + group : ""));
        for (DeadLetterRecord d : all) {
            String what = d.message() != null ? d.message().name() + " " + d.message().id() : "(not a Weft event) " + d.raw();
            out.printf("%s %d@%d  %s  group %s, consumer %s, %d deliveries, from %s: %s%n", t.deadLetterTopic(), d.partition(), d.offset(), what,
                    d.group(), d.consumer(), d.deliveries(), d.original(), d.error());
        }
        if (all.size() == limit) out.printf("(%d shown; there may be more: --limit)%n", limit);
        return 0;
    }

    static int replay(KafkaTransport t, String group, int limit, PrintWriter out, PrintWriter err) {
        List<DeadLetterRecord> letters = t.deadLetterRecords(group, limit);
        long weft = letters.stream().filter(d -> d.message() != null).count();
        WeftCli.ProgressBar bar = new WeftCli.ProgressBar(err, (int) weft);
        int n = t.replayDeadLetters(group, limit, bar::update);
        bar.done();
        out.printf("replayed %d dead letter(s) to topic %s, each marked as replayed in %s%n", n, t.topic(), t.deadLetterTopic());
        if (weft < letters.size()) {
            err.printf("weft: left %d dead letter(s) that were not Weft events in %s: there is no event to publish again;"
                    + " purge them (weft dead purge --kafka ...) once you have read them%n", letters.size() - weft, t.deadLetterTopic());
        }
        return 0;
    }

    static int purge(KafkaTransport t, String group, PrintWriter out) {
        int n = t.purgeDeadLetters(group);
        out.printf("purged %d dead letter(s): each is marked as purged in %s, so weft dead list and replay skip it. Kafka deletes no single"
                + " record: they stay in the topic until its retention (retention.ms) removes them%n", n, t.deadLetterTopic());
        return 0;
    }
}
