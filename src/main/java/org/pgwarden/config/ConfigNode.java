package org.pgwarden.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.Durations;
import org.pgwarden.common.SecretRef;

/**
 * One mapping of the YAML document while it is bound to a record. Every accessor validates its
 * value, records a problem (with the full path) instead of throwing, and writes the effective
 * value into the printable tree used by {@code config show}. {@link #done()} rejects the keys no
 * accessor asked for, suggesting the nearest valid one.
 */
public final class ConfigNode {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final String path;
    private final JsonNode node;
    private final ConfigProblems problems;
    private final ObjectNode effective;
    private final CronValidator cronValidator;
    private final Set<String> known = new LinkedHashSet<>();

    ConfigNode(String path, JsonNode node, ConfigProblems problems, ObjectNode effective, CronValidator cron) {
        this.path = path;
        this.node = node;
        this.problems = problems;
        this.effective = effective;
        this.cronValidator = cron;
    }

    public String path() {
        return path;
    }

    private String at(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** Records a problem about {@code key} of this mapping. */
    public void problem(String key, String message) {
        problems.add(at(key), message);
    }

    /** True when {@code key} is written in the file. */
    public boolean has(String key) {
        known.add(key);
        return raw(key) != null;
    }

    /** True when {@code key} is written as a mapping (rather than a single value or a list). */
    public boolean isMapping(String key) {
        known.add(key);
        JsonNode v = raw(key);
        return v != null && v.isObject();
    }

    /** Marks {@code key} as valid here without binding it (e.g. a section used only by another type). */
    public void allow(String... keys) {
        known.addAll(List.of(keys));
    }

    private JsonNode raw(String key) {
        if (node == null || !node.isObject()) {
            return null;
        }
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? null : v;
    }

    /** The nested mapping {@code key}; an empty one when absent. */
    public ConfigNode section(String key) {
        known.add(key);
        JsonNode v = raw(key);
        if (v != null && !v.isObject()) {
            problem(key, "expected a mapping of keys, got " + describe(v));
            v = null;
        }
        return new ConfigNode(at(key), v, problems, effective.putObject(key), cronValidator);
    }

    /** The list of mappings {@code key}; each element is bound by the caller. */
    public List<ConfigNode> sectionList(String key) {
        known.add(key);
        JsonNode v = raw(key);
        ArrayNode out = effective.putArray(key);
        List<ConfigNode> result = new ArrayList<>();
        if (v == null) {
            return result;
        }
        if (!v.isArray()) {
            problem(key, "expected a list, got " + describe(v));
            return result;
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            String p = at(key) + "[" + i + "]";
            if (!e.isObject()) {
                problems.add(p, "expected a mapping of keys, got " + describe(e));
                continue;
            }
            result.add(new ConfigNode(p, e, problems, out.addObject(), cronValidator));
        }
        return result;
    }

    private Optional<String> text(String key) {
        known.add(key);
        JsonNode v = raw(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isValueNode() || v.isBinary()) {
            problem(key, "expected a single value, got " + describe(v));
            return Optional.empty();
        }
        return Optional.of(v.asText());
    }

    public Optional<String> optionalString(String key) {
        Optional<String> v = text(key).map(String::trim).filter(s -> !s.isEmpty());
        v.ifPresent(s -> effective.put(key, s));
        return v;
    }

    public String string(String key, String defaultValue) {
        String v = optionalString(key).orElse(defaultValue);
        if (v != null) {
            effective.put(key, v);
        }
        return v;
    }

    /** A string that must be given and not blank; null (with a problem recorded) otherwise. */
    public String requiredString(String key) {
        Optional<String> v = optionalString(key);
        if (v.isEmpty()) {
            problem(key, "must not be empty");
            return null;
        }
        return v.get();
    }

    public int integer(String key, int defaultValue, int min, int max) {
        Optional<String> t = text(key);
        int v = defaultValue;
        if (t.isPresent()) {
            try {
                v = Integer.parseInt(t.get().trim());
            } catch (NumberFormatException e) {
                problem(key, "expected a whole number between " + min + " and " + max + ", got '" + t.get() + "'");
                v = defaultValue;
            }
            if (v < min || v > max) {
                problem(key, "expected a whole number between " + min + " and " + max + ", got " + v);
            }
        }
        effective.put(key, v);
        return v;
    }

    public boolean bool(String key, boolean defaultValue) {
        known.add(key);
        JsonNode v = raw(key);
        boolean b = defaultValue;
        if (v != null) {
            if (v.isBoolean()) {
                b = v.asBoolean();
            } else {
                problem(key, "expected true or false, got " + describe(v));
            }
        }
        effective.put(key, b);
        return b;
    }

    public Duration duration(String key, Duration defaultValue) {
        Optional<String> t = text(key);
        Duration d = defaultValue;
        if (t.isPresent()) {
            try {
                d = Durations.parse(t.get().trim());
            } catch (IllegalArgumentException e) {
                problem(key, e.getMessage());
            }
        }
        if (d != null) {
            effective.put(key, Durations.format(d));
        }
        return d;
    }

    /** A duration that must be at least {@code min}. */
    public Duration duration(String key, Duration defaultValue, Duration min) {
        Duration d = duration(key, defaultValue);
        if (d != null && d.compareTo(min) < 0) {
            problem(key, "must be at least " + Durations.format(min) + ", got " + Durations.format(d));
        }
        return d;
    }

    public ByteSize size(String key, ByteSize defaultValue, ByteSize min, ByteSize max) {
        Optional<String> t = text(key);
        ByteSize s = defaultValue;
        if (t.isPresent()) {
            try {
                s = ByteSize.parse(t.get());
                if (s.compareTo(min) < 0 || s.compareTo(max) > 0) {
                    problem(key, "expected a size between " + min + " and " + max + ", got " + s);
                }
            } catch (IllegalArgumentException e) {
                problem(key, e.getMessage());
            }
        }
        if (s != null) {
            effective.put(key, s.toString());
        }
        return s;
    }

    /** A secret reference ({@code env:NAME} or {@code file:/path}); the reference is printed, never a value. */
    public Optional<SecretRef> secret(String key) {
        Optional<String> t = text(key);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        try {
            SecretRef ref = SecretRef.parse(t.get().trim());
            effective.put(key, ref.toString());
            return Optional.of(ref);
        } catch (IllegalArgumentException e) {
            // Never echo the value: someone may have pasted the secret itself here.
            problem(key, e.getMessage());
            effective.put(key, "<invalid>");
            return Optional.empty();
        }
    }

    /** One of {@code choices} (written in lowercase with dashes for underscores). */
    public <E extends Enum<E>> E choice(String key, E defaultValue, Class<E> type) {
        Optional<String> t = text(key);
        E v = defaultValue;
        if (t.isPresent()) {
            String wanted = t.get().trim().toUpperCase(Locale.ROOT).replace('-', '_');
            v = null;
            for (E e : type.getEnumConstants()) {
                if (e.name().equals(wanted)) {
                    v = e;
                }
            }
            if (v == null) {
                problem(key, "expected one of " + choices(type) + ", got '" + t.get() + "'");
                v = defaultValue;
            }
        }
        if (v != null) {
            effective.put(key, name(v));
        }
        return v;
    }

    /** An absolute path. */
    public Path path(String key, Path defaultValue, boolean required) {
        Optional<String> t = optionalString(key);
        if (t.isEmpty()) {
            if (required && defaultValue == null) {
                problem(key, "must not be empty (an absolute path)");
            }
            if (defaultValue != null) {
                effective.put(key, defaultValue.toString());
            }
            return defaultValue;
        }
        try {
            Path p = Path.of(t.get());
            if (!p.isAbsolute()) {
                problem(key, "expected an absolute path, got '" + t.get() + "'");
            }
            return p;
        } catch (InvalidPathException e) {
            problem(key, "expected an absolute path, got '" + t.get() + "'");
            return defaultValue;
        }
    }

    public Optional<URI> uri(String key) {
        Optional<String> t = optionalString(key);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        try {
            URI u = new URI(t.get());
            if (u.getScheme() == null || u.getHost() == null
                    || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
                problem(key, "expected an http(s) URL such as 'https://s3.eu-west-1.amazonaws.com', got '" + t.get() + "'");
                return Optional.empty();
            }
            return Optional.of(u);
        } catch (URISyntaxException e) {
            problem(key, "expected an http(s) URL, got '" + t.get() + "'");
            return Optional.empty();
        }
    }

    /** {@code host:port}; port 0 means "any free port". */
    public InetSocketAddress address(String key, String defaultValue) {
        String t = string(key, defaultValue);
        int colon = t == null ? -1 : t.lastIndexOf(':');
        if (colon <= 0) {
            problem(key, "expected 'host:port' such as '127.0.0.1:9816', got '" + t + "'");
            return InetSocketAddress.createUnresolved("127.0.0.1", 0);
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(t.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return InetSocketAddress.createUnresolved(host, port);
        } catch (NumberFormatException e) {
            problem(key, "expected a port between 0 and 65535 in '" + t + "'");
            return InetSocketAddress.createUnresolved(host, 0);
        }
    }

    public ZoneId zone(String key, ZoneId defaultValue) {
        Optional<String> t = optionalString(key);
        ZoneId z = defaultValue;
        if (t.isPresent()) {
            try {
                z = ZoneId.of(t.get());
            } catch (RuntimeException e) {
                problem(key, "expected a time zone such as 'UTC' or 'Europe/Berlin', got '" + t.get() + "'");
            }
        }
        effective.put(key, z.getId());
        return z;
    }

    /** A Quartz cron expression (with a seconds field); empty when not given. */
    public Optional<String> cron(String key) {
        Optional<String> t = optionalString(key);
        if (t.isEmpty()) {
            return t;
        }
        String expr = t.get();
        String[] fields = expr.trim().split("\\s+");
        if (fields.length == 5) {
            problem(key, "'" + expr + "' has 5 fields like a crontab line, but schedules use Quartz cron with a"
                    + " leading seconds field (sec min hour day-of-month month day-of-week): write '"
                    + quartzForm(fields) + "'");
            return Optional.empty();
        }
        Optional<String> p = cronValidator.problem(expr);
        if (p.isPresent()) {
            problem(key, "invalid cron expression '" + expr + "': " + p.get());
            return Optional.empty();
        }
        return t;
    }

    /** The Quartz form of a 5-field crontab line: seconds first, '?' in one of the day fields. */
    static String quartzForm(String[] crontab) {
        String dom = crontab[2];
        String dow = crontab[4];
        if (dow.equals("*")) {
            dow = "?";
        } else if (dom.equals("*")) {
            dom = "?";
        }
        return "0 " + crontab[0] + " " + crontab[1] + " " + dom + " " + crontab[3] + " " + dow;
    }

    public List<String> stringList(String key) {
        known.add(key);
        JsonNode v = raw(key);
        List<String> out = new ArrayList<>();
        ArrayNode eff = effective.putArray(key);
        if (v == null) {
            return out;
        }
        if (!v.isArray()) {
            problem(key, "expected a list, got " + describe(v));
            return out;
        }
        for (JsonNode e : v) {
            if (!e.isValueNode()) {
                problem(key, "expected a list of values, got " + describe(e));
                continue;
            }
            out.add(e.asText());
            eff.add(e.asText());
        }
        return out;
    }

    /** Rejects keys no accessor asked for, naming the nearest valid key. Call after binding. */
    public void done() {
        if (node == null || !node.isObject()) {
            return;
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                String near = nearest(k, known);
                problem(k, "unknown key" + (near == null ? "; valid keys here: " + String.join(", ", known)
                        : " (did you mean '" + near + "'?)"));
            }
        }
    }

    static String nearest(String key, Set<String> candidates) {
        return candidates.stream()
                .map(c -> new Object[]{c, distance(key.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT))})
                .filter(a -> (int) a[1] <= Math.max(2, key.length() / 3))
                .min(Comparator.comparingInt(a -> (int) a[1]))
                .map(a -> (String) a[0])
                .orElse(null);
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String describe(JsonNode v) {
        if (v.isObject()) {
            return "a mapping";
        }
        if (v.isArray()) {
            return "a list";
        }
        return "'" + v.asText() + "'";
    }

    static <E extends Enum<E>> String choices(Class<E> type) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add("'" + name(e) + "'");
        }
        return String.join(", ", names);
    }

    static String name(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static ObjectNode newTree() {
        return F.objectNode();
    }
}
