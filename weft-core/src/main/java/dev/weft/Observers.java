package dev.weft;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * The {@link ScopeObserver}s of one scope (the process-wide ones its tree opened with, its
 * ancestors' and its own) and what they returned at its opening. Null in a scope with none, so
 * the hot paths pay one null check. Every call is guarded: an observer that throws is reported to
 * the thread's uncaught-exception handler and changes nothing else.
 */
final class Observers {

    private static final ScopeObserver[] NONE = new ScopeObserver[0];
    private static volatile ScopeObserver[] global = NONE;

    private final ScopeObserver[] list;
    private final Object[] states;

    private Observers(ScopeObserver[] list) {
        this.list = list;
        this.states = new Object[list.length];
    }

    static ScopeObserver.Registration register(ScopeObserver o) {
        java.util.Objects.requireNonNull(o, "observer");
        synchronized (Observers.class) {
            ScopeObserver[] g = Arrays.copyOf(global, global.length + 1);
            g[g.length - 1] = o;
            global = g;
        }
        return () -> {
            synchronized (Observers.class) {
                ScopeObserver[] g = global;
                for (int i = 0; i < g.length; i++) {
                    if (g[i] == o) {
                        ScopeObserver[] next = new ScopeObserver[g.length - 1];
                        System.arraycopy(g, 0, next, 0, i);
                        System.arraycopy(g, i + 1, next, i, g.length - i - 1);
                        global = next;
                        return;
                    }
                }
            }
        };
    }

    /**
     * The observers of a new scope: the enclosing scope's (or, for an outermost scope, the
     * process-wide ones) and {@code own}; null if there are none.
     */
    static Observers of(Scope enclosing, ScopeObserver own) {
        ScopeObserver[] inherited = enclosing != null
                ? (enclosing.observers == null ? NONE : enclosing.observers.list)
                : global;
        if (own != null) {
            for (ScopeObserver o : inherited) {
                if (o == own) own = null; // it sees this scope already: once is enough
            }
        }
        if (own == null) return inherited.length == 0 ? null : new Observers(inherited);
        ScopeObserver[] l = Arrays.copyOf(inherited, inherited.length + 1);
        l[inherited.length] = own;
        return new Observers(l);
    }

    void opened(Scope s) {
        for (int i = 0; i < list.length; i++) {
            try {
                states[i] = list[i].scopeOpened(s);
            } catch (Throwable t) {
                report(t);
            }
        }
    }

    <T> Callable<T> forked(Scope s, Task<?> task, Callable<T> work) {
        for (ScopeObserver o : list) {
            try {
                o.taskForked(s, task);
            } catch (Throwable t) {
                report(t);
            }
        }
        // The last observer wraps first, so the first one's wrapper is outermost on the task's
        // thread: contexts nest in the order scopeOpened pushed them (a trace span, then an MDC).
        for (int i = list.length - 1; i >= 0; i--) {
            try {
                Callable<T> w = list[i].wrap(s, task, work);
                if (w != null) work = w;
            } catch (Throwable t) {
                report(t);
            }
        }
        return work;
    }

    void taskEnded(Scope s, Task<?> task) {
        for (ScopeObserver o : list) {
            try {
                o.taskEnded(s, task);
            } catch (Throwable t) {
                report(t);
            }
        }
    }

    void cancelled(Scope s, CancelReason reason) {
        for (ScopeObserver o : list) {
            try {
                o.scopeCancelled(s, reason);
            } catch (Throwable t) {
                report(t);
            }
        }
    }

    void closed(Scope s, Duration elapsed, int tasks, int failures, ScopeSummary.Outcome outcome) {
        ScopeSummary summary = new ScopeSummary(elapsed, tasks, failures, outcome);
        // Last opened, first closed: an observer that pushed a thread-bound context in scopeOpened
        // (a tracer's current span) pops it while what the observers after it pushed is gone.
        for (int i = list.length - 1; i >= 0; i--) {
            try {
                list[i].scopeClosed(s, states[i], summary);
            } catch (Throwable t) {
                report(t);
            }
        }
    }

    private static void report(Throwable t) {
        Thread me = Thread.currentThread();
        try {
            me.getUncaughtExceptionHandler().uncaughtException(me, t);
        } catch (Throwable ignored) {
            // an uncaught-exception handler that throws has nowhere left to report to
        }
    }
}
