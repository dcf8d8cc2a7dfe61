package dev.weft.guide;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What the guide's tests share: the snippets print with {@code System.out.println}, as a reader's
 * code would, and the tests assert what the pages say they print. Each test gets the lines printed
 * while it ran, from any thread ({@link #printed()}); nothing reaches the real standard output.
 */
abstract class GuideTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private PrintStream original;

    @BeforeEach
    void captureStandardOutput() {
        original = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStandardOutput() {
        System.setOut(original);
    }

    /** The lines printed so far, in the order they were printed. */
    List<String> printed() {
        synchronized (bytes) {
            String text = bytes.toString(StandardCharsets.UTF_8);
            return text.isEmpty() ? List.of() : text.lines().toList();
        }
    }
}
