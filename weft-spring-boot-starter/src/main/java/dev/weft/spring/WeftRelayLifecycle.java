package dev.weft.spring;

import dev.weft.jdbc.OutboxRelay;
import dev.weft.jdbc.RelayStatistics;
import java.util.Optional;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the outbox relay on a virtual thread: it publishes committed outbox rows to the transport.
 * It stops after the web server and the bus, and before the worker.
 */
public final class WeftRelayLifecycle implements SmartLifecycle {

    private final OutboxRelay relay;
    private volatile Thread thread;

    WeftRelayLifecycle(OutboxRelay relay) {
        this.relay = relay;
    }

    @Override
    public void start() {
        if (relay != null) thread = Thread.ofVirtual().name("weft-outbox-relay").start(relay::run);
    }

    @Override
    public void stop() {
        Thread t = thread;
        if (t == null) return;
        relay.shutdown();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread = null;
    }

    @Override
    public boolean isRunning() {
        return thread != null;
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 3584;
    }

    /** The relay's statistics; empty without a transport. */
    public Optional<RelayStatistics> statistics() {
        return relay == null ? Optional.empty() : Optional.of(relay.statistics());
    }
}
