package dev.weft.spring;

import dev.weft.events.transport.EventCodec;
import dev.weft.events.transport.Transport;
import dev.weft.events.worker.Worker;
import dev.weft.events.worker.WorkerObserver;
import dev.weft.events.worker.WorkerStatistics;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the starter's {@link Worker} (the {@code @WeftHandler(worker = true)} methods, fed by the
 * transport) on a virtual thread while the application runs. It starts before the web server and
 * stops after it and after the bus: Spring's graceful shutdown first lets the requests in
 * progress finish (their events reach the transport), then the worker takes no new deliveries and
 * gives the events in flight {@code weft.worker.shutdown-grace} to finish; what is not done stays
 * unacknowledged for redelivery.
 */
public final class WeftWorkerLifecycle implements SmartLifecycle {

    /** After the web server (graceful shutdown at DEFAULT_PHASE - 1024, stop at - 2048) and the bus (- 3072). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final Transport transport;
    private final EventCodec codec;
    private final WeftHandlerRegistrar handlers;
    private final WeftProperties.Worker settings;
    private final WeftProperties.Retry retry;
    private final Duration grace;
    private final @Nullable WorkerObserver observer;
    private final @Nullable Binder binder;
    private volatile Worker worker;
    private volatile Thread thread;
    private volatile @Nullable AutoCloseable binding;

    /** Binds a started worker to something that reads it (its meters), until the returned handle is closed. */
    @FunctionalInterface
    public interface Binder {
        /** Starts reading {@code worker}; closing the result stops it. */
        AutoCloseable bind(Worker worker);
    }

    WeftWorkerLifecycle(Transport transport, EventCodec codec, WeftHandlerRegistrar handlers, WeftProperties properties, Duration grace,
                        @Nullable WorkerObserver observer, @Nullable Binder binder) {
        this.observer = observer;
        this.binder = binder;
        this.transport = transport;
        this.codec = codec;
        this.handlers = handlers;
        this.settings = properties.getWorker();
        this.retry = properties.getRetry();
        this.grace = grace;
    }

    @Override
    public void start() {
        // Nothing to run without a transport or without a worker handler in this application.
        if (transport == null || handlers.workerHandlers().isEmpty()) return;
        Worker.Builder b = Worker.builder(transport, codec).group(settings.getGroup()).concurrency(settings.getConcurrency())
                .batchSize(settings.getBatchSize()).deadline(settings.getDeadline()).pollWait(settings.getPollWait())
                .retry(dev.weft.RetryPolicy.exponential(retry.getMaxAttempts(), retry.getInitialBackoff(), retry.getMaxBackoff()));
        if (settings.getConsumer() != null && !settings.getConsumer().isBlank()) b.consumer(settings.getConsumer());
        handlers.addTo(b);
        if (observer != null) b.observer(observer);
        Worker w = b.build();
        if (binder != null) binding = binder.bind(w);
        worker = w;
        thread = Thread.ofVirtual().name("weft-worker").start(w::run);
    }

    @Override
    public void stop(Runnable callback) {
        Worker w = worker;
        Thread t = thread;
        if (w == null) {
            callback.run();
            return;
        }
        Thread.ofVirtual().name("weft-worker-shutdown").start(() -> {
            try {
                w.shutdown(grace);
                t.join(grace.plusSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeBinding();
                worker = null;
                thread = null;
                callback.run();
            }
        });
    }

    private void closeBinding() {
        AutoCloseable b = binding;
        binding = null;
        if (b == null) return;
        try {
            b.close();
        } catch (Exception e) {
            System.getLogger(WeftWorkerLifecycle.class.getName()).log(System.Logger.Level.WARNING, "could not unbind the worker's meters", e);
        }
    }

    @Override
    public void stop() {
        throw new UnsupportedOperationException("Spring calls stop(Runnable) on a SmartLifecycle; stop() is not used");
    }

    @Override
    public boolean isRunning() {
        return worker != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** The running worker's statistics; empty when it does not run. */
    public Optional<WorkerStatistics> statistics() {
        Worker w = worker;
        return w == null ? Optional.empty() : Optional.of(w.statistics());
    }

    /** The consumer group the worker reads with. */
    public String group() {
        return settings.getGroup();
    }
}
