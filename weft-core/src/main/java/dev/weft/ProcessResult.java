package dev.weft;

import java.util.List;

/**
 * The outcome of a process forked with {@link Scope#forkProcess}: its exit status and what it
 * wrote. A non-zero exit status is a result, not a failure; {@link #requireSuccess()} makes it one.
 *
 * @param command  the command line that was run
 * @param pid      the process id
 * @param exitCode the exit status
 * @param stdout   standard output decoded as UTF-8 (empty if it was redirected elsewhere)
 * @param stderr   standard error decoded as UTF-8 (empty if redirected, or merged into stdout)
 */
public record ProcessResult(List<String> command, long pid, int exitCode, String stdout, String stderr) {

    /** Copies the command. */
    public ProcessResult {
        command = List.copyOf(command);
    }

    /** Whether the exit status is 0. */
    public boolean succeeded() {
        return exitCode == 0;
    }

    /**
     * Returns this result if the process exited with 0.
     *
     * @throws IllegalStateException naming the command, the status and the end of stderr otherwise
     */
    public ProcessResult requireSuccess() {
        if (exitCode != 0) {
            String tail = stderr.length() > 500 ? "..." + stderr.substring(stderr.length() - 500) : stderr;
            throw new IllegalStateException("process " + command + " (pid " + pid + ") exited with status " + exitCode
                    + (tail.isBlank() ? "" : "; stderr: " + tail.strip()));
        }
        return this;
    }
}
