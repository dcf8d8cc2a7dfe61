package dev.weft.test;

import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.Transport;

/** The in-memory transport passes the at-least-once transport suite (as the Redis Streams transport does). */
class InMemoryTransportContractTest extends AtLeastOnceTransportContract {
    @Override
    protected Transport create(Settings s) {
        return InMemoryTransport.builder().maxDeliveries(s.maxDeliveries()).redeliverAfter(s.redeliverAfter()).clock(s.clock()).build();
    }
}
