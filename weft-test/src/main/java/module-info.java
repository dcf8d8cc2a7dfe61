/**
 * Test support for code that uses Weft: {@link dev.weft.test.RecordingBus}, and the transport
 * suites {@link dev.weft.test.TransportContract} and {@link dev.weft.test.AtLeastOnceTransportContract},
 * and {@link dev.weft.test.DeadLetterStoreContract} for dead-letter stores.
 */
module dev.weft.test {
    requires transitive dev.weft.events;
    requires transitive org.junit.jupiter.api;

    exports dev.weft.test;
}
