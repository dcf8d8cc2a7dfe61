package dev.weft.redis;

import dev.weft.events.transport.TransportException;

/**
 * Redis answered a command with an error: the connection is fine, the command was refused. Carries
 * the error's code (its first word: {@code NOGROUP}, {@code BUSYGROUP}, {@code NOPERM} ...), so the
 * transport can act on a code without parsing messages.
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
final class RedisServerError extends TransportException {
    private final String code;

    RedisServerError(String message, String code) {
        super(message);
        this.code = code;
    }

    /** The first word of Redis' error, e.g. {@code NOGROUP}. */
    String code() {
        return code;
    }

    boolean is(String code) {
        return this.code.equals(code);
    }

    /** The code of {@code serverMessage} (its first word), or {@code ERR} if it has none. */
    static String codeOf(String serverMessage) {
        int space = serverMessage.indexOf(' ');
        String first = space < 0 ? serverMessage : serverMessage.substring(0, space);
        return first.isEmpty() || !first.chars().allMatch(c -> c >= 'A' && c <= 'Z') ? "ERR" : first;
    }
}
