package dev.weft.spring;

import dev.weft.events.DispatchPolicy;
import dev.weft.events.FullPolicy;
import dev.weft.events.HandlerMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code weft.*} properties (docs/SPRING.md lists every one with its default). The
 * configuration processor turns the field comments below into the metadata IDEs complete from.
 */
@ConfigurationProperties("weft")
public class WeftProperties {

    /** Whether the starter sets up Weft at all. */
    private boolean enabled = true;
    /** Events in flight at most (queued for handlers or the transport, being handled, waiting for a retry). */
    private int capacity = 10_000;
    /** What an emit does when the capacity is used up: BLOCK (wait for room) or FAIL (throw). */
    private FullPolicy whenFull = FullPolicy.BLOCK;
    /** When held events are dispatched, unless their type says otherwise: ON_SUCCESS, ALWAYS or IMMEDIATELY. */
    private DispatchPolicy dispatchPolicy = DispatchPolicy.ON_SUCCESS;
    /** The mode of handlers that do not choose one: ASYNC (a virtual thread each) or SYNC (on the dispatching thread). */
    private HandlerMode handlerMode = HandlerMode.ASYNC;

    private final Retry retry = new Retry();
    private final Events events = new Events();
    private final Web web = new Web();
    private final Transaction transaction = new Transaction();
    private final Outbox outbox = new Outbox();
    private final Redis redis = new Redis();
    private final Worker worker = new Worker();
    private final Loaders loaders = new Loaders();
    private final Metrics metrics = new Metrics();

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
    public int getCapacity() { return capacity; }
    public void setCapacity(int capacity) { this.capacity = capacity; }
    public FullPolicy getWhenFull() { return whenFull; }
    public void setWhenFull(FullPolicy whenFull) { this.whenFull = whenFull; }
    public DispatchPolicy getDispatchPolicy() { return dispatchPolicy; }
    public void setDispatchPolicy(DispatchPolicy dispatchPolicy) { this.dispatchPolicy = dispatchPolicy; }
    public HandlerMode getHandlerMode() { return handlerMode; }
    public void setHandlerMode(HandlerMode handlerMode) { this.handlerMode = handlerMode; }
    public Retry getRetry() { return retry; }
    public Events getEvents() { return events; }
    public Web getWeb() { return web; }
    public Transaction getTransaction() { return transaction; }
    public Outbox getOutbox() { return outbox; }
    public Redis getRedis() { return redis; }
    public Worker getWorker() { return worker; }
    public Loaders getLoaders() { return loaders; }
    public Metrics getMetrics() { return metrics; }

    /** weft-micrometer's meters and observations from the application's registries. */
    public static class Metrics {
        /** Whether Weft is instrumented through the application's MeterRegistry and ObservationRegistry (needs weft-micrometer). */
        private boolean enabled = true;
        /** Whether each try of a bus handler is timed (weft.bus.handler.duration); off for buses whose handlers cost nanoseconds. */
        private boolean busHandlerTimer = true;
        /** How often the worker's lag gauges (weft.worker.lag, weft.worker.pending) ask the transport, at most. */
        private Duration lagInterval = Duration.ofSeconds(10);

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public boolean isBusHandlerTimer() { return busHandlerTimer; }
        public void setBusHandlerTimer(boolean busHandlerTimer) { this.busHandlerTimer = busHandlerTimer; }
        public Duration getLagInterval() { return lagInterval; }
        public void setLagInterval(Duration lagInterval) { this.lagInterval = lagInterval; }
    }

    /** The retry policy of handlers and transports that do not choose one: exponential backoff. */
    public static class Retry {
        /** Tries per event, the first included, before it is dead-lettered. */
        private int maxAttempts = 3;
        /** The wait before the second try; it doubles from one try to the next. */
        private Duration initialBackoff = Duration.ofMillis(100);
        /** The longest wait between two tries. */
        private Duration maxBackoff = Duration.ofSeconds(30);

        public int getMaxAttempts() { return maxAttempts; }
        public void setMaxAttempts(int maxAttempts) { this.maxAttempts = maxAttempts; }
        public Duration getInitialBackoff() { return initialBackoff; }
        public void setInitialBackoff(Duration initialBackoff) { this.initialBackoff = initialBackoff; }
        public Duration getMaxBackoff() { return maxBackoff; }
        public void setMaxBackoff(Duration maxBackoff) { this.maxBackoff = maxBackoff; }
    }

    /** Where event types come from. */
    public static class Events {
        /** Packages scanned for @WeftEvent records; empty: the packages of the @SpringBootApplication class. */
        private List<String> packages = new ArrayList<>();

        public List<String> getPackages() { return packages; }
        public void setPackages(List<String> packages) { this.packages = packages; }
    }

    /** The servlet filter that makes each Spring MVC request a unit of work. */
    public static class Web {
        /** Whether each request of a servlet web application is a Weft unit of work. */
        private boolean enabled = true;
        /** The filter's order; the default puts it just inside Spring's observation filter. */
        private int filterOrder = Integer.MIN_VALUE + 2;
        /** The URL patterns the filter applies to. */
        private List<String> urlPatterns = new ArrayList<>(List.of("/*"));

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public int getFilterOrder() { return filterOrder; }
        public void setFilterOrder(int filterOrder) { this.filterOrder = filterOrder; }
        public List<String> getUrlPatterns() { return urlPatterns; }
        public void setUrlPatterns(List<String> urlPatterns) { this.urlPatterns = urlPatterns; }
    }

    /** Events emitted in @Transactional methods. */
    public static class Transaction {
        /** Whether events emitted in a @Transactional method wait for its transaction and are dropped when it rolls back. */
        private boolean enabled = true;

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
    }

    /** The transactional outbox (weft-jdbc) on the application's DataSource. */
    public static class Outbox {
        /** Whether transported events are written to the outbox table in the emitting transaction and relayed after commit. */
        private boolean enabled = false;
        /** The outbox table. */
        private String table = "weft_outbox";
        /** Whether to create the table (and its index) at start if it does not exist. */
        private boolean createTable = false;
        /** Which events go through the outbox (a name pattern, * for any characters). */
        private String pattern = "*";
        /** How often the relay looks for committed events when no local commit woke it. */
        private Duration pollInterval = Duration.ofMillis(200);

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public String getTable() { return table; }
        public void setTable(String table) { this.table = table; }
        public boolean isCreateTable() { return createTable; }
        public void setCreateTable(boolean createTable) { this.createTable = createTable; }
        public String getPattern() { return pattern; }
        public void setPattern(String pattern) { this.pattern = pattern; }
        public Duration getPollInterval() { return pollInterval; }
        public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
    }

    /** The Redis Streams transport (weft-redis). */
    public static class Redis {
        /** Whether to set up the Redis transport when weft-redis is on the class path and a Redis is configured. */
        private boolean enabled = true;
        /** redis://[user:password@]host:port[/db] or rediss:// for TLS; empty: built from spring.data.redis.*. */
        private String url;
        /** The stream events are published to and consumed from. */
        private String stream = "weft";
        /** Which events the transport takes (a name pattern, * for any characters). */
        private String pattern = "*";
        /** Deliveries of one entry before it is moved to the dead-letter stream. */
        private int maxDeliveries = 5;
        /** How long a delivery may stay unacknowledged before another consumer gets it. */
        private Duration redeliverAfter = Duration.ofSeconds(60);
        /** The timeout of each Redis command. */
        private Duration commandTimeout = Duration.ofSeconds(10);

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public String getUrl() { return url; }
        public void setUrl(String url) { this.url = url; }
        public String getStream() { return stream; }
        public void setStream(String stream) { this.stream = stream; }
        public String getPattern() { return pattern; }
        public void setPattern(String pattern) { this.pattern = pattern; }
        public int getMaxDeliveries() { return maxDeliveries; }
        public void setMaxDeliveries(int maxDeliveries) { this.maxDeliveries = maxDeliveries; }
        public Duration getRedeliverAfter() { return redeliverAfter; }
        public void setRedeliverAfter(Duration redeliverAfter) { this.redeliverAfter = redeliverAfter; }
        public Duration getCommandTimeout() { return commandTimeout; }
        public void setCommandTimeout(Duration commandTimeout) { this.commandTimeout = commandTimeout; }
    }

    /** The Worker that consumes the transport and runs the @WeftHandler(worker = true) methods. */
    public static class Worker {
        /** Whether to run a Worker when there is a transport and at least one worker handler. */
        private boolean enabled = true;
        /** The consumer group; every process of one service should share it. */
        private String group = "weft-workers";
        /** This consumer's name in the group; empty: worker-<pid>. */
        private String consumer;
        /** Events handled at once at most. */
        private int concurrency = 16;
        /** Deliveries taken per receive. */
        private int batchSize = 32;
        /** The deadline of one handler run. */
        private Duration deadline = Duration.ofSeconds(30);
        /** How long one receive waits for new events. */
        private Duration pollWait = Duration.ofMillis(500);
        /** How long events in flight may take to finish at shutdown; empty: spring.lifecycle.timeout-per-shutdown-phase, else 30s. */
        private Duration shutdownGrace;

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public String getGroup() { return group; }
        public void setGroup(String group) { this.group = group; }
        public String getConsumer() { return consumer; }
        public void setConsumer(String consumer) { this.consumer = consumer; }
        public int getConcurrency() { return concurrency; }
        public void setConcurrency(int concurrency) { this.concurrency = concurrency; }
        public int getBatchSize() { return batchSize; }
        public void setBatchSize(int batchSize) { this.batchSize = batchSize; }
        public Duration getDeadline() { return deadline; }
        public void setDeadline(Duration deadline) { this.deadline = deadline; }
        public Duration getPollWait() { return pollWait; }
        public void setPollWait(Duration pollWait) { this.pollWait = pollWait; }
        public Duration getShutdownGrace() { return shutdownGrace; }
        public void setShutdownGrace(Duration shutdownGrace) { this.shutdownGrace = shutdownGrace; }
    }

    /** Loaders made per request by {@link RequestLoaders}. */
    public static class Loaders {
        /** The longest a key waits for its batch when the request's tasks never all wait. */
        private Duration maxDelay = Duration.ofMillis(5);
        /** Keys per batch at most. */
        private int maxBatchSize = 1000;

        public Duration getMaxDelay() { return maxDelay; }
        public void setMaxDelay(Duration maxDelay) { this.maxDelay = maxDelay; }
        public int getMaxBatchSize() { return maxBatchSize; }
        public void setMaxBatchSize(int maxBatchSize) { this.maxBatchSize = maxBatchSize; }
    }
}
