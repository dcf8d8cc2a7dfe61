package dev.weft.jdbc;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server of the test's own: {@code initdb} into a temp directory, {@code postgres}
 * on a free loopback port (no Unix socket, no system service), ready once a JDBC connection
 * succeeds, stopped by its pid (SIGINT: a fast shutdown; {@link #kill()}: SIGKILL). As root (CI
 * runs as root, and PostgreSQL refuses to), the server runs as the {@code postgres} user that
 * Debian's package creates, through {@code setpriv}, which replaces itself with the server, so
 * the pid is the server's.
 *
 * <p>The binaries are looked for on PATH, then in {@code /usr/lib/postgresql/<version>/bin}
 * (where Debian's {@code postgresql} package puts them). Without them the test is skipped (a JUnit
 * assumption whose message says how to install them), except with {@code CI=true}, where it
 * fails: {@code .ci/run} installs the package.
 *
 * <p>{@link #shared()} is one server for every test of the JVM, stopped when the JVM exits.
 */
public final class PostgresServer implements AutoCloseable {
    /** The message of the skip, which SkippedServersSummary looks for. */
    static final String MISSING = "PostgreSQL is not installed (initdb and postgres are neither on PATH nor in /usr/lib/postgresql/*/bin):"
            + " apt-get install -y --no-install-recommends postgresql";
    private static PostgresServer shared;

    private final Path dir;
    private final Path bin;
    private final int port;
    private Process process;

    private PostgresServer(Path dir, Path bin, int port) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
    }

    /** The server shared by every test of this JVM, started on first use. */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            shared = start();
            PostgresServer s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(s::close, "postgres-stop"));
        }
        return shared;
    }

    /** Whether the binaries are here (for a skip line that names the tests, see SkippedServersSummary). */
    public static boolean installed() {
        return findBin() != null;
    }

    /**
     * Starts a new server with an empty cluster (superuser {@code weft}, trust authentication on loopback).
     *
     * @throws IllegalStateException if it cannot start, or PostgreSQL is missing with {@code CI=true}
     */
    public static PostgresServer start() {
        Path bin = findBin();
        if (bin == null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new IllegalStateException(MISSING + " (CI=true: PostgreSQL tests must run, not be skipped)");
            assumeTrue(false, MISSING);
        }
        try {
            Path dir = Files.createTempDirectory("weft-pg-test");
            for (int attempt = 1; ; attempt++) {
                PostgresServer s = new PostgresServer(dir, bin, freePort());
                try {
                    s.initdbOnce();
                    s.launch();
                    return s;
                } catch (PortTaken e) {
                    if (attempt == 5) throw e;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot start PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static final class PortTaken extends IOException {
        PortTaken(String m) {
            super(m);
        }
    }

    static Path findBin() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                if (new File(d, "initdb").canExecute() && new File(d, "postgres").canExecute()) return Path.of(d);
            }
        }
        File[] versions = new File("/usr/lib/postgresql").listFiles();
        if (versions != null) {
            List<File> sorted = new ArrayList<>(List.of(versions));
            sorted.sort(Comparator.comparing(File::getName).reversed());
            for (File v : sorted) {
                File b = new File(v, "bin");
                if (new File(b, "initdb").canExecute() && new File(b, "postgres").canExecute()) return b.toPath();
            }
        }
        return null;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The command, as the postgres user when we are root. */
    private List<String> asServerUser(String... cmd) {
        List<String> out = new ArrayList<>();
        if (root()) out.addAll(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"));
        out.addAll(List.of(cmd));
        return out;
    }

    private void initdbOnce() throws IOException {
        Path data = dir.resolve("data");
        if (Files.exists(data.resolve("PG_VERSION"))) return;
        if (root()) chownToPostgres(dir);
        Process p = new ProcessBuilder(asServerUser(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "weft", "--auth=trust",
                "-E", "UTF8", "--no-sync", "--no-instructions")).redirectErrorStream(true).redirectOutput(dir.resolve("initdb.log").toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("initdb did not finish within 120 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during initdb", e);
        }
        if (p.exitValue() != 0) throw new IOException("initdb failed: " + Files.readString(dir.resolve("initdb.log")));
    }

    private static void chownToPostgres(Path dir) throws IOException {
        UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal pg;
        try {
            pg = users.lookupPrincipalByName("postgres");
        } catch (IOException noUser) {
            throw new IOException("running as root, PostgreSQL must run as another user, and there is no user 'postgres'"
                    + " (Debian's postgresql package creates it)", noUser);
        }
        GroupPrincipal group = users.lookupPrincipalByGroupName("postgres");
        PosixFileAttributeView v = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        v.setOwner(pg);
        v.setGroup(group);
    }

    @SuppressWarnings("try") // the connection is opened only to see that the server accepts one
    private void launch() throws IOException {
        // fsync stays on (the default): the crash tests kill the server, and the benchmarks measure real commits.
        process = new ProcessBuilder(asServerUser(bin.resolve("postgres").toString(), "-D", dir.resolve("data").toString(), "-p",
                Integer.toString(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile())).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        SQLException last = null;
        while (System.nanoTime() < until) {
            if (!process.isAlive()) {
                String log = Files.readString(dir.resolve("server.log"));
                if (log.contains("Address already in use") || log.contains("could not bind")) throw new PortTaken(log);
                throw new IOException("postgres exited at start: " + log);
            }
            try (Connection c = DriverManager.getConnection(jdbcUrl(), "weft", "")) {
                return;
            } catch (SQLException e) {
                last = e; // not ready yet
            }
            try {
                process.waitFor(50, TimeUnit.MILLISECONDS); // bounded polling: a starting server announces nothing we could wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for postgres", e);
            }
        }
        throw new IOException("postgres on port " + port + " did not accept connections within 60 s", last);
    }

    /** {@code jdbc:postgresql://127.0.0.1:<port>/postgres}; user {@code weft}, no password. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    /** Its port. */
    public int port() {
        return port;
    }

    /** The server's pid. */
    public long pid() {
        return process.pid();
    }

    /** A connection as {@code weft}. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), "weft", "");
    }

    /** SIGKILL, and waits: a crash (the data directory stays; {@link #restart()} recovers it). */
    public void kill() {
        if (process == null) return;
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts it again on the same port and data. */
    public void restart() {
        try {
            launch();
        } catch (IOException e) {
            throw new IllegalStateException("cannot restart postgres: " + e.getMessage(), e);
        }
    }

    /** A fast shutdown by pid (SIGINT: open sessions are rolled back), SIGKILL if it has not ended within 20 s. */
    public void stop() {
        if (process == null || !process.isAlive()) return;
        try {
            new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor(10, TimeUnit.SECONDS);
            if (!process.waitFor(20, TimeUnit.SECONDS)) kill();
        } catch (IOException | InterruptedException e) {
            kill();
        }
    }

    /** Stops it and deletes its data directory. */
    @Override
    public void close() {
        stop();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind is harmless
        }
    }
}
