package dev.weft;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * What {@link Scope#forkProcess(String, ProcessBuilder, ProcessOutput)} does with a process's
 * standard output and error (those the {@link ProcessBuilder} leaves as pipes; other redirects
 * are respected): capture them for the {@link ProcessResult} (the default), or stream them line by
 * line to consumers while the process runs, and optionally capture them as well.
 *
 * <pre>{@code
 * ProcessTask build = scope.forkProcess("build", new ProcessBuilder("make"),
 *         ProcessOutput.streamed(line -> log.info("make: {}", line), line -> log.warn("make: {}", line)));
 * log.info("make runs as pid {}", build.pid());
 * build.join().requireSuccess();
 * }</pre>
 *
 * <p>Each stream is read by a thread of its own that the task starts and waits for, so the task
 * (and so the scope) ends only once both streams are drained (S1); lines are decoded as UTF-8 and
 * handed over in order, without their line terminator. A consumer that throws fails the task: the
 * process tree is destroyed and the exception is the task's failure. To feed a {@code Channel},
 * pass {@code channel.sender()::send} (a blocking send is fine: it holds the reader, which holds
 * the process once the pipe's buffer is full, which is back pressure).
 *
 * <p>A streamed process whose descendants keep its output open after it exits keeps the task
 * reading until they close it, or until the task is cancelled (then the tree is destroyed). The
 * captured mode reads through temporary files instead and has no such wait.
 */
public final class ProcessOutput {

    private static final ProcessOutput CAPTURED = new ProcessOutput(null, null, true);

    final Consumer<String> stdout;
    final Consumer<String> stderr;
    final boolean capture;

    private ProcessOutput(Consumer<String> stdout, Consumer<String> stderr, boolean capture) {
        this.stdout = stdout;
        this.stderr = stderr;
        this.capture = capture;
    }

    /** Captures standard output and error for the {@link ProcessResult}; nothing is streamed. The default. */
    public static ProcessOutput captured() {
        return CAPTURED;
    }

    /**
     * Streams standard output and error line by line to {@code stdout} and {@code stderr} while
     * the process runs; the result's {@code stdout} and {@code stderr} are then empty unless
     * {@link #alsoCaptured()} is asked for.
     */
    public static ProcessOutput streamed(Consumer<String> stdout, Consumer<String> stderr) {
        Objects.requireNonNull(stdout, "stdout: pass what to do with each line of standard output, e.g. line -> log.info(line)");
        Objects.requireNonNull(stderr, "stderr: pass what to do with each line of standard error, e.g. line -> log.warn(line)");
        return new ProcessOutput(stdout, stderr, false);
    }

    /** This streaming mode, also keeping every line for the {@link ProcessResult} (joined with {@code \n}). */
    public ProcessOutput alsoCaptured() {
        if (stdout == null) return this;
        return new ProcessOutput(stdout, stderr, true);
    }

    boolean streams() {
        return stdout != null;
    }
}
