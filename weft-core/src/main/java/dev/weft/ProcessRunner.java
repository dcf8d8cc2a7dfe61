package dev.weft;

import java.io.IOException;
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

    ProcessRunner(ProcessBuilder builder) {
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
            Process process = builder.start();
            if (builder.redirectInput() == ProcessBuilder.Redirect.PIPE) process.getOutputStream().close();
            int exit;
            try {
                exit = process.waitFor();
            } catch (InterruptedException cancelled) {
                destroyTree(process);
                throw cancelled;
            } catch (Throwable t) {
                destroyTree(process);
                throw t;
            }
            return new ProcessResult(command, process.pid(), exit, read(out), read(err));
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
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
