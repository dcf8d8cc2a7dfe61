package dev.weft;

/**
 * Where a task runs. All three give the caller the same {@link Task} type (Python's
 * {@code unsync}: one awaitable for I/O, CPU and process work).
 */
public enum ExecutionKind {
    /** A new virtual thread: for I/O and waiting. {@link Scope#fork(java.util.concurrent.Callable)} */
    VIRTUAL,
    /** A bounded pool of platform threads: for CPU-bound work. {@link Scope#forkCpu(java.util.concurrent.Callable)} */
    CPU,
    /** A child process watched by a virtual thread. {@link Scope#forkProcess(ProcessBuilder)} */
    PROCESS
}
