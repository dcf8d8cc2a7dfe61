package dev.weft.bench;

import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.batch.Loader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.dataloader.BatchLoader;
import org.dataloader.DataLoader;
import org.dataloader.DataLoaderFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Batching against a real round trip (issue 12, item 1): each batch is one query on an in-memory
 * H2 database ({@code SELECT id, name FROM users WHERE id IN (...)}, 100 keys), so the figures
 * show what the batching machinery costs beside the I/O it exists to save.
 * <ul>
 *   <li>{@link #directQuery100()}: the query alone, the floor;</li>
 *   <li>{@link #weftLoad100()}: 100 tasks in a scope each {@code load} one key: one batch, sent by
 *       quiescence, runs the query;</li>
 *   <li>{@link #weftLoadAll100()}: one caller, {@code loadAll} of the 100 keys;</li>
 *   <li>{@link #dataLoaderLoad100()}: java-dataloader, 100 {@code load}s, {@code dispatchAndJoin},
 *       its batch loader running the same query;</li>
 *   <li>{@link #oneQueryPerKey100()}: the N+1 that batching replaces: 100 single-key queries.</li>
 * </ul>
 * One connection serves every variant (a batch runs one query at a time here), so the variants
 * differ only in how the keys reach the query.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark) // not dev.weft.Scope
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class BatchIoBenchmark {

    static final int KEYS = 100;
    static final int ROWS = 10_000;

    private Connection connection;
    private final List<Long> keys = new ArrayList<>(KEYS);
    private Loader<Long, String> weftUsers;
    private BatchLoader<Long, String> dataLoaderUsers;
    private long round;

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        connection = DriverManager.getConnection("jdbc:h2:mem:batchio;DB_CLOSE_DELAY=-1");
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS users (id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL)");
            s.execute("DELETE FROM users");
            s.execute("INSERT INTO users SELECT X, CONCAT('user-', X) FROM SYSTEM_RANGE(1, " + ROWS + ")");
        }
        // A delay far longer than any operation: every Weft batch goes by quiescence.
        weftUsers = Loader.<Long, String>builder(this::query).name("users").maxDelay(Duration.ofSeconds(1)).build();
        dataLoaderUsers = ks -> {
            try {
                Map<Long, String> m = query(ks);
                List<String> out = new ArrayList<>(ks.size());
                for (Long k : ks) out.add(m.get(k));
                return CompletableFuture.completedFuture(out);
            } catch (SQLException e) {
                return CompletableFuture.failedFuture(e);
            }
        };
    }

    /** Each operation asks for another 100 keys, so no database page cache favours a variant. */
    @Setup(Level.Invocation)
    public void nextKeys() {
        keys.clear();
        long base = (round++ * KEYS) % (ROWS - KEYS);
        for (long k = 1; k <= KEYS; k++) keys.add(base + k);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("DROP TABLE users");
        }
        connection.close();
    }

    /** One round trip for every key given; synchronized: one connection, one statement at a time. */
    private synchronized Map<Long, String> query(List<Long> ks) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT id, name FROM users WHERE id IN (");
        for (int i = 0; i < ks.size(); i++) sql.append(i == 0 ? "?" : ",?");
        sql.append(')');
        Map<Long, String> m = new HashMap<>(ks.size() * 2);
        try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < ks.size(); i++) ps.setLong(i + 1, ks.get(i));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) m.put(rs.getLong(1), rs.getString(2));
            }
        }
        return m;
    }

    private synchronized String queryOne(long id) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT name FROM users WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static long check(long total) {
        if (total == 0) throw new IllegalStateException("no rows: the query found nothing");
        return total;
    }

    @Benchmark
    public long directQuery100() throws SQLException {
        long total = 0;
        for (String name : query(keys).values()) total += name.length();
        return check(total);
    }

    @Benchmark
    public long weftLoad100() {
        List<Task<String>> tasks = new ArrayList<>(KEYS);
        Scope.run(scope -> {
            for (Long k : keys) tasks.add(scope.fork(() -> weftUsers.load(k)));
            return null;
        });
        long total = 0;
        for (Task<String> t : tasks) total += t.result().length();
        return check(total);
    }

    @Benchmark
    public long weftLoadAll100() {
        Map<Long, String> m = Scope.run(scope -> weftUsers.loadAll(keys));
        long total = 0;
        for (String name : m.values()) total += name.length();
        return check(total);
    }

    @Benchmark
    public long dataLoaderLoad100() {
        DataLoader<Long, String> loader = DataLoaderFactory.newDataLoader(dataLoaderUsers);
        List<CompletableFuture<String>> futures = new ArrayList<>(KEYS);
        for (Long k : keys) futures.add(loader.load(k));
        loader.dispatchAndJoin();
        long total = 0;
        for (CompletableFuture<String> f : futures) total += f.join().length();
        return check(total);
    }

    @Benchmark
    public long oneQueryPerKey100() throws SQLException {
        long total = 0;
        for (Long k : keys) total += queryOne(k).length();
        return check(total);
    }
}
