package dev.weft.spring;

import dev.weft.events.EventBus;
import java.time.Duration;
import org.springframework.context.SmartLifecycle;

/**
 * At shutdown, after the web server stopped (so no request emits any more), waits up to the
 * grace period for the bus to hand on every event in flight (to its handlers and its transport),
 * before the worker stops and the bus is closed.
 */
final class WeftBusLifecycle implements SmartLifecycle {

    private final EventBus bus;
    private final Duration grace;
    private volatile boolean running;

    WeftBusLifecycle(EventBus bus, Duration grace) {
        this.bus = bus;
        this.grace = grace;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        try {
            bus.awaitIdle(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running = false;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 3072;
    }
}
