package dev.weft.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The suites can fail: run against transports broken on purpose (one that loses messages, one
 * that duplicates them, one that reorders them, one that never redelivers), they report the
 * broken rule; run against an awkward but correct one (messages land asynchronously, one per
 * receive), they pass. Each suite runs in a JUnit launcher of its own; the suites under test are
 * nested classes, which surefire does not run by themselves.
 */
class TransportContractCatchesBrokenTransportsTest {

    private static final int SHARED_RULES = 10;
    private static final int AT_LEAST_ONCE_RULES = 13;

    @Test
    void anHonestTransportPassesBothSuites() {
        assertPasses(Honest.class, AT_LEAST_ONCE_RULES);
    }

    @Test
    void anAwkwardButCorrectTransportPassesBothSuites_asynchronousArrivalOneMessagePerReceive() {
        assertPasses(Awkward.class, AT_LEAST_ONCE_RULES);
    }

    @Test
    void aTransportThatLosesMessagesFails() {
        assertThat(failedRules(Losing.class))
                .contains("publishedMessagesAreReceivedInOrderWithIdNameAndBody", "everyGroupGetsEveryMessage", "manyPublishersLoseNothing");
    }

    @Test
    void aTransportThatDuplicatesMessagesFails() {
        assertThat(failedRules(Duplicating.class))
                .contains("publishedMessagesAreReceivedInOrderWithIdNameAndBody", "everyGroupGetsEveryMessage", "manyPublishersLoseNothing");
    }

    @Test
    void aTransportThatReordersMessagesFails() {
        assertThat(failedRules(Reordering.class))
                .contains("publishedMessagesAreReceivedInOrderWithIdNameAndBody", "everyGroupGetsEveryMessage", "manyPublishersLoseNothing");
    }

    @Test
    void aTransportThatNeverRedeliversPassesTheSharedRulesOnly() {
        assertPasses(NeverRedeliveringShared.class, SHARED_RULES);
        assertThat(failedRules(NeverRedelivering.class))
                .containsExactly("aRejectedMessageIsDeliveredAgainWithAHigherCount", "afterTheMaximumDeliveriesAMessageGoesToTheDeadLetters");
    }

    // --- running a suite -------------------------------------------------------------------

    private static TestExecutionSummary run(Class<?> suite) {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(suite)).build(), listener);
        return listener.getSummary();
    }

    private static void assertPasses(Class<?> suite, int tests) {
        TestExecutionSummary s = run(suite);
        List<String> failures = s.getFailures().stream().map(f -> f.getTestIdentifier().getDisplayName() + ": " + f.getException()).toList();
        assertThat(failures).as(suite.getSimpleName()).isEmpty();
        assertThat(s.getTestsSucceededCount()).as(suite.getSimpleName()).isEqualTo(tests);
    }

    /** The names of the rules (test methods) the suite reported as broken. */
    private static Set<String> failedRules(Class<?> suite) {
        TestExecutionSummary s = run(suite);
        assertThat(s.getTestsFoundCount()).isPositive();
        Set<String> names = new TreeSet<>();
        for (TestExecutionSummary.Failure f : s.getFailures()) names.add(f.getTestIdentifier().getDisplayName().replace("()", ""));
        return names;
    }

    private static InMemoryTransport inMemory(TransportContract.Settings s) {
        return InMemoryTransport.builder().maxDeliveries(s.maxDeliveries()).redeliverAfter(s.redeliverAfter()).clock(s.clock()).build();
    }

    // --- the suites under test -------------------------------------------------------------

    /** Broken transports: fail within a short wait instead of the default ten seconds. */
    abstract static class Broken extends AtLeastOnceTransportContract {
        @Override
        protected Duration arrivalWait() {
            return Duration.ofMillis(300);
        }
    }

    static class Honest extends AtLeastOnceTransportContract {
        @Override
        protected Transport create(Settings s) {
            return new Forwarding(inMemory(s));
        }
    }

    static class Awkward extends AtLeastOnceTransportContract {
        @Override
        protected Transport create(Settings s) {
            return new AsynchronousOneAtATime(inMemory(s));
        }
    }

    static class Losing extends Broken {
        @Override
        protected Transport create(Settings s) {
            AtomicInteger published = new AtomicInteger();
            return new Forwarding(inMemory(s)) {
                @Override
                public void publish(TransportMessage m) {
                    if (published.incrementAndGet() % 3 != 2) super.publish(m); // every third is lost
                }
            };
        }
    }

    static class Duplicating extends Broken {
        @Override
        protected Transport create(Settings s) {
            return new Forwarding(inMemory(s)) {
                @Override
                public void publish(TransportMessage m) {
                    super.publish(m);
                    super.publish(m);
                }
            };
        }
    }

    static class Reordering extends Broken {
        @Override
        protected Transport create(Settings s) {
            return new Forwarding(inMemory(s)) {
                @Override
                public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
                    List<Delivery> got = new ArrayList<>(super.receive(group, consumer, max, wait));
                    Collections.reverse(got);
                    return got;
                }
            };
        }
    }

    /** Turns every reject into an ack: at most once, like pub/sub. */
    static Transport neverRedelivering(Transport inner) {
        return new Forwarding(inner) {
            @Override
            public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
                return super.receive(group, consumer, max, wait).stream().<Delivery>map(d -> new Delivery() {
                    public TransportMessage message() { return d.message(); }
                    public int deliveryCount() { return d.deliveryCount(); }
                    public void ack() { d.ack(); }
                    public void reject(String reason) { d.ack(); }
                }).toList();
            }
        };
    }

    static class NeverRedelivering extends Broken {
        @Override
        protected Transport create(Settings s) {
            return neverRedelivering(inMemory(s));
        }
    }

    static class NeverRedeliveringShared extends TransportContract {
        @Override
        protected Transport create(Settings s) {
            return neverRedelivering(inMemory(s));
        }
    }

    // --- the transports --------------------------------------------------------------------

    static class Forwarding implements Transport {
        final Transport inner;

        Forwarding(Transport inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return "forwarding:" + inner.name();
        }

        @Override
        public void publish(TransportMessage m) {
            inner.publish(m);
        }

        @Override
        public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
            return inner.receive(group, consumer, max, wait);
        }

        @Override
        public List<TransportMessage> deadLetters(String group) {
            return inner.deadLetters(group);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /**
     * Correct but awkward, like a pub/sub broker: publish returns before the message reached the
     * broker (a forwarding thread delivers it later, in order), and each receive hands out one message.
     */
    static final class AsynchronousOneAtATime extends Forwarding {
        private final LinkedBlockingQueue<TransportMessage> onTheWay = new LinkedBlockingQueue<>();
        private final Thread forwarder;
        private volatile boolean closed;

        AsynchronousOneAtATime(Transport inner) {
            super(inner);
            forwarder = Thread.ofVirtual().name("forwarder").start(() -> {
                try {
                    while (true) inner.publish(onTheWay.take());
                } catch (InterruptedException | TransportClosedException e) {
                    // closed: what is still on the way is lost, as with a broker that went away
                }
            });
        }

        @Override
        public void publish(TransportMessage m) {
            if (closed) throw new TransportClosedException(name());
            onTheWay.add(m);
        }

        @Override
        public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
            return inner.receive(group, consumer, Math.min(max, 1), wait);
        }

        @Override
        public void close() {
            closed = true;
            forwarder.interrupt();
            super.close();
        }
    }
}
