package dev.weft;

/**
 * The body of a scope: runs with the open {@link Scope}, may fork tasks into it, returns the
 * scope's value. It may throw anything; the scope reports it in an {@link ExceptionGroup}.
 *
 * @param <T> what the scope returns
 */
@FunctionalInterface
public interface ScopeBody<T> {
    /** Runs the body. */
    T run(Scope scope) throws Exception;
}
