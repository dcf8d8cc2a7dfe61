package dev.weft.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.events.EventBus;
import dev.weft.events.HandlerMode;
import dev.weft.events.transport.Envelope;
import dev.weft.spring.fixtures.Fixtures.OrderPlaced;
import dev.weft.test.Poll;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/**
 * The servlet filter on Spring's mock request and response: what it holds, when it lets go, and
 * what counts as a failed request. (The example's end-to-end test runs it on Tomcat.)
 */
class WeftRequestFilterTest {

    /** What a handler saw: the event, and whether the response was complete when it ran. */
    record Seen(String order, boolean responseCommitted, String body, java.util.Map<String, String> trace) {}

    private final EventBus bus = EventBus.builder().declare(OrderPlaced.class).build();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final WeftRequestFilter filter = new WeftRequestFilter();
    private volatile MockHttpServletResponse response = new MockHttpServletResponse();

    WeftRequestFilterTest() {
        bus.handler("seen").mode(HandlerMode.SYNC).onPattern("*", (Envelope<?> e) -> seen.add(new Seen(((OrderPlaced) e.payload()).order(),
                response.isCommitted(), response.getContentAsString(), e.trace())));
    }

    @AfterEach
    void close() {
        bus.close();
    }

    private void handle(FilterChain chain) throws ServletException, IOException {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/orders");
        request.addHeader("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        filter.doFilter(request, response, chain);
    }

    @Test
    void eventsOfASuccessfulRequestAreDispatchedAfterItsResponseIsComplete() throws Exception {
        handle((req, res) -> {
            bus.emit(new OrderPlaced("o-1", 1));
            assertThat(seen).as("held while the request runs").isEmpty();
            res.getWriter().write("placed");
        });
        Poll.until(() -> seen.size() == 1);
        Seen s = seen.get(0);
        assertThat(s.order()).isEqualTo("o-1");
        assertThat(s.responseCommitted()).as("the response was complete before the handler ran").isTrue();
        assertThat(s.body()).isEqualTo("placed");
        assertThat(s.trace()).containsEntry("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertThat(bus.awaitIdle(java.time.Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void aFiveHundredAnswerDropsTheEvents() throws Exception {
        handle((req, res) -> {
            bus.emit(new OrderPlaced("o-2", 1));
            ((jakarta.servlet.http.HttpServletResponse) res).setStatus(503);
        });
        assertThat(bus.awaitIdle(java.time.Duration.ofSeconds(5))).isTrue();
        assertThat(seen).isEmpty();
        assertThat(bus.statistics().discardedByFailedScopes()).isEqualTo(1);
        assertThat(response.getStatus()).isEqualTo(503);
    }

    @Test
    void anExceptionDropsTheEventsAndIsRethrownUnchanged() throws Exception {
        IllegalStateException thrown = new IllegalStateException("controller failed");
        assertThatThrownBy(() -> handle((req, res) -> {
            bus.emit(new OrderPlaced("o-3", 1));
            throw thrown;
        })).isSameAs(thrown);
        ServletException servlet = new ServletException("unresolved");
        assertThatThrownBy(() -> handle((req, res) -> {
            bus.emit(new OrderPlaced("o-4", 1));
            throw servlet;
        })).isSameAs(servlet);
        assertThat(bus.awaitIdle(java.time.Duration.ofSeconds(5))).isTrue();
        assertThat(seen).isEmpty();
        assertThat(bus.statistics().discardedByFailedScopes()).isEqualTo(2);
    }

    @Test
    void aFourHundredAnswerIsAHandledRequestAndAnErrorSentIsNotClosedByTheFilter() throws Exception {
        handle((req, res) -> {
            bus.emit(new OrderPlaced("o-5", 1));
            ((jakarta.servlet.http.HttpServletResponse) res).sendError(409, "already placed");
        });
        Poll.until(() -> seen.size() == 1);
        assertThat(seen.get(0).order()).isEqualTo("o-5");
        response = new MockHttpServletResponse();
        handle((req, res) -> {
            bus.emit(new OrderPlaced("o-6", 1));
            ((jakarta.servlet.http.HttpServletResponse) res).sendError(500);
        });
        assertThat(bus.awaitIdle(java.time.Duration.ofSeconds(5))).isTrue();
        assertThat(seen).extracting(Seen::order).containsExactly("o-5");
    }
}
