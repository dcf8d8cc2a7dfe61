package dev.weft.test;

import java.text.MessageFormat;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A {@link System.Logger} that keeps what it is given, formatted as {@code LEVEL message}, for
 * assertions: pass it where Weft takes a logger (a {@code Worker}, a transport's builder).
 * Thread-safe.
 */
public final class LogCapture implements System.Logger {
    private final List<String> lines = new CopyOnWriteArrayList<>();

    /** A capture with nothing logged yet. */
    public LogCapture() {}

    /** The lines logged so far, oldest first (a live, thread-safe view). */
    public List<String> lines() {
        return lines;
    }

    @Override
    public String getName() {
        return "capture";
    }

    @Override
    public boolean isLoggable(Level level) {
        return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        lines.add(level + " " + msg + (thrown != null ? " " + thrown : ""));
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        lines.add(level + " " + (params == null || params.length == 0 ? format : MessageFormat.format(format, params)));
    }

    @Override
    public void log(Level level, Supplier<String> msg) {
        lines.add(level + " " + msg.get());
    }

    /** Every line logged so far, joined by newlines. */
    public String all() {
        return String.join("\n", lines);
    }
}
