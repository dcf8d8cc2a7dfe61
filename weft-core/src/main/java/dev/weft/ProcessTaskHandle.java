package dev.weft;

/** The {@link ProcessTask} that {@link Scope#forkProcess} returns: the task, and its runner for the pid. */
final class ProcessTaskHandle implements ProcessTask {
    private final ForkedTask<ProcessResult> task;
    private final ProcessRunner runner;

    ProcessTaskHandle(ForkedTask<ProcessResult> task, ProcessRunner runner) {
        this.task = task;
        this.runner = runner;
    }

    @Override
    public long pid() {
        return runner.pid(task);
    }

    @Override
    public String name() {
        return task.name();
    }

    @Override
    public ExecutionKind kind() {
        return task.kind();
    }

    @Override
    public TaskState state() {
        return task.state();
    }

    @Override
    public ProcessResult join() {
        return task.join();
    }

    @Override
    public ProcessResult result() {
        return task.result();
    }

    @Override
    public Throwable exception() {
        return task.exception();
    }

    @Override
    public void cancel(String reason) {
        task.cancel(reason);
    }

    @Override
    public String toString() {
        return task.toString();
    }
}
