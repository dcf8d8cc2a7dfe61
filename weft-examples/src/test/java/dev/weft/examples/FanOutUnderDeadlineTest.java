package dev.weft.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class FanOutUnderDeadlineTest {

    @Test
    void exampleShowsDeadlineFailureAndReasons() {
        var bytes = new ByteArrayOutputStream();
        FanOutUnderDeadline.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);

        assertThat(out).contains("timed out: true");
        assertThat(out).contains("lookup-Perth was cancelled: deadline of scope");
        assertThat(out).contains("1 failure in scope 'forecast'");
        assertThat(out).contains("task 'lookup-Atlantis'").contains("no such city: Atlantis");
        assertThat(out).contains("lookup-Quito was cancelled because task 'lookup-Atlantis' failed");
        assertThat(out).contains("lookup-Hanoi was cancelled because task 'lookup-Atlantis' failed");
        assertThat(out).contains("the one failure, unwrapped: java.lang.IllegalStateException: no such city: Atlantis");
        assertThat(out).contains("reports: 8 of 8").contains("Accra: 22°C").contains("Hilo: 19°C");
        assertThat(out).containsPattern("most lookups at once: [12] \\(limit 2\\)");
        assertThat(out).contains("bufferUsed=0").contains("openSenders=0, openReceivers=0");
    }
}
