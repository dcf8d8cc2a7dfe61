package dev.weft.batch;

/**
 * A {@link Loader} could not load a key: the batch function threw (the same cause for every key
 * of the batch, B3), failed this key alone, returned no value for it, or ran past its timeout.
 * Each caller gets its own instance, thrown on its own stack, with the shared cause.
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public class LoadFailedException extends RuntimeException {

    private final String loader;
    private final Object key;

    /** A failure of {@code key} in the loader named {@code loader}; {@code cause} may be null. */
    LoadFailedException(String loader, Object key, String message, Throwable cause) {
        super(message, cause);
        this.loader = loader;
        this.key = key;
    }

    /** The name of the loader. */
    public String loader() {
        return loader;
    }

    /** The key that failed, as the caller passed it. */
    public Object key() {
        return key;
    }
}
