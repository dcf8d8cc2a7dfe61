package dev.weft.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rules of an at-least-once {@link Transport} (the ones the {@code EventBus} and the Redis
 * {@code Worker} rely on), on top of everything {@link TransportContract} checks: a rejected
 * message is delivered again with a higher {@link Delivery#deliveryCount()}; one that is never
 * settled (its consumer died) is delivered again once the redelivery timeout passed; after the
 * maximum number of deliveries it goes to the group's {@linkplain Transport#deadLetters dead letters}.
 *
 * <pre>{@code
 * class RedisStreamsContractTest extends AtLeastOnceTransportContract {
 *     protected Transport create(Settings s) {
 *         return RedisStreamsTransport.builder(uri).stream("contract:" + UUID.randomUUID())
 *                 .maxDeliveries(s.maxDeliveries()).redeliverAfter(s.redeliverAfter()).build();
 *     }
 *     protected void passTime(Duration d) { ... }   // a broker with its own clock: age its pending entries
 * }
 * }</pre>
 *
 * <p>The transport must honour the {@link Settings}: {@link #MAX_DELIVERIES} deliveries and
 * {@link #REDELIVER_AFTER}. Time passes only through {@link #passTime}, which advances the
 * settings' {@link dev.weft.FakeClock} unless overridden.
 */
public abstract class AtLeastOnceTransportContract extends TransportContract {

    /** For subclasses: one per at-least-once transport under test. */
    protected AtLeastOnceTransportContract() {}

    @Test
    void aRejectedMessageIsDeliveredAgainWithAHigherCount() {
        join("g");
        TransportMessage m = message("a");
        transport.publish(m);
        receiveExactly("g", "c1", 1).get(0).reject("handler failed");
        List<Delivery> again = drain("g", "c2");
        assertEquals(List.of(m), again.stream().map(Delivery::message).toList());
        assertEquals(2, again.get(0).deliveryCount());
    }

    @Test
    void anUnacknowledgedMessageIsDeliveredAgainAfterTheTimeout() throws Exception {
        join("g");
        TransportMessage m = message("a");
        transport.publish(m);
        receiveExactly("g", "dies", 1); // never settled: the consumer died
        assertEquals(List.of(), drain("g", "c2"), "not before the timeout");
        passTime(REDELIVER_AFTER.plusSeconds(1));
        List<Delivery> again = drain("g", "c2");
        assertEquals(List.of(m), again.stream().map(Delivery::message).toList());
        assertEquals(2, again.get(0).deliveryCount());
    }

    @Test
    void afterTheMaximumDeliveriesAMessageGoesToTheDeadLetters() {
        join("g");
        TransportMessage m = message("poison");
        transport.publish(m);
        transport.publish(message("fine"));
        int deliveries = 0;
        while (true) {
            List<Delivery> got = drain("g", "c1");
            Delivery poison = got.stream().filter(d -> d.message().equals(m)).findFirst().orElse(null);
            got.stream().filter(d -> !d.message().equals(m)).forEach(Delivery::ack);
            if (poison == null) break;
            deliveries++;
            assertEquals(deliveries, poison.deliveryCount());
            poison.reject("cannot handle");
            assertTrue(deliveries <= MAX_DELIVERIES, "delivered more than " + MAX_DELIVERIES + " times");
        }
        assertEquals(MAX_DELIVERIES, deliveries);
        assertEquals(List.of(m), transport.deadLetters("g"));
        assertEquals(List.of(), transport.deadLetters("other-group"));
    }
}
