package dev.weft.test;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * A Redis Cluster of the test's own: six {@link RedisServer}s ({@code cluster-enabled yes}, each on
 * a free loopback port with its own temporary directory, no persistence), joined by
 * {@code redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes} into three masters with
 * one replica each, ready once every node says {@code cluster_state:ok}, knows all six and every
 * master has its replica in sync. Nodes are stopped by pid ({@link #close()}).
 *
 * <p>{@code cluster-node-timeout} is 1000 ms, so a killed master is replaced by its replica within
 * a few seconds ({@link #kill}, {@link #awaitFailover}). When {@code redis-server} or
 * {@code redis-cli} is not on PATH the test is skipped (a JUnit assumption) saying how to install
 * them, except with {@code CI=true}, where it fails.
 *
 * <pre>{@code
 * try (RedisCluster cluster = RedisCluster.start()) {
 *     var t = RedisStreamsTransport.builder(cluster.uri()).build();   // redis-cluster://127.0.0.1:p1,...
 *     int port = cluster.masterOf("{weft:events}");                    // the master that holds that key
 *     cluster.kill(port);                                              // SIGKILL
 *     cluster.awaitFailover(port);                                     // its replica took over its slots
 * }
 * }</pre>
 */
// Implementer's note. The nodes are RedisServers, so ports, temp dirs, readiness (PING), the kill
// by pid and the reaper at JVM exit are theirs. Cluster state is read with redis-cli (the same
// package as redis-server), through CLUSTER INFO, CLUSTER NODES and INFO replication; waits poll
// those every 50 ms with a bound, as a starting or failing-over cluster sends no event to wait on.
public final class RedisCluster implements AutoCloseable {
    /** Masters of {@link #start()}; each has one replica. */
    public static final int MASTERS = 3;
    private static final long READY_SECONDS = 30;

    private final String cli;
    private final List<RedisServer> nodes;
    private final int masters;
    private final List<Integer> killed = Collections.synchronizedList(new ArrayList<>());

    private RedisCluster(String cli, List<RedisServer> nodes, int masters) {
        this.cli = cli;
        this.nodes = nodes;
        this.masters = masters;
    }

    /**
     * Starts six nodes and joins them into a cluster of three masters and three replicas.
     *
     * @throws IllegalStateException if the cluster does not form, or redis-server or redis-cli is
     *         missing with {@code CI=true}
     */
    public static RedisCluster start() {
        return start(MASTERS);
    }

    /**
     * Starts {@code 2 * masters} nodes and joins them into a cluster of {@code masters} masters,
     * each with one replica, the slots split evenly between the masters. Three or more are joined
     * by {@code redis-cli --cluster create}, which refuses fewer; one or two by hand
     * ({@code CLUSTER ADDSLOTSRANGE}, {@code MEET}, {@code REPLICATE}), for benchmarks that compare
     * a cluster of one master with one of three.
     *
     * @throws IllegalArgumentException if {@code masters} is less than 1
     * @throws IllegalStateException    as {@link #start()}
     */
    public static RedisCluster start(int masters) {
        if (masters < 1) throw new IllegalArgumentException("masters is " + masters + ": at least 1");
        String cli = onPath("redis-cli");
        String server = onPath("redis-server");
        if (cli == null || server == null) {
            String msg = (server == null ? "redis-server" : "redis-cli") + " is not on PATH: install them "
                    + "(apt-get install -y --no-install-recommends redis-server redis-tools) to run the Redis Cluster tests";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new IllegalStateException(msg + " (CI=true: Redis tests must run, not be skipped)");
            assumeTrue(false, msg);
        }
        List<RedisServer> nodes = new ArrayList<>();
        RedisCluster c = new RedisCluster(cli, nodes, masters);
        try {
            for (int i = 0; i < 2 * masters; i++) {
                nodes.add(RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "1000", "--cluster-require-full-coverage", "yes"));
            }
            if (masters < 3) {
                c.joinByHand();
                c.await("the cluster to form (cluster_state:ok on every node, " + nodes.size() + " known nodes, every replica in sync)", c::formed);
                return c;
            }
            List<String> create = new ArrayList<>(List.of(cli, "--cluster", "create"));
            for (RedisServer n : nodes) create.add("127.0.0.1:" + n.port());
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            String out = run(create, 60);
            if (!out.contains("[OK] All 16384 slots covered")) throw new IllegalStateException("redis-cli --cluster create did not cover every slot:\n" + out);
            c.await("the cluster to form (cluster_state:ok on every node, " + nodes.size() + " known nodes, every replica in sync)", c::formed);
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Nodes 0 to masters - 1 take the slots, evenly; node masters + k replicates node k. MEETs
     * go to node 0; a replica is told to REPLICATE once it knows its master's id.
     */
    private void joinByHand() {
        for (int k = 0; k < masters; k++) {
            int from = k * 16384 / masters, to = (k + 1) * 16384 / masters - 1;
            cli(nodes.get(k).port(), "CLUSTER", "ADDSLOTSRANGE", Integer.toString(from), Integer.toString(to));
        }
        for (int i = 1; i < nodes.size(); i++) cli(nodes.get(i).port(), "CLUSTER", "MEET", "127.0.0.1", Integer.toString(nodes.get(0).port()));
        for (int k = 0; k < masters; k++) {
            String masterId = cli(nodes.get(k).port(), "CLUSTER", "MYID").trim();
            int replica = nodes.get(masters + k).port();
            await("node " + replica + " to learn of its master " + masterId,
                    () -> clusterNodes(replica).stream().anyMatch(n -> n[0].equals(masterId)));
            cli(replica, "CLUSTER", "REPLICATE", masterId);
        }
    }

    /** {@code redis-cluster://127.0.0.1:p1,...}: its first masters, at most three (the client finds the rest). */
    public String uri() {
        return "redis-cluster://" + nodes.stream().limit(Math.min(masters, MASTERS)).map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(","));
    }

    /** The ports of every node, killed ones included. */
    public List<Integer> ports() {
        return nodes.stream().map(RedisServer::port).toList();
    }

    /** The port of the master that serves {@code key}'s slot now, as a living node sees it. */
    public int masterOf(String key) {
        int slot = Integer.parseInt(cli(anyLive(), "CLUSTER", "KEYSLOT", key).trim());
        return masterOfSlot(slot);
    }

    /** The ports of the masters now, as a living node sees them (failed ones left out). */
    public List<Integer> masters() {
        List<Integer> out = new ArrayList<>();
        for (String[] n : clusterNodes(anyLive())) {
            if (n[2].contains("master") && !n[2].contains("fail")) out.add(port(n[1]));
        }
        Collections.sort(out);
        return out;
    }

    /** Kills the node on {@code port} with SIGKILL (no shutdown) and waits for it to exit. */
    public void kill(int port) {
        node(port).kill();
        killed.add(port);
    }

    /**
     * Waits (up to 30 s) until the slots the killed master {@code deadPort} served are served by
     * another master and every living node says {@code cluster_state:ok}.
     *
     * @return the port of the master that took over
     */
    public int awaitFailover(int deadPort) {
        int slot = -1;
        // Which slot did it serve? Living nodes still list it (flagged fail) with its slot ranges.
        for (String[] n : clusterNodes(anyLive())) {
            if (port(n[1]) == deadPort && n.length > 8) {
                slot = Integer.parseInt(n[8].split("-")[0]);
            }
        }
        if (slot < 0) throw new IllegalStateException("the node on port " + deadPort + " served no slots: kill a master (masterOf(key))");
        int s = slot;
        await("a replica to take over from the master on port " + deadPort, () -> {
            // Right after the kill the others flag the dead master "fail?" (suspected) and no node
            // serves its slots yet, while every CLUSTER INFO may still say ok: wait for a new master.
            int m = masterOfSlot(s);
            if (m < 0 || m == deadPort) return false;
            for (RedisServer n : live()) {
                if (!cli(n.port(), "CLUSTER", "INFO").contains("cluster_state:ok")) return false;
            }
            return true;
        });
        return masterOfSlot(s);
    }

    /** Runs {@code redis-cli -p <port> <args>} and returns what it printed. */
    public String cli(int port, String... args) {
        List<String> cmd = new ArrayList<>(List.of(cli, "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        return run(cmd, 10);
    }

    private int masterOfSlot(int slot) {
        for (String[] n : clusterNodes(anyLive())) {
            if (!n[2].contains("master") || n[2].contains("fail")) continue;
            for (int i = 8; i < n.length; i++) {
                if (n[i].startsWith("[")) continue; // a slot being migrated
                String[] range = n[i].split("-");
                int from = Integer.parseInt(range[0]);
                int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
                if (slot >= from && slot <= to) return port(n[1]);
            }
        }
        return -1;
    }

    /** CLUSTER NODES as fields: id, host:port@bus, flags, master, ping, pong, epoch, link, slots... */
    private List<String[]> clusterNodes(int port) {
        List<String[]> out = new ArrayList<>();
        for (String line : cli(port, "CLUSTER", "NODES").split("\n")) {
            if (!line.isBlank()) out.add(line.trim().split(" "));
        }
        return out;
    }

    private static int port(String address) { // 127.0.0.1:7000@17000
        String hostPort = address.split("@")[0];
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }

    private boolean formed() {
        for (RedisServer n : nodes) {
            String info = cli(n.port(), "CLUSTER", "INFO");
            if (!info.contains("cluster_state:ok") || !info.contains("cluster_known_nodes:" + nodes.size())) return false;
        }
        int synced = 0;
        for (RedisServer n : nodes) {
            Map<String, String> repl = info(n.port(), "replication");
            if ("master".equals(repl.get("role"))) {
                if (!"1".equals(repl.get("connected_slaves")) || !String.valueOf(repl.get("slave0")).contains("state=online")) return false;
                synced++;
            }
        }
        return synced == masters;
    }

    private Map<String, String> info(int port, String section) {
        Map<String, String> m = new TreeMap<>();
        for (String line : cli(port, "INFO", section).split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) m.put(line.substring(0, colon), line.substring(colon + 1).trim());
        }
        return m;
    }

    private List<RedisServer> live() {
        return nodes.stream().filter(n -> !killed.contains(n.port())).toList();
    }

    private int anyLive() {
        return live().get(0).port();
    }

    private RedisServer node(int port) {
        for (RedisServer n : nodes) {
            if (n.port() == port) return n;
        }
        throw new IllegalArgumentException("no node of this cluster on port " + port + "; its ports are " + ports());
    }

    private void await(String what, BooleanSupplier done) {
        try {
            Poll.until(done, (int) READY_SECONDS); // a server's state, which nothing announces
        } catch (AssertionError e) {
            throw new IllegalStateException("waited " + READY_SECONDS + " s for " + what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + what, e);
        }
    }

    private static String run(List<String> cmd, long seconds) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish within " + seconds + " s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "):\n" + text);
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd.get(0) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", cmd), e);
        }
    }

    private static String onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String d : path.split(File.pathSeparator)) {
            File f = new File(d, name);
            if (f.canExecute()) return f.getPath();
        }
        return null;
    }

    /** Stops every node (SIGTERM, SIGKILL after 10 s) and deletes their directories. */
    @Override
    public void close() {
        for (RedisServer n : nodes) n.close();
    }
}
