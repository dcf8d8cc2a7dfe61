package dev.weft.spring;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Where the Redis transport connects: {@code weft.redis.url}, else Spring Boot's own
 * {@code spring.data.redis.*} (url; or host, port, username, password, database and ssl.enabled),
 * so an application that already talks to Redis needs no Weft property for it.
 */
final class RedisSettings {

    private RedisSettings() {}

    /** The Redis URI to connect to; it may hold a password, so it is never logged. */
    static String url(WeftProperties.Redis weft, Environment env) {
        if (weft.getUrl() != null && !weft.getUrl().isBlank()) return weft.getUrl();
        Binder b = Binder.get(env);
        String url = b.bind("spring.data.redis.url", String.class).orElse(null);
        if (url != null && !url.isBlank()) return url;
        boolean ssl = b.bind("spring.data.redis.ssl.enabled", Boolean.class).orElse(false);
        String host = b.bind("spring.data.redis.host", String.class).orElse("localhost");
        int port = b.bind("spring.data.redis.port", Integer.class).orElse(6379);
        int database = b.bind("spring.data.redis.database", Integer.class).orElse(0);
        String user = b.bind("spring.data.redis.username", String.class).orElse(null);
        String password = b.bind("spring.data.redis.password", String.class).orElse(null);
        StringBuilder u = new StringBuilder(ssl ? "rediss://" : "redis://");
        if (password != null && !password.isEmpty()) {
            u.append(user == null || user.isEmpty() ? "default" : encode(user)).append(':').append(encode(password)).append('@');
        }
        u.append(host.contains(":") ? "[" + host + "]" : host).append(':').append(port);
        if (database != 0) u.append('/').append(database);
        return u.toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** True when weft.redis.url, spring.data.redis.url or spring.data.redis.host is set. */
    static final class Configured extends SpringBootCondition {
        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            Environment env = context.getEnvironment();
            for (String key : new String[] {"weft.redis.url", "spring.data.redis.url", "spring.data.redis.host"}) {
                String v = env.getProperty(key);
                if (v != null && !v.isBlank()) return ConditionOutcome.match(key + " is set");
            }
            return ConditionOutcome.noMatch("none of weft.redis.url, spring.data.redis.url and spring.data.redis.host is set");
        }
    }
}
