package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.architecture.ApiShape;
import java.lang.module.ModuleDescriptor;
import org.junit.jupiter.api.Test;

/** The public API of weft-redis: a new public type shows up here as a deliberate change. */
class ApiShapeTest {

    private static final ApiShape SHAPE = ApiShape.ofModuleContaining(RedisStreamsTransport.class);

    @Test
    void exactlyTheExpectedPublicTypes() {
        assertThat(SHAPE.publicTypes("dev.weft.redis")).containsExactlyInAnyOrder(
                "DeadLetterEntry", "RedisBroadcast", "RedisDeadLetterStore", "RedisReliableQueue", "RedisStreamsTransport", "StreamInfo");
        assertThat(SHAPE.publicNestedTypes("dev.weft.redis")).containsExactlyInAnyOrder(
                "RedisBroadcast.Builder", "RedisDeadLetterStore.Builder", "RedisReliableQueue.Builder", "RedisReliableQueue.Item", "RedisStreamsTransport.Builder",
                "StreamInfo.Consumer", "StreamInfo.Group");
    }

    @Test
    void theApiNeverMentionsATypeUsersCannotUse() {
        assertThat(SHAPE.exposures()).isEmpty();
    }

    @Test
    void theModuleExportsOnlyItsApiPackageAndNeedsWeftEventsAndLettuce() { // and Lettuce's Netty, for QuietCommandEncoder
        ModuleDescriptor d = SHAPE.module();
        assertThat(d.name()).isEqualTo("dev.weft.redis");
        assertThat(SHAPE.exportedPackages()).containsExactly("dev.weft.redis");
        assertThat(SHAPE.packages()).containsExactly("dev.weft.redis");
        assertThat(d.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name).containsExactlyInAnyOrder("java.base", "dev.weft.events", "lettuce.core",
                "io.netty.buffer", "io.netty.codec", "io.netty.transport");
        assertThat(d.opens()).isEmpty();
    }
}
