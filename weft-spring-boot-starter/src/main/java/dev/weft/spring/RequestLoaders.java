package dev.weft.spring;

import dev.weft.batch.BatchFunction;
import dev.weft.batch.BatchListener;
import dev.weft.batch.Loader;
import dev.weft.batch.LoaderStatistics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The loaders of one request (a request-scoped bean): {@link #loader} makes a {@link Loader} the
 * first time a request asks for a name and hands the same one back for the rest of the request,
 * so a controller's N+1 reads become one batch per level (the tasks of the request's scope tree
 * are forked with {@code Par.map} or {@code scope.fork}, see docs/guide/batching.md), and the
 * cache lives exactly as long as the request. When the request ends its loaders' statistics are
 * added to the application's totals, which the actuator endpoint shows.
 *
 * <pre>{@code
 * @GetMapping("/page") List<String> page(RequestLoaders loaders) { ... }   // or inject the bean
 * Loader<Long, User> users = loaders.loader("users", (List<Long> ids) -> repository.byIds(ids));
 * List<String> names = Par.map(ids, 16, id -> users.load(id).name());
 * }</pre>
 */
public class RequestLoaders {

    private final Map<String, Loader<?, ?>> loaders = new ConcurrentHashMap<>();
    private final LoaderTotals totals;
    private final Duration maxDelay;
    private final int maxBatchSize;
    private final @Nullable BatchListener listener;

    /**
     * Loaders with the given limits and batch listener (weft-micrometer's, when it is there; may be
     * null), whose statistics are added to {@code totals} at the end of the request.
     */
    public RequestLoaders(LoaderTotals totals, Duration maxDelay, int maxBatchSize, @Nullable BatchListener listener) {
        this.totals = totals;
        this.listener = listener;
        this.maxDelay = maxDelay;
        this.maxBatchSize = maxBatchSize;
    }

    /**
     * This request's loader named {@code name}, made with {@code batch} on first use. Asking again
     * with the same name returns the first loader (its batch function too).
     */
    @SuppressWarnings("unchecked")
    public <K, V> Loader<K, V> loader(String name, BatchFunction<K, V> batch) {
        return (Loader<K, V>) loaders.computeIfAbsent(name, n -> {
            Loader.Builder<K, V> b = Loader.builder(batch).name(n).maxDelay(maxDelay).maxBatchSize(maxBatchSize);
            if (listener != null) b.listener(listener);
            return b.build();
        });
    }

    /** The statistics of this request's loaders so far, one per name. */
    public List<LoaderStatistics> statistics() {
        List<LoaderStatistics> out = new ArrayList<>();
        for (Loader<?, ?> l : loaders.values()) out.add(l.statistics());
        return out;
    }

    /** Called by Spring when the request ends: adds this request's figures to the totals. */
    public void requestEnded() {
        for (Loader<?, ?> l : loaders.values()) totals.add(l.statistics());
        loaders.clear();
    }
}
