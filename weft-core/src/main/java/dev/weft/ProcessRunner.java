package dev.weft;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * Runs one child process for {@link Scope#forkProcess} on the task's virtual thread.
 *
 * <ul>
 *   <li>Output that the builder leaves as a pipe (the default) is captured through temporary
 *   files, not pipes: no reader threads to outlive the scope, and a grandchild that keeps a pipe
 *   open cannot hang the task. Other redirects are respected. Standard input is closed at once
 *   unless redirected, so a process that reads it sees end-of-file instead of waiting forever.</li>
 *   <li>On cancellation the wait is interrupted; the runner snapshots the descendants, destroys
 *   the process forcibly, then each descendant (and each one's own descendants), then waits
 *   for the process to exit. A process that escapes by double-forking between two snapshots
 *   and re-parenting to init is beyond reach; that is documented, not hidden.</li>
 * </ul>
 */
final class ProcessRunner implements Callable<ProcessResult> {
    private final ProcessBuilder builder;
    private final List<String> command;
    private final ProcessOutput output;
    /** The process id once started; -1 before. Written once, then {@link #phase} announces it. */
    private volatile long pid = -1;
    /** 0: not started yet, 1: started, 2: will never start (failed or cancelled first). */
    private volatile int phase;
    private List<Thread> pidWaiters; // guarded by this

    ProcessRunner(ProcessBuilder builder) {
        this(builder, ProcessOutput.captured());
    }

    ProcessRunner(ProcessBuilder builder, ProcessOutput output) {
        this.output = Objects.requireNonNull(output, "output: pass ProcessOutput.captured() or ProcessOutput.streamed(..)");
        Objects.requireNonNull(builder, "command: pass a ProcessBuilder describing the process");
        this.command = List.copyOf(builder.command());
        if (command.isEmpty()) {
            throw new IllegalArgumentException("the ProcessBuilder has no command: give it one, e.g. new ProcessBuilder(\"ls\", \"-l\")");
        }
        // A private copy taken at fork time: the caller may reuse or change its builder, and the
        // output redirects this runner sets must never leak into the caller's object.
        ProcessBuilder copy = new ProcessBuilder(command)
                .directory(builder.directory())
                .redirectInput(builder.redirectInput())
                .redirectOutput(builder.redirectOutput())
                .redirectError(builder.redirectError())
                .redirectErrorStream(builder.redirectErrorStream());
        copy.environment().clear();
        copy.environment().putAll(builder.environment());
        this.builder = copy;
    }

    @Override
    public ProcessResult call() throws Exception {
        try {
            return output.streams() ? runStreamed() : runCaptured();
        } finally {
            announce(2); // if it never started; a no-op once it has
        }
    }

    private ProcessResult runCaptured() throws Exception {
        Path out = null;
        Path err = null;
        try {
            if (builder.redirectOutput() == ProcessBuilder.Redirect.PIPE) {
                out = Files.createTempFile("weft-process-", ".out");
                builder.redirectOutput(out.toFile());
            }
            if (!builder.redirectErrorStream() && builder.redirectError() == ProcessBuilder.Redirect.PIPE) {
                err = Files.createTempFile("weft-process-", ".err");
                builder.redirectError(err.toFile());
            }
            Process process = started(builder.start());
            int exit = awaitExit(process);
            return new ProcessResult(command, process.pid(), exit, read(out), read(err));
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /**
     * Streams the pipes line by line on two reader threads of this task's own, joined before the
     * task ends (S1). A reader whose consumer throws destroys the tree, so the process cannot
     * block on a full pipe nobody drains, and its exception becomes the task's failure.
     */
    private ProcessResult runStreamed() throws Exception {
        Process process = started(builder.start());
        LineReader out = builder.redirectOutput() == ProcessBuilder.Redirect.PIPE
                ? new LineReader(process, process.getInputStream(), output.stdout, output.capture, "stdout") : null;
        LineReader err = !builder.redirectErrorStream() && builder.redirectError() == ProcessBuilder.Redirect.PIPE
                ? new LineReader(process, process.getErrorStream(), output.stderr, output.capture, "stderr") : null;
        int exit;
        try {
            exit = awaitExit(process);
            joinReader(out); // EOF once the process and every descendant holding the pipe closed it
            joinReader(err);
        } catch (Throwable t) {
            // Cancelled: the tree goes; closing our ends unblocks readers in read(), and an
            // interrupt wakes a consumer blocked in a wait of its own (a full channel, say).
            destroyTree(process);
            closeQuietly(process.getInputStream());
            closeQuietly(process.getErrorStream());
            if (out != null) out.thread.interrupt();
            if (err != null) err.thread.interrupt();
            joinReaderUninterruptibly(out);
            joinReaderUninterruptibly(err);
            throw t;
        }
        for (LineReader r : new LineReader[] {out, err}) {
            if (r != null && r.failure != null) {
                if (r.failure instanceof Exception e) throw e;
                throw (Error) r.failure;
            }
        }
        return new ProcessResult(command, process.pid(), exit, out == null ? "" : out.captured(), err == null ? "" : err.captured());
    }

    private Process started(Process process) throws IOException {
        pid = process.pid();
        announce(1);
        if (builder.redirectInput() == ProcessBuilder.Redirect.PIPE) process.getOutputStream().close();
        return process;
    }

    private static int awaitExit(Process process) throws InterruptedException {
        try {
            return process.waitFor();
        } catch (Throwable t) {
            destroyTree(process);
            throw t;
        }
    }

    /** Waits for a reader; if it failed, destroys the tree at once (it stopped draining its pipe). */
    private static void joinReader(LineReader r) throws InterruptedException {
        if (r != null) r.thread.join();
    }

    private static void joinReaderUninterruptibly(LineReader r) {
        if (r == null) return;
        boolean interrupted = false;
        while (r.thread.isAlive()) {
            try {
                r.thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** One pipe read line by line on a virtual thread of its own. */
    private static final class LineReader implements Runnable {
        private final Process process;
        private final InputStream in;
        private final java.util.function.Consumer<String> consumer;
        private final StringBuilder captured;
        final Thread thread;
        volatile Throwable failure;

        LineReader(Process process, InputStream in, java.util.function.Consumer<String> consumer, boolean capture, String what) {
            this.process = process;
            this.in = in;
            this.consumer = consumer;
            this.captured = capture ? new StringBuilder() : null;
            this.thread = Thread.ofVirtual().name("process-" + process.pid() + "-" + what).start(this);
        }

        @Override
        public void run() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (captured != null) {
                        if (!captured.isEmpty()) captured.append('\n');
                        captured.append(line);
                    }
                    consumer.accept(line);
                }
            } catch (IOException closed) {
                // Our end was closed because the task is ending (cancellation): nothing to report.
            } catch (Throwable t) {
                failure = t;
                destroyTree(process); // nobody drains this pipe any more: do not let the process block on it
            }
        }

        String captured() {
            return captured == null ? "" : captured.toString();
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // closing our end of a pipe to unblock its reader; a failure changes nothing
        }
    }

    /** The task ended, whether or not its code ran (a task cancelled before it starts never runs). */
    void taskEnded() {
        announce(2);
    }

    /** Wakes pid() waiters: the process started (1), or never will (2); the first call wins. */
    private void announce(int newPhase) {
        List<Thread> toWake;
        synchronized (this) {
            if (phase != 0) return;
            phase = newPhase;
            toWake = pidWaiters;
            pidWaiters = null;
        }
        if (toWake != null) toWake.forEach(java.util.concurrent.locks.LockSupport::unpark);
    }

    /** The process id once started (a cancellation point while it waits); see {@link ProcessTask#pid()}. */
    long pid(Task<?> task) {
        if (phase == 0) {
            Thread me = Thread.currentThread();
            synchronized (this) {
                if (phase == 0) {
                    if (pidWaiters == null) pidWaiters = new ArrayList<>(1);
                    pidWaiters.add(me);
                }
            }
            try {
                Waits.await(() -> phase != 0, Deadlines.NONE, this);
            } finally {
                synchronized (this) {
                    if (pidWaiters != null) pidWaiters.remove(me);
                }
            }
        }
        if (phase == 1) return pid;
        throw new IllegalStateException("task '" + task.name() + "' has no process: it "
                + (task.state() == TaskState.CANCELLED ? "was cancelled before it started one" : "could not start " + command
                + " (see the task's failure)"));
    }

    /** Kills the process, then every descendant seen before and after, then waits for the process. */
    static void destroyTree(Process process) {
        List<ProcessHandle> family = new ArrayList<>(process.descendants().toList());
        process.destroyForcibly();
        for (int i = 0; i < family.size(); i++) {
            ProcessHandle h = family.get(i);
            h.descendants().forEach(family::add);
            h.destroyForcibly();
        }
        boolean interrupted = false;
        while (true) {
            try {
                process.waitFor();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private static String read(Path p) {
        if (p == null) return "";
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the captured output of " + p, e);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // A temp file we could not delete is left to the OS's temp cleaner; nothing is lost.
        }
    }
}
