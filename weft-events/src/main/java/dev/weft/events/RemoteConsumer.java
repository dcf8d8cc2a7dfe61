package dev.weft.events;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.EventCodec;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import dev.weft.Weft;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** The loop behind {@link EventBus#consume}: receive, decode, de-duplicate, dispatch, acknowledge. */
final class RemoteConsumer {
    private static final int BATCH = 32;
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int REMEMBERED_IDS = 10_000;

    private final EventBus bus;
    private final Transport transport;
    private final String group;
    private final String consumer;
    private final EventCodec codec;
    /** Ids handled recently, oldest first: a redelivered duplicate is acknowledged, not handled twice. */
    private final Map<String, Boolean> seen = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_IDS;
        }
    };

    RemoteConsumer(EventBus bus, Transport transport, String group, String consumer, EventCodec codec) {
        this.bus = bus;
        this.transport = transport;
        this.group = group;
        this.consumer = consumer;
        this.codec = codec;
    }

    long run() {
        long n = 0;
        while (true) {
            Weft.checkpoint();
            List<Delivery> batch;
            try {
                batch = transport.receive(group, consumer, BATCH, POLL);
            } catch (TransportClosedException closed) {
                return n;
            }
            for (Delivery d : batch) {
                if (handle(d)) n++;
            }
        }
    }

    private boolean handle(Delivery d) {
        String id = d.message().id();
        if (seen.containsKey(id)) {
            d.ack();
            return false;
        }
        Envelope<?> e;
        try {
            e = codec.decode(d.message().body(), bus::typeNamed);
            EventType<?> type = bus.declared(e.name());
            String problem = type.problem(e.payload());
            if (problem != null) throw new IllegalArgumentException("invalid event '" + e.name() + "': " + problem);
        } catch (RuntimeException undecodable) {
            d.reject("cannot decode " + d.message() + ": " + undecodable.getMessage());
            return false;
        }
        CountDownLatch done = new CountDownLatch(1);
        bus.dispatchRemote(e, done::countDown);
        try {
            done.await();
        } catch (InterruptedException interrupted) {
            // Not acknowledged: the transport redelivers it after its timeout (at least once).
            Thread.currentThread().interrupt();
            Weft.checkpoint();
            throw new TransportException("consumer " + consumer + " interrupted while handling " + d.message(), interrupted);
        }
        seen.put(id, Boolean.TRUE);
        d.ack();
        return true;
    }
}
