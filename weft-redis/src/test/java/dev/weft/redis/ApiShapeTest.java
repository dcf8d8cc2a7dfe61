package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The public API of weft-redis: a new public type shows up here as a deliberate change. */
class ApiShapeTest {

    private static final Set<String> PUBLIC_TYPES = Set.of("DeadLetterEntry", "RedisBroadcast", "RedisReliableQueue", "RedisStreamsTransport", "StreamInfo", "Worker", "WorkerStatistics");

    private static final Set<String> PUBLIC_NESTED_TYPES = Set.of("RedisBroadcast.Builder", "RedisReliableQueue.Builder", "RedisReliableQueue.Item", "RedisStreamsTransport.Builder", "StreamInfo.Consumer", "StreamInfo.Group", "Worker.Builder");

    private static Path classes() throws Exception {
        return Path.of(RedisStreamsTransport.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static List<Class<?>> publicTopLevel() throws Exception {
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(classes().resolve("dev/weft/redis"))) {
            for (String n : files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".class") && !n.contains("$")).sorted().toList()) {
                Class<?> c = Class.forName("dev.weft.redis." + n.replace(".class", ""));
                if (Modifier.isPublic(c.getModifiers())) out.add(c);
            }
        }
        return out;
    }

    @Test
    void exactlyTheExpectedPublicTypes() throws Exception {
        assertThat(publicTopLevel()).extracting(Class::getSimpleName).containsExactlyInAnyOrderElementsOf(PUBLIC_TYPES);
        Set<String> nested = new TreeSet<>();
        for (Class<?> c : publicTopLevel()) {
            for (Class<?> n : c.getDeclaredClasses()) {
                if (Modifier.isPublic(n.getModifiers())) nested.add(c.getSimpleName() + "." + n.getSimpleName());
            }
        }
        assertThat(nested).containsExactlyInAnyOrderElementsOf(PUBLIC_NESTED_TYPES);
    }

    @Test
    void theModuleExportsOnlyItsApiPackageAndNeedsWeftEventsAndLettuce() throws Exception { // and Lettuce's Netty, for QuietCommandEncoder
        ModuleDescriptor d;
        try (InputStream in = Files.newInputStream(classes().resolve("module-info.class"))) {
            d = ModuleDescriptor.read(in);
        }
        assertThat(d.name()).isEqualTo("dev.weft.redis");
        assertThat(d.exports()).singleElement().satisfies(e -> {
            assertThat(e.source()).isEqualTo("dev.weft.redis");
            assertThat(e.isQualified()).isFalse();
        });
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name).containsExactlyInAnyOrder("java.base", "dev.weft.events", "lettuce.core",
                "io.netty.buffer", "io.netty.codec", "io.netty.transport");
        assertThat(d.opens()).isEmpty();
    }
}
