package dev.weft.bench.modulith;

import dev.weft.jdbc.PostgresServer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Issue 13, item 7, the peer of weft-bench's {@code OutboxBenchmark}: the same small business
 * transaction (insert one row, commit), alone and with an event recorded durably in it, here by
 * Spring Modulith's JDBC event publication registry (Modulith 2.0.3 on Spring Boot 4.0.7, no web
 * stack: a {@code SpringApplication} of type {@code NONE}), on H2 in memory and on a PostgreSQL this
 * benchmark starts (weft-jdbc's {@code PostgresServer}, as {@code OutboxBenchmark} does).
 *
 * <ul>
 *   <li>{@code springPlainTransaction}: a {@code @Transactional} method that inserts the row with
 *   {@code JdbcTemplate} (a HikariCP pool).</li>
 *   <li>{@code modulithTransaction}: the same method, plus {@code publishEvent}: Modulith writes one
 *   {@code event_publication} row per transactional listener (here one) in the same transaction,
 *   the event serialized as JSON (Jackson 3).</li>
 * </ul>
 *
 * <p>What happens after the commit is left out on both sides, so that both measure the write of
 * the event in the business transaction: {@code OutboxBenchmark} runs no relay, and here the one
 * listener is {@code @Async} on an executor that never runs it, so its publication stays
 * incomplete, as an outbox row waits for its relay (see {@link RegistryApp}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class ModulithRegistryBenchmark {

    @Param({"h2", "postgresql"})
    public String database;

    private PostgresServer pg;
    private ConfigurableApplicationContext context;
    private RegistryApp.Sightings sightings;
    private JdbcTemplate jdbc;
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong published = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() {
        String url, user;
        if (database.equals("postgresql")) {
            pg = PostgresServer.start();
            url = pg.jdbcUrl();
            user = "weft";
        } else {
            url = "jdbc:h2:mem:modulith-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1";
            user = "sa";
        }
        SpringApplication app = new SpringApplication(RegistryApp.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setDefaultProperties(Map.of(
                "spring.main.banner-mode", "off",
                "spring.datasource.url", url,
                "spring.datasource.username", user,
                "spring.datasource.password", "",
                "spring.modulith.events.jdbc.schema-initialization.enabled", "true"));
        context = app.run();
        sightings = context.getBean(RegistryApp.Sightings.class);
        jdbc = context.getBean(JdbcTemplate.class);
        jdbc.execute("CREATE TABLE sightings (id BIGINT PRIMARY KEY, species VARCHAR(50) NOT NULL, n INT NOT NULL)");
    }

    /** Keeps the tables small between iterations, as OutboxBenchmark does. */
    @Setup(Level.Iteration)
    public void clear() {
        jdbc.execute("DELETE FROM sightings");
        jdbc.execute("DELETE FROM event_publication");
    }

    /** Checks that Modulith recorded every event, and that none was completed (no listener ran). */
    @TearDown(Level.Iteration)
    public void check() {
        long waiting = jdbc.queryForObject("SELECT COUNT(*) FROM event_publication WHERE completion_date IS NULL", Long.class);
        if (waiting != published.get()) {
            throw new IllegalStateException(published.get() + " events published, " + waiting + " incomplete publications: the peer did not do the same work");
        }
        published.set(0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            context.close();
        } finally {
            if (pg != null) pg.close();
        }
    }

    /** The business transaction alone: insert one row, commit (Spring's transaction management). */
    @Benchmark
    public long springPlainTransaction() {
        return sightings.insert(ids.incrementAndGet());
    }

    /** The same transaction with its event recorded by Modulith's registry. */
    @Benchmark
    public long modulithTransaction() {
        published.incrementAndGet();
        return sightings.insertAndPublish(ids.incrementAndGet());
    }
}
