package dev.weft.kafka;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The main class of one Kafka node (broker and KRaft controller in one process) that
 * {@link KafkaCluster} starts in a JVM of its own: formats the node's log directory (as
 * {@code kafka-storage.sh format} does) unless that was done before, then runs Kafka's own
 * {@code kafka.Kafka} main. It stops itself when its standard input closes, so a test JVM that
 * dies (killed by a timeout) leaves no broker behind.
 *
 * <p>Arguments: the node's {@code server.properties}, the cluster id.
 */
public final class BrokerMain {
    private BrokerMain() {}

    public static void main(String[] args) throws Exception {
        Path props = Path.of(args[0]);
        String clusterId = args[1];
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the test JVM writes nothing; EOF means it is gone
                }
            } catch (IOException gone) {
                // same
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Path formatted = props.resolveSibling(props.getFileName() + ".formatted");
        if (!Files.exists(formatted)) {
            int code = kafka.tools.StorageTool.execute(
                    new String[] {"format", "-t", clusterId, "-c", props.toString(), "--ignore-formatted"}, new PrintStream(System.out, true));
            if (code != 0) {
                System.err.println("formatting the log directory failed with exit code " + code);
                Runtime.getRuntime().halt(2);
            }
            try {
                Files.createFile(formatted);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        kafka.Kafka.main(new String[] {props.toString()});
    }
}
