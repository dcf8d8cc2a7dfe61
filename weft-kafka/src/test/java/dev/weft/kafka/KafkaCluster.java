package dev.weft.kafka;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.test.Poll;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * Real Kafka for the tests, without Docker: {@code n} KRaft nodes (each a broker and a controller
 * in one process), each in a JVM of its own, run from the {@code kafka_2.13} jar that Maven
 * resolved for weft-kafka's tests (so nothing is downloaded at run time). The broker JVMs get a
 * class path of their own ({@link #brokerClassPath()}), never the one of the JVM that starts them. Each node listens on free ports of
 * 127.0.0.1 and keeps its log in a temporary folder; {@link #kill} stops one the hard way
 * ({@code SIGKILL}), {@link #restart} brings it back with its log.
 *
 * <p>Settings are picked for a small machine and short tests: 1 partition for the offsets topic,
 * no initial rebalance delay, a broker fenced 3 s after its last heartbeat (so a killed broker
 * leaves the in-sync replicas within seconds, not 30), small thread pools, the client-side JIT
 * only. Replication factors follow the node count: with 3 nodes, topics get 3 replicas and
 * {@code min.insync.replicas=2}.
 *
 * <p>If the Kafka server's jars are not there, or the first node does not start, the test is
 * skipped (a JUnit assumption) with the reason; with {@code CI=true} it fails instead, since CI
 * must run these tests.
 *
 * <p>Public, in weft-kafka's test jar, for the tests of weft-cli and weft-examples and for
 * weft-bench's KafkaBench: they depend on that jar only, not on Kafka's server.
 */
public final class KafkaCluster implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static KafkaCluster shared;

    private final Path dir;
    private final String clusterId = Uuid.randomUuid().toString();
    private final int[] ports;
    private final int[] controllerPorts;
    private final Process[] processes;
    private final String classPath;

    private KafkaCluster(Path dir, int nodes, String classPath) {
        this.dir = dir;
        this.classPath = classPath;
        this.processes = new Process[nodes];
        int[] free = freePorts(2 * nodes);
        this.ports = new int[nodes];
        this.controllerPorts = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            ports[i] = free[2 * i];
            controllerPorts[i] = free[2 * i + 1];
        }
    }

    /**
     * One node shared by every test class of this JVM (started by the first to ask, stopped when
     * the JVM exits): the contract suites and the transport's own tests make their own topics.
     */
    public static synchronized KafkaCluster shared() {
        if (shared == null) {
            KafkaCluster c = start(1);
            Runtime.getRuntime().addShutdownHook(new Thread(c::close, "kafka-test-cluster-stop"));
            shared = c;
        }
        return shared;
    }

    /** Starts {@code nodes} nodes and returns once all of them are brokers in the cluster. */
    public static KafkaCluster start(int nodes) {
        String classPath = brokerClassPath();
        Path dir;
        try {
            dir = Files.createTempDirectory("weft-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KafkaCluster c = new KafkaCluster(dir, nodes, classPath);
        long started = System.nanoTime();
        try {
            for (int i = 0; i < nodes; i++) c.launch(i);
            c.awaitBrokers(nodes, START_TIMEOUT);
            System.out.printf("KafkaCluster: %d node%s up in %.1f s at %s%n", nodes, nodes == 1 ? "" : "s",
                    (System.nanoTime() - started) / 1e9, c.bootstrap());
            return c;
        } catch (RuntimeException | AssertionError e) {
            String logs = c.logTails();
            c.close();
            skipOrFail("Kafka (" + nodes + " node" + (nodes == 1 ? "" : "s") + ") did not start: " + e.getMessage() + logs, e);
            throw e; // not reached
        }
    }

    /**
     * The class path of a broker JVM: the jars weft-kafka's build listed in {@code broker.classpath}
     * (Kafka's server, Scala and what they need, as resolved for weft-kafka's own tests), then the
     * folder or jar of these classes (for {@code BrokerMain}). Not this JVM's class path: a module
     * that starts a broker then needs only weft-kafka's test jar, and Kafka's server and its
     * dependencies never meet that module's own (ADR 0061).
     */
    static String brokerClassPath() {
        URL listed = KafkaCluster.class.getResource("broker.classpath");
        if (listed == null) {
            skipOrFail("dev/weft/kafka/broker.classpath is missing from weft-kafka's test classes: build weft-kafka with Maven"
                    + " (./dev mvn -pl weft-kafka -am test-compile), which writes it", null);
        }
        String jars;
        Path here;
        try (InputStream in = listed.openStream()) {
            jars = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            here = Path.of(KafkaCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + listed, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("where KafkaCluster was loaded from is not a file: " + e.getMessage(), e);
        }
        boolean server = false;
        for (String jar : jars.split(Pattern.quote(File.pathSeparator))) {
            if (jar.isBlank()) continue;
            if (!Files.exists(Path.of(jar))) {
                skipOrFail("a jar the Kafka broker needs is gone: " + jar + " (listed in " + listed
                        + " when weft-kafka was built; build it again: ./dev mvn -pl weft-kafka -am test-compile)", null);
            }
            if (Path.of(jar).getFileName().toString().startsWith("kafka_2.13-")) server = true;
        }
        if (!server) skipOrFail("the Kafka server (org.apache.kafka:kafka_2.13) is not in " + listed + ": " + jars, null);
        return jars + File.pathSeparator + here; // BrokerMain last: in a fat jar (weft-bench), the listed jars win
    }

    private static void skipOrFail(String why, Throwable cause) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(why + " (CI=true: the Kafka tests must run, not be skipped)", cause);
        }
        assumeTrue(false, why);
    }

    /** {@code host:port} of every node, separated by commas (the clients find the live ones). */
    public String bootstrap() {
        StringJoiner j = new StringJoiner(",");
        for (int p : ports) j.add("127.0.0.1:" + p);
        return j.toString();
    }

    int nodes() {
        return processes.length;
    }

    /** Kills node {@code i} (0-based; its broker id is {@code i + 1}) with SIGKILL and waits until it is gone. */
    void kill(int i) {
        Process p = processes[i];
        if (p == null) return;
        p.destroyForcibly();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("node " + (i + 1) + " did not die within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing node " + (i + 1), e);
        }
        processes[i] = null;
    }

    /** Starts node {@code i} again on its ports and log, and returns once the cluster has {@code nodes()} brokers again. */
    void restart(int i) {
        if (processes[i] != null) throw new IllegalStateException("node " + (i + 1) + " runs");
        launch(i);
        awaitBrokers(processes.length, START_TIMEOUT);
    }

    private void launch(int i) {
        int n = processes.length;
        int id = i + 1;
        StringJoiner voters = new StringJoiner(",");
        for (int k = 0; k < n; k++) voters.add((k + 1) + "@127.0.0.1:" + controllerPorts[k]);
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(id));
        p.put("controller.quorum.voters", voters.toString());
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + ports[i] + ",CONTROLLER://127.0.0.1:" + controllerPorts[i]);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + ports[i]);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", dir.resolve("node-" + id).toString());
        String replicas = Integer.toString(Math.min(n, 3));
        String minIsr = n >= 3 ? "2" : "1";
        p.put("num.partitions", "1");
        p.put("default.replication.factor", replicas);
        p.put("min.insync.replicas", minIsr);
        p.put("offsets.topic.replication.factor", replicas);
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", replicas);
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", replicas);
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("num.replica.fetchers", "1");
        p.put("log.cleaner.threads", "1");
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 << 20));
        // A killed broker is fenced (and leaves the ISR) within seconds: an acks=all publish does
        // not wait 30 s for a replica that is gone.
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("broker.session.timeout.ms", "3000");
        p.put("replica.lag.time.max.ms", "5000");
        p.put("group.min.session.timeout.ms", "1000");
        Path props = dir.resolve("node-" + id + ".properties");
        Path jul = dir.resolve("logging.properties");
        try {
            try (OutputStream out = Files.newOutputStream(props)) {
                p.store(out, "Weft test node " + id);
            }
            Files.writeString(jul, """
                    handlers = java.util.logging.ConsoleHandler
                    .level = WARNING
                    java.util.logging.ConsoleHandler.level = WARNING
                    java.util.logging.SimpleFormatter.format = %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n
                    """, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                "-Djava.awt.headless=true", "-Djava.util.logging.config.file=" + jul,
                "-cp", classPath, "dev.weft.kafka.BrokerMain", props.toString(), clusterId);
        try {
            processes[i] = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node-" + id + ".log").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a JVM for Kafka node " + id, e);
        }
    }

    /** Waits until {@code n} brokers are registered and unfenced; fails early if a node's process died. */
    void awaitBrokers(int n, Duration timeout) {
        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap());
        c.put("request.timeout.ms", "2000");
        c.put("default.api.timeout.ms", "3000");
        String[] last = {"no answer yet"};
        try (Admin a = Admin.create(c)) {
            // Polled: the brokers announce nothing to this JVM.
            Poll.until(() -> brokersUp(a, n, last), (int) Math.max(1, timeout.toSeconds()));
        } catch (AssertionError e) {
            throw new IllegalStateException("not " + n + " brokers within " + timeout + " (" + last[0] + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka", e);
        }
    }

    /** Whether {@code n} brokers are registered ({@code last} says what was seen); throws if a node's process died. */
    private boolean brokersUp(Admin a, int n, String[] last) {
        for (int i = 0; i < processes.length; i++) {
            if (processes[i] != null && !processes[i].isAlive()) {
                throw new IllegalStateException("node " + (i + 1) + " exited with code " + processes[i].exitValue());
            }
        }
        try {
            int live = a.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
            last[0] = live + " of " + n + " brokers registered";
            return live >= n;
        } catch (Exception e) {
            last[0] = e.toString();
            return false;
        }
    }

    private String logTails() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < processes.length; i++) {
            Path log = dir.resolve("node-" + (i + 1) + ".log");
            try {
                List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
                b.append("\n--- node ").append(i + 1).append(" log (last lines) ---\n");
                for (String l : lines.subList(Math.max(0, lines.size() - 30), lines.size())) b.append(l).append('\n');
            } catch (IOException | UncheckedIOException e) {
                b.append("\n(cannot read ").append(log).append(": ").append(e).append(')');
            }
        }
        return b.toString();
    }

    /** Kills every node and deletes the logs. */
    @Override
    public void close() {
        for (int i = 0; i < processes.length; i++) {
            try {
                kill(i);
            } catch (RuntimeException e) {
                // closing: go on with the others
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(files.toList());
            all.sort(Comparator.reverseOrder());
            for (Path f : all) Files.deleteIfExists(f);
        } catch (IOException | UncheckedIOException e) {
            // a temporary folder: the OS cleans it up
        }
    }

    private static int[] freePorts(int n) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                s.setReuseAddress(true);
                held.add(s);
                out[i] = s.getLocalPort();
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free ports", e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // it was only held to pick the port
                }
            }
        }
    }
}
