package dev.weft;

import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The real clock. Deadline actions run on one daemon platform thread; they only flip a flag and
 * interrupt threads, so one thread is enough. Timed waits on this clock use
 * {@code LockSupport.parkNanos} directly and never touch the timer thread.
 */
final class SystemClock implements WeftClock {
    static final SystemClock INSTANCE = new SystemClock();

    private SystemClock() {}

    /** Created on first use, so programs that never set a deadline never start the thread. */
    private static final class Timer {
        static final ScheduledThreadPoolExecutor EXECUTOR = create();

        private static ScheduledThreadPoolExecutor create() {
            ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "weft-deadlines");
                t.setDaemon(true);
                return t;
            });
            e.setRemoveOnCancelPolicy(true);
            return e;
        }
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Instant instant() {
        return Instant.now();
    }

    @Override
    public Scheduled schedule(long atNanos, Runnable action) {
        long delay = atNanos - System.nanoTime();
        if (delay <= 0) {
            action.run();
            return () -> {};
        }
        ScheduledFuture<?> f = Timer.EXECUTOR.schedule(action, delay, TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public String toString() {
        return "WeftClock.system()";
    }
}
