package dev.weft.events.jackson;

import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.EventCodec;
import dev.weft.test.DeadLetterStoreContract;

/**
 * {@link DeadLetterStoreContract} on {@link EncodedDeadLetterStore#inMemory()}. "Another store on the
 * same storage" is the same object here, so the restart rules only check that the bus after a
 * restart reads what the one before wrote; the JDBC and Redis runs check survival for real.
 */
class InMemoryDeadLetterStoreContractTest extends DeadLetterStoreContract {
    @Override
    protected EncodedDeadLetterStore create() {
        return EncodedDeadLetterStore.inMemory();
    }

    @Override
    protected EncodedDeadLetterStore reopen(EncodedDeadLetterStore store) {
        return store;
    }

    @Override
    protected EventCodec codec() {
        return new JacksonEventCodec();
    }
}
