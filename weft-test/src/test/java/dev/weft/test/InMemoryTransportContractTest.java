package dev.weft.test;

import dev.weft.events.InMemoryTransport;
import dev.weft.events.Transport;

/** The in-memory transport passes the transport contract (the Redis transport will extend the same suite). */
class InMemoryTransportContractTest extends TransportContract {
    @Override
    protected Transport create(Settings s) {
        return InMemoryTransport.builder().maxDeliveries(s.maxDeliveries()).redeliverAfter(s.redeliverAfter()).clock(s.clock()).build();
    }
}
