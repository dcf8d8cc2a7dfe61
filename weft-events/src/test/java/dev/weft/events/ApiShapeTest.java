package dev.weft.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The public API of weft-events: a new public type shows up here as a deliberate change. */
class ApiShapeTest {

    private static final Set<String> PUBLIC_TYPES = Set.of(
            "BusStatistics", "DeadLetter", "DeadLetterStore", "Delivery", "DispatchPolicy", "Envelope", "Event", "EventBus",
            "EventCodec", "EventHandler", "EventName", "EventRejectedException", "EventType", "FullPolicy", "HandlerMode",
            "InMemoryTransport", "Outbox", "Property", "RequestScopeFilter", "Subscription", "Transport",
            "TransportClosedException", "TransportException", "TransportMessage");

    private static final Set<String> PUBLIC_NESTED_TYPES = Set.of(
            "BusStatistics.Handler", "EventBus.Builder", "EventBus.HandlerBuilder", "EventRejectedException.Reason",
            "InMemoryTransport.Builder", "Property.Change");

    private static Path classes() throws Exception {
        return Path.of(EventBus.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static List<Class<?>> publicTopLevel() throws Exception {
        List<Class<?>> out = new java.util.ArrayList<>();
        try (Stream<Path> files = Files.list(classes().resolve("dev/weft/events"))) {
            for (String n : files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".class") && !n.contains("$")).sorted().toList()) {
                Class<?> c = Class.forName("dev.weft.events." + n.replace(".class", ""));
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
    void theModuleExportsOnlyItsApiPackageAndNeedsOnlyWeftCoreAndTheJdk() throws Exception {
        ModuleDescriptor d;
        try (InputStream in = Files.newInputStream(classes().resolve("module-info.class"))) {
            d = ModuleDescriptor.read(in);
        }
        assertThat(d.name()).isEqualTo("dev.weft.events");
        assertThat(d.exports()).singleElement().satisfies(e -> {
            assertThat(e.source()).isEqualTo("dev.weft.events");
            assertThat(e.isQualified()).isFalse();
        });
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name)
                .containsExactlyInAnyOrder("java.base", "dev.weft.core", "jdk.httpserver");
        assertThat(d.opens()).isEmpty();
    }
}
