/**
 * Weft core: structured concurrency for Java 21+ on virtual threads.
 *
 * <ul>
 *   <li>{@code dev.weft}: scopes and tasks, cancellation, deadlines, exception groups, context,
 *   clocks, and the combinators built on them ({@code Par}, {@code Weft.retry}). Start at
 *   {@link dev.weft.Scope}.</li>
 *   <li>{@code dev.weft.channels}: channels and {@code Select}.</li>
 *   <li>{@code dev.weft.sync}: mutexes, semaphores, capacity limiters, one-shot flags, conditions.</li>
 *   <li>{@code dev.weft.batch}: the batching {@code Loader}.</li>
 * </ul>
 * The machinery the packages share ({@code dev.weft.internal}) is not exported (ADR 0028).
 */
module dev.weft.core {
    // Flight Recorder events (ADR 0031), where the runtime has the module; Weft runs without it.
    requires static jdk.jfr;

    exports dev.weft;
    exports dev.weft.channels;
    exports dev.weft.sync;
    exports dev.weft.batch;
}
