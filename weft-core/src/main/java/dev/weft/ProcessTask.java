package dev.weft;

/**
 * A task running a child process ({@link Scope#forkProcess}): a {@link Task} whose value is the
 * {@link ProcessResult}, and which knows the process while it runs.
 */
public interface ProcessTask extends Task<ProcessResult> {

    /**
     * The process id, as soon as the process has started: waits for that (usually microseconds
     * after the fork). A cancellation point.
     *
     * @throws IllegalStateException if the process could not be started (the task's failure says
     *                               why), or the task was cancelled before it started it
     * @throws Cancelled             if the caller's scope is cancelled while it waits
     */
    long pid();
}
