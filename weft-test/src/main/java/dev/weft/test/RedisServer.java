package dev.weft.test;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} of the test's own, for tests of code that uses Redis (weft-redis): a free loopback port, {@code --daemonize no}, started
 * with ProcessBuilder, ready once it answers PING, stopped by its pid. Never a fixed port, never
 * the system service.
 *
 * <p>When {@code redis-server} is not on PATH the test is skipped (a JUnit assumption) with a
 * message saying how to install it, except with {@code CI=true}, where it fails: CI installs it
 * ({@code .ci/run}).
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start()) {              // or startDurable() for AOF, appendfsync always
 *     var t = RedisStreamsTransport.builder(redis.uri()).build();
 *     ...
 *     redis.kill(); redis.restart();                           // a crash and a restart on the same port and data
 *     redis.pause(); redis.resume();                           // SIGSTOP, SIGCONT: a server that hangs, then answers again
 * }
 * }</pre>
 */
public final class RedisServer implements AutoCloseable {
    /** Starts that lose the race for a port free a moment earlier (another socket took it) are tried again on fresh ports. */
    private static final int ATTEMPTS = 5;

    /**
     * Servers running now. A test that times out (JUnit abandons its thread) never reaches its
     * {@code close()}; when the test JVM then exits, these are killed instead of left running.
     */
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly), "redis-server-reaper"));
    }

    private final Path dir;
    private final List<String> extra;
    private final int port;
    private final int tlsPort; // 0: no TLS
    private Process process;
    private volatile boolean paused;

    private RedisServer(Path dir, int port, int tlsPort, List<String> extra) {
        this.dir = dir;
        this.port = port;
        this.tlsPort = tlsPort;
        this.extra = extra;
    }

    /**
     * Starts a server without persistence ({@code --save ""}, no AOF), with {@code extraArgs} (e.g. {@code "--requirepass", "pw"}).
     *
     * @throws IllegalStateException if it cannot start, or redis-server is missing with {@code CI=true}
     */
    public static RedisServer start(String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--save", "", "--appendonly", "no"));
        args.addAll(List.of(extraArgs));
        return startWith(args, false);
    }

    /** A server with AOF and {@code appendfsync always}: an acknowledged write survives a restart. */
    public static RedisServer startDurable() {
        return startWith(List.of("--save", "", "--appendonly", "yes", "--appendfsync", "always"), false);
    }

    /**
     * As {@link #start}, also listening for TLS on a port of its own ({@link #tlsPort()}) with
     * this certificate and key (the certificate is its CA file too; clients are not asked for one).
     */
    public static RedisServer startTls(Path cert, Path key, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--save", "", "--appendonly", "no", "--tls-cert-file", cert.toString(),
                "--tls-key-file", key.toString(), "--tls-ca-cert-file", cert.toString(), "--tls-auth-clients", "no"));
        args.addAll(List.of(extraArgs));
        return startWith(args, true);
    }

    private static RedisServer startWith(List<String> args, boolean tls) {
        String exe = findOnPath("redis-server");
        if (exe == null) {
            String msg = "redis-server is not on PATH: install it (apt-get install -y --no-install-recommends redis-server) to run the Redis tests";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new IllegalStateException(msg + " (CI=true: Redis tests must run, not be skipped)");
            assumeTrue(false, msg);
        }
        try {
            Path dir = Files.createTempDirectory("weft-redis-test");
            for (int attempt = 1; ; attempt++) {
                int port = freePort();
                int tlsPort = tls ? freePortOtherThan(port) : 0;
                RedisServer s = new RedisServer(dir, port, tlsPort, args);
                try {
                    s.launch(exe);
                    return s;
                } catch (PortTaken e) {
                    if (attempt == ATTEMPTS) throw e;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server: " + e, e);
        }
    }

    /** The server exited because a port it was given was taken meanwhile. */
    // Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
    // (no serialVersionUID; fields may hold values that do not serialize).
    @SuppressWarnings("serial")
    private static final class PortTaken extends IOException {
        PortTaken(String message) {
            super(message);
        }
    }

    private static String findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String d : path.split(File.pathSeparator)) {
            File f = new File(d, name);
            if (f.canExecute()) return f.getPath();
        }
        return null;
    }

    /** A loopback port free now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int freePortOtherThan(int taken) throws IOException {
        int p;
        do {
            p = freePort();
        } while (p == taken);
        return p;
    }

    private void launch(String exe) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(exe, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--daemonize", "no",
                "--dir", dir.toString(), "--logfile", dir.resolve("redis.log").toString()));
        if (tlsPort != 0) cmd.addAll(List.of("--tls-port", Integer.toString(tlsPort)));
        cmd.addAll(extra);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        RUNNING.add(process);
        process.onExit().thenAccept(RUNNING::remove);
        awaitReady();
    }

    /** Waits until the server answers PING: bounded polling, since a starting server sends no event we could wait on. */
    private void awaitReady() throws IOException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        IOException last = null;
        while (System.nanoTime() < until) {
            if (!process.isAlive()) {
                String why = lastLines(dir.resolve("redis.log"), 3) + Files.readString(dir.resolve("stdout.log"));
                if (why.contains("Address already in use")) throw new PortTaken("a port was taken before redis-server could bind it: " + why);
                throw new IOException("redis-server exited at start: " + why);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                OutputStream out = s.getOutputStream();
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[64];
                int n = in.read(buf);
                String reply = n > 0 ? new String(buf, 0, n, StandardCharsets.US_ASCII) : "";
                if (reply.startsWith("+PONG") || reply.startsWith("-NOAUTH")) return;
            } catch (IOException e) {
                last = e;
            }
            try {
                process.waitFor(20, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for redis-server", e);
            }
        }
        throw new IOException("redis-server on port " + port + " did not answer PING within 10 s", last);
    }

    private static String lastLines(Path log, int n) throws IOException {
        if (!Files.exists(log)) return "";
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size())) + "\n";
    }

    /** Its loopback port. */
    public int port() {
        return port;
    }

    /** Its TLS port ({@link #startTls}), or 0. */
    public int tlsPort() {
        return tlsPort;
    }

    /** Its process id. */
    public long pid() {
        return process.pid();
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Stops it with SIGTERM (a clean shutdown; AOF is flushed) and waits; {@link #restart()} brings it back on the same port and data. */
    public void stop() {
        if (process == null) return;
        if (paused && process.isAlive()) signal("CONT"); // a stopped process would not see the SIGTERM
        paused = false;
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills it with SIGKILL (no shutdown; also a paused server) and waits. */
    public void kill() {
        if (process == null) return;
        paused = false;
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Freezes it with SIGSTOP: the process stays, its sockets stay open and the kernel still accepts
     * connections, but nothing answers (a server stuck in a long command, a VM paused). {@link #resume()}
     * thaws it; {@link #close()} thaws it first.
     */
    public void pause() {
        signal("STOP");
        paused = true;
    }

    /** Thaws a {@link #pause()}d server with SIGCONT and waits until it answers PING again. */
    public void resume() {
        signal("CONT");
        paused = false;
        try {
            awaitReady();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server did not answer after SIGCONT: " + e, e);
        }
    }

    /** Sends a signal to its process with kill(1): the JDK sends only SIGTERM and SIGKILL itself. */
    private void signal(String name) {
        if (process == null || !process.isAlive()) throw new IllegalStateException("redis-server is not running");
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
            String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill -" + name + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIG" + name, e);
        }
    }

    /** Starts it again on the same port with the same data directory. */
    public void restart() {
        try {
            launch(findOnPath("redis-server"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot restart redis-server: " + e, e);
        }
    }

    /** Stops it and deletes its data directory. */
    @Override
    public void close() {
        stop();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
