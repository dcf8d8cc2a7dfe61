package dev.weft.internal;

import java.time.Duration;

/** Small text helpers for messages, shared by weft-core's packages; not API. */
public final class Format {
    private Format() {}

    /** {@code IOException: boom}, or the simple class name when there is no message. */
    public static String summary(Throwable t) {
        String m = t.getMessage();
        String n = t.getClass().getSimpleName();
        if (n.isEmpty()) n = t.getClass().getName();
        return m == null ? n : n + ": " + m;
    }

    /** {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 3m}. */
    public static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms == 0 && !d.isZero()) return d.toNanos() + "ns";
        if (ms < 1000) return ms + "ms";
        if (ms % 60_000 == 0) return (ms / 60_000) + "m";
        if (ms % 1000 == 0) return (ms / 1000) + "s";
        return (ms / 1000.0) + "s";
    }
}
