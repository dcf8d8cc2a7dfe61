package dev.weft.examples.spring;

import dev.weft.events.HandlerMode;
import dev.weft.spring.WeftHandler;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import org.springframework.stereotype.Component;

/** The event's two handlers: statistics in this process, and the birders told by the worker, from the transport. */
@Component
public class Birders {

    private static final System.Logger LOG = System.getLogger(Birders.class.getName());

    private final Map<String, Integer> statistics = new ConcurrentHashMap<>();
    private final Set<Integer> told = new ConcurrentSkipListSet<>();

    /** Runs after the response, only if the request succeeded. */
    @WeftHandler(name = "statistics", mode = HandlerMode.ASYNC, maxAttempts = 3, backoff = "100ms")
    void count(SightingReported s) {
        int total = statistics.merge(s.species(), s.count(), Integer::sum);
        LOG.log(System.Logger.Level.INFO, "#{0} [stats] after the response: {1} {2}", s.report(), s.species(), total);
    }

    /** Run by the worker: the event went through the transport (Redis Streams with WEFT_REDIS_URL). */
    @WeftHandler(name = "tell-birders", worker = true)
    void tell(SightingReported s) {
        told.add(s.report());
        LOG.log(System.Logger.Level.INFO, "#{0} [worker] birders told of {1} {2}", s.report(), s.count(), s.species());
    }

    /** Birds per species seen by the statistics handler (a snapshot). */
    public Map<String, Integer> statistics() {
        return new TreeMap<>(statistics);
    }

    /** The reports the worker handled. */
    public Set<Integer> told() {
        return Set.copyOf(told);
    }
}
