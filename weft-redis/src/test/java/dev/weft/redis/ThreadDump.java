package dev.weft.redis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A thread dump of this JVM, virtual threads included (jcmd Thread.dump_to_file), for tests that find something stuck. */
final class ThreadDump {
    private ThreadDump() {}

    /** Writes the dump to {@code target/<name>-<n>.txt} and returns its path, or why there is none. */
    static String toFile(String name) {
        try {
            Path file = Path.of("target", name + "-" + System.nanoTime() + ".txt").toAbsolutePath();
            Files.createDirectories(file.getParent());
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(ProcessHandle.current().pid()), "Thread.dump_to_file", file.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return jcmd.waitFor(30, TimeUnit.SECONDS) && Files.exists(file) ? file.toString() : "(jcmd wrote no thread dump)";
        } catch (Exception e) {
            return "(no thread dump: " + e + ")";
        }
    }
}
