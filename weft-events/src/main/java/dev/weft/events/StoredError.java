package dev.weft.events;

/**
 * The error of a dead letter read back from a durable store: the exception object did not survive
 * (no Java serialization, ADR 0042), its text did. {@link #getMessage()} and {@link #toString()}
 * give the stored text's first line (the original class and message), {@link #text()} all of it.
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions.
@SuppressWarnings("serial")
final class StoredError extends RuntimeException {
    private final String text;

    StoredError(String text) {
        super(firstLine(text), null, false, false);
        this.text = text;
    }

    /** The whole stored text: class, message, stack trace (cut at 8,000 characters). */
    String text() {
        return text;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).stripTrailing();
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
