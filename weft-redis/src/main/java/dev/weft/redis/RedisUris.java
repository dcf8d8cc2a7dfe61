package dev.weft.redis;

import dev.weft.Weft;
import io.lettuce.core.RedisURI;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Checks a Redis URI before Lettuce reads it, and says what is wrong and how to write it, never
 * repeating the password. Lettuce alone accepts too much: {@code redis://alice:pw@127.0.0.1:63790x}
 * becomes host {@code 127.0.0.1:63790x} on port 6379, and a host with an underscore
 * ({@code redis://my_redis:6380}) loses its port the same way.
 */
// Implementer's note. Accepted: redis:// and rediss:// (any case), [user[:password]@]host[:port]
// with a host name (letters, digits, '.', '-', '_'), an IPv4 address or a bracketed IPv6 address,
// a port from 1 to 65535 (6379 if absent), an optional /db number, and Lettuce's query parameters
// (verifyPeer, timeout, clientName, ...), which Lettuce then reads. Host and port are taken from
// our own reading, since java.net.URI treats a malformed port or an underscore as a
// "registry-based" authority and Lettuce then takes the whole authority as the host.
//
// The password must never reach a message. Only two pieces of the input are ever repeated: the
// scheme (before "://", where no password can be) and the host, which is what follows the last
// '@' of the authority. That is safe only if the user info holds no unencoded '/', '?' or '#'
// (which would end the authority early and put the rest of the password after it), so an '@'
// anywhere after the authority is refused first, without repeating anything.
//
// Redis Cluster (issue 15): redis-cluster://[user:password@]host:port,host:port[?options], or
// rediss-cluster:// for TLS. Each node is read as the single-node URI redis[s]://<user info>@<node><rest>
// would be, so the rules and messages above hold for each; the user info and options are shared by
// every node (a cluster has one ACL and one TLS setting). No database: a cluster has only 0.
final class RedisUris {
    private static final String FORM = "expected redis://[user:password@]host[:port][/db][?verifyPeer=NONE|CA|FULL], or rediss://... for TLS";
    private static final String CLUSTER_FORM = "expected redis-cluster://[user:password@]host:port[,host:port...][?verifyPeer=NONE|CA|FULL] "
            + "(some of the cluster's nodes; the others are found from them), or rediss-cluster://... for TLS";

    /**
     * What a URI names: one Redis ({@code cluster} false, one node), or some nodes of a Redis
     * Cluster, from which the client learns the rest.
     */
    record Target(List<RedisURI> nodes, boolean cluster) {
        Target {
            nodes = List.copyOf(nodes);
        }

        static Target single(RedisURI uri) {
            return new Target(List.of(uri), false);
        }

        /** The first node: the only one of a single Redis. */
        RedisURI first() {
            return nodes.get(0);
        }
    }

    private RedisUris() {}

    /** Whether {@code raw} has a Redis Cluster scheme ({@code redis-cluster://}, {@code rediss-cluster://}). */
    static boolean isCluster(String raw) {
        int sep = raw == null ? -1 : raw.indexOf("://");
        if (sep <= 0) return false;
        String scheme = raw.substring(0, sep).toLowerCase(Locale.ROOT);
        return scheme.equals("redis-cluster") || scheme.equals("rediss-cluster");
    }

    /**
     * The Redis or the Redis Cluster that {@code raw} names: {@code redis://...} and
     * {@code rediss://...} as {@link #parse}, {@code redis-cluster://[user:password@]host:port,host:port}
     * and {@code rediss-cluster://...} for a cluster.
     *
     * @throws IllegalArgumentException naming the problem and the fix; never the password
     */
    static Target target(String raw) {
        Objects.requireNonNull(raw, "redisUri");
        if (!isCluster(raw)) return Target.single(parse(raw));
        int sep = raw.indexOf("://");
        String plain = raw.substring(0, sep).toLowerCase(Locale.ROOT).startsWith("rediss") ? "rediss" : "redis";
        String rest = raw.substring(sep + 3);
        int authorityEnd = firstOf(rest, "/?#");
        if (rest.indexOf('@', authorityEnd) >= 0) {
            throw badCluster("it has an '@' after the nodes; if the user name or password holds '@', '/', '?', '#' or '%', percent-encode them (%40, %2F, %3F, %23, %25)");
        }
        String authority = rest.substring(0, authorityEnd);
        String tail = rest.substring(authorityEnd);
        int at = authority.lastIndexOf('@');
        String userInfo = authority.substring(0, at + 1); // with its '@', or empty
        String hosts = authority.substring(at + 1);
        if (hosts.isEmpty()) throw badCluster("it names no node: redis-cluster://host:port,host:port");
        int query = firstOf(tail, "?#");
        String path = tail.substring(0, query);
        if (!path.isEmpty() && !path.equals("/") && !path.equals("/0")) {
            throw badCluster("it names a database; Redis Cluster has only database 0: drop the '" + (path.matches("/[0-9]{1,9}") ? path : "/...") + "' after the nodes");
        }
        String[] parts = hosts.split(",", -1);
        List<RedisURI> nodes = new ArrayList<>(parts.length);
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty()) throw badCluster("node " + (i + 1) + " of the list is empty (two commas, or a comma at an end)");
            try {
                nodes.add(parse(plain + "://" + userInfo + parts[i] + tail));
            } catch (IllegalArgumentException e) {
                String problem = e.getMessage();
                if (problem.startsWith("not a Redis URI: ")) problem = problem.substring("not a Redis URI: ".length());
                if (problem.endsWith("; " + FORM)) problem = problem.substring(0, problem.length() - FORM.length() - 2);
                throw badCluster("node " + (i + 1) + ": " + problem);
            }
        }
        return new Target(nodes, true);
    }

    /**
     * The Lettuce URI for {@code raw}.
     *
     * @throws IllegalArgumentException naming the problem and the fix; never the password
     */
    static RedisURI parse(String raw) {
        Objects.requireNonNull(raw, "redisUri");
        if (raw.isBlank()) throw bad("it is empty");
        int sep = raw.indexOf("://");
        String scheme = sep > 0 ? raw.substring(0, sep) : null;
        if (scheme == null || !scheme.matches("[A-Za-z][A-Za-z0-9+.-]*")) throw bad("it does not start with redis:// or rediss://");
        String lower = scheme.toLowerCase(Locale.ROOT);
        if (!lower.equals("redis") && !lower.equals("rediss")) {
            throw bad("the scheme '" + scheme + "' is not supported: use redis:// (or rediss:// for TLS), or redis-cluster://host:port,host:port "
                    + "for a Redis Cluster; Sentinel and socket URIs are not supported");
        }
        String rest = raw.substring(sep + 3);
        int authorityEnd = firstOf(rest, "/?#");
        if (rest.indexOf('@', authorityEnd) >= 0) {
            throw bad("it has an '@' after the host; if the user name or password holds '@', '/', '?', '#' or '%', percent-encode them (%40, %2F, %3F, %23, %25)");
        }
        URI u;
        try {
            u = new URI(lower + "://" + rest);
        } catch (URISyntaxException e) {
            // getReason() names the problem without repeating the input (getMessage() would).
            throw bad("it is not a valid URI (" + e.getReason() + " at position " + e.getIndex()
                    + "); percent-encode special characters in the user name and password (%40 for @, %25 for %, %20 for a space)");
        }
        String authority = rest.substring(0, authorityEnd);
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        if (hostPort.indexOf(',') >= 0) {
            throw bad("it lists several hosts; a redis:// URI names one Redis. For a Redis Cluster write redis-cluster://host:port,host:port");
        }
        String host;
        String port = null;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0) throw bad("the IPv6 address has no closing ']': redis://[::1]:6379");
            host = hostPort.substring(0, close + 1);
            String after = hostPort.substring(close + 1);
            if (!after.isEmpty()) {
                if (after.charAt(0) != ':') throw bad("after the IPv6 address " + host + " only ':port' may follow");
                port = after.substring(1);
            }
            if (!host.substring(1, host.length() - 1).matches("[0-9A-Fa-f:.]+")) throw bad("the host " + host + " is not an IPv6 address");
        } else {
            int colon = hostPort.lastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            if (colon >= 0) port = hostPort.substring(colon + 1);
            if (host.isEmpty()) throw bad("it names no host: redis://host:6379");
            if (!host.matches("[A-Za-z0-9._-]+") || host.startsWith("-") || host.startsWith(".")) {
                throw bad("the host '" + host + "' is not a host name or an IP address (letters, digits, '.', '-', '_'; an IPv6 address goes in brackets: [::1])");
            }
        }
        int portNumber = 6379;
        if (port != null && !port.isEmpty()) {
            // Never repeated: a mistyped URI may have moved part of the password here.
            if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw bad("the port after host '" + host + "' is not a number from 1 to 65535 (write redis://" + host + ":6379)");
            }
            portNumber = Integer.parseInt(port);
        }
        String path = u.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/") && !path.matches("/[0-9]{1,9}")) {
            throw bad("the part after the host must be a database number, as in redis://" + host + ":" + portNumber + "/0");
        }
        if (u.getRawFragment() != null) throw bad("it has a '#' part; Weft reads no fragment (percent-encode a '#' in the password as %23)");
        RedisURI parsed;
        try {
            parsed = RedisURI.create(u);
        } catch (RuntimeException e) {
            throw bad("Lettuce cannot read it (" + withoutSecrets(e.getMessage(), rest.substring(0, Math.max(0, authority.lastIndexOf('@')))) + ")");
        }
        parsed.setHost(host);
        parsed.setPort(portNumber);
        return parsed;
    }

    private static int firstOf(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) return i;
        }
        return s.length();
    }

    /** Lettuce's reason, unless it may hold a piece of the user info. */
    private static String withoutSecrets(String message, String userInfo) {
        if (message == null) return "no reason given";
        for (String part : userInfo.split(":")) {
            if (!part.isEmpty() && message.contains(part)) return "its reason is not shown, as it may hold the password";
        }
        return message;
    }

    private static IllegalArgumentException badCluster(String problem) {
        return new IllegalArgumentException("not a Redis Cluster URI: " + problem + "; " + CLUSTER_FORM, null);
    }

    private static IllegalArgumentException bad(String problem) {
        return new IllegalArgumentException("not a Redis URI: " + problem + "; " + FORM, null);
    }
}
