package dev.weft;

import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;

/**
 * A key for a value bound to a scope (S10): visible to the scope's body, its tasks and the
 * scopes nested in them, and to nothing else, not even threads started by hand inside a task.
 * The innermost binding wins. Bindings are fixed when the scope opens.
 *
 * <pre>{@code
 * static final ContextKey<String> REQUEST_ID = ContextKey.named("request-id");
 *
 * Scope.builder().bind(REQUEST_ID, "r-42").run(scope -> {
 *     scope.fork(() -> log(REQUEST_ID.get()));   // "r-42"
 *     return null;
 * });
 * REQUEST_ID.find();                             // Optional.empty() out here
 * }</pre>
 *
 * <p>Keys compare by identity, like {@code ThreadLocal}s: keep one in a {@code static final}
 * field. Why not {@code ScopedValue} or {@code InheritableThreadLocal}: see
 * {@code docs/adr/0004-scope-context.md}.
 *
 * @param <T> the type of the bound value
 */
public final class ContextKey<T> {
    private final String name;

    private ContextKey(String name) {
        this.name = name;
    }

    /** A new key; the name is for messages only. */
    public static <T> ContextKey<T> named(String name) {
        Objects.requireNonNull(name, "name");
        return new ContextKey<>(name);
    }

    /** The key's name. */
    public String name() {
        return name;
    }

    /** The value bound in the innermost enclosing scope that binds this key, if any. */
    public Optional<T> find() {
        for (CancelNode n = Current.node(); n != null; n = n.parent) {
            if (n instanceof Scope s) {
                T v = s.boundHere(this);
                if (v != null) return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /**
     * The bound value.
     *
     * @throws NoSuchElementException if no enclosing scope binds this key
     */
    public T get() {
        return find().orElseThrow(() -> new NoSuchElementException("no value for context key '" + name
                + "' here: bind it with Scope.builder().bind(key, value) on a scope that encloses this code"
                + " (threads started by hand inside a task see no context; fork them instead)"));
    }

    /** Whether an enclosing scope binds this key. */
    public boolean isBound() {
        return find().isPresent();
    }

    @SuppressWarnings("unchecked")
    T cast(Object o) {
        return (T) o;
    }

    @Override
    public String toString() {
        return "ContextKey[" + name + "]";
    }
}
