/** Test support for code that uses Weft: {@link dev.weft.test.RecordingBus}, {@link dev.weft.test.TransportContract}. */
module dev.weft.test {
    requires transitive dev.weft.events;
    requires transitive org.junit.jupiter.api;

    exports dev.weft.test;
}
