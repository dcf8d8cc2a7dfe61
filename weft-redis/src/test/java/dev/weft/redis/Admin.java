package dev.weft.redis;

import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.util.List;

/** Plain Redis commands the tests use to look at and steer a stream from outside the transport. */
final class Admin {
    private Admin() {}

    /**
     * Lets {@code d} pass for every pending entry of {@code stream}: XCLAIM to the same consumer
     * with IDLE raised by {@code d}, JUSTID and RETRYCOUNT so the delivery count stays. That is what
     * XAUTOCLAIM's idle check reads, so redelivery tests need not wait in real time.
     */
    static void age(RedisClusterCommands<String, String> r, String stream, Duration d) {
        for (Object g : r.xinfoGroups(stream)) {
            String group = field(g, "name");
            for (PendingMessage p : r.xpending(stream, group, Range.create("-", "+"), Limit.from(10_000))) {
                r.xclaim(stream, Consumer.from(group, p.getConsumer()),
                        XClaimArgs.Builder.minIdleTime(0).idle(p.getMsSinceLastDelivery() + d.toMillis()).retryCount(p.getRedeliveryCount()).justid(), p.getId());
            }
        }
    }

    /** How many entries of {@code group} are pending (delivered, not acknowledged). */
    static long pending(RedisClusterCommands<String, String> r, String stream, String group) {
        return r.xpending(stream, group).getCount();
    }

    @SuppressWarnings("unchecked")
    static String field(Object xinfoReply, String name) {
        List<Object> kv = (List<Object>) xinfoReply;
        for (int i = 0; i + 1 < kv.size(); i += 2) {
            if (name.equals(String.valueOf(kv.get(i)))) return String.valueOf(kv.get(i + 1));
        }
        throw new IllegalStateException("no " + name + " in " + kv);
    }
}
