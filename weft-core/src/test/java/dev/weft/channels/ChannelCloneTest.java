package dev.weft.channels;

import dev.weft.Scope;
import dev.weft.Task;
import static dev.weft.channels.ChannelTest.awaitWaiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** C3: cloned ends; a side closes when all of its handles are closed. */
class ChannelCloneTest {

    @Test
    void theSendSideStaysOpenUntilEveryCloneIsClosed() {
        Channel<Integer> ch = Channel.unbounded();
        SendChannel<Integer> a = ch.sender();
        SendChannel<Integer> b = a.clone();
        SendChannel<Integer> c = b.clone();
        assertThat(ch.statistics().openSenders()).isEqualTo(3);
        a.send(1);
        a.close();
        b.send(2);
        b.close();
        assertThat(ch.receiver().tryReceive().value()).isEqualTo(1);
        assertThat(ch.receiver().tryReceive().value()).isEqualTo(2);
        assertThat(ch.receiver().tryReceive().status()).as("c is still open").isEqualTo(ReceiveResult.Status.EMPTY);
        c.send(3);
        c.close();
        assertThat(ch.receiver().stream().toList()).containsExactly(3);
        assertThat(ch.statistics().openSenders()).isZero();
    }

    @Test
    void theReceiveSideStaysOpenUntilEveryCloneIsClosed() {
        Channel<Integer> ch = Channel.bounded(4);
        ReceiveChannel<Integer> a = ch.receiver();
        ReceiveChannel<Integer> b = a.clone();
        a.close();
        assertThat(ch.sender().trySend(1)).isEqualTo(SendResult.SENT);
        assertThat(b.receive()).isEqualTo(1);
        b.close();
        assertThat(ch.sender().trySend(2)).isEqualTo(SendResult.CLOSED);
    }

    @Test
    void aClosedHandleCannotBeClonedOrUsedButItsClonesCan() {
        Channel<String> ch = Channel.bounded(2);
        SendChannel<String> kept = ch.sender().clone();
        ch.sender().close();
        assertThat(ch.sender().isClosed()).isTrue();
        assertThat(kept.isClosed()).isFalse();
        assertThatThrownBy(() -> ch.sender().clone()).isInstanceOf(ChannelClosedException.class)
                .hasMessageContaining("clone() a handle before closing");
        assertThatThrownBy(() -> ch.sender().send("x")).isInstanceOf(ChannelClosedException.class);
        kept.send("y");
        ReceiveChannel<String> r2 = ch.receiver().clone();
        ch.receiver().close();
        assertThatThrownBy(() -> ch.receiver().clone()).isInstanceOf(ChannelClosedException.class);
        assertThatThrownBy(() -> ch.receiver().tryReceive()).isInstanceOf(ChannelClosedException.class);
        assertThat(r2.receive()).isEqualTo("y");
    }

    @Test
    void closingOneCloneFailsOnlyTheSendsBlockedOnThatClone() {
        Channel<String> ch = Channel.rendezvous();
        SendChannel<String> a = ch.sender();
        SendChannel<String> b = a.clone();
        List<Object> outcomes = Scope.run(scope -> {
            Task<Throwable> onA = scope.fork(() -> catchThrowable(() -> a.send("via a")));
            awaitWaiting(ch, 1, 0);
            Task<Throwable> onB = scope.fork(() -> catchThrowable(() -> b.send("via b")));
            awaitWaiting(ch, 2, 0);
            a.close();
            awaitWaiting(ch, 1, 0);
            String received = ch.receiver().receive();
            return List.of(onA.join(), received, String.valueOf(onB.join()));
        });
        assertThat(outcomes.get(0)).isInstanceOf(ChannelClosedException.class);
        assertThat(outcomes.get(1)).isEqualTo("via b");
        assertThat(outcomes.get(2)).isEqualTo("null");
        assertThat(ch.statistics().openSenders()).isEqualTo(1);
    }

    @Test
    void workersIteratingClonesShareTheElementsAndAllEndWhenTheProducersClose() {
        Channel<Integer> ch = Channel.bounded(8);
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        Scope.run(scope -> {
            for (int p = 0; p < 3; p++) {
                SendChannel<Integer> out = ch.sender().clone();
                int base = p * 1000;
                scope.fork(() -> {
                    try (out) {
                        for (int i = 0; i < 200; i++) out.send(base + i);
                    }
                    return null;
                });
            }
            ch.sender().close(); // the producers hold their own clones
            for (int w = 0; w < 4; w++) {
                ReceiveChannel<Integer> in = ch.receiver().clone();
                scope.fork(() -> {
                    try (in) {
                        for (int v : in) seen.add(v);
                    }
                    return null;
                });
            }
            return null;
        });
        assertThat(seen).hasSize(600).doesNotHaveDuplicates();
    }
}
