package org.pgwarden.walclient;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code key: value} lines of one top-level section of a YAML file, read with a deliberately
 * small line reader so that the fast clients load no YAML library. It understands only plain block
 * style: a top-level {@code section:} line and equally indented {@code key: value} lines under it.
 * Anything it is unsure about (flow style, anchors, tags, multi-line values, escapes, tabs, quoted
 * keys, white space other than spaces, nested values) makes it answer empty, and the caller takes
 * the full path, whose loader reads YAML properly and validates everything. The native client
 * ({@code src/main/c/wal-push.c}) follows the same rules for {@code wal:}; change both.
 */
public final class PlainYamlSection {
    private PlainYamlSection() {
    }

    /**
     * The section's values by key (an empty map when the file has no such section); empty when the
     * reader is unsure how the full loader would read the file.
     */
    public static Optional<Map<String, String>> read(List<String> lines, String section) {
        Map<String, String> values = new LinkedHashMap<>();
        boolean inSection = false;
        boolean seen = false;
        int childIndent = -1;
        for (String raw : lines) {
            if (!plainText(raw) || raw.startsWith("%") || raw.startsWith("---") && seen) {
                return Optional.empty();
            }
            String line = stripComment(raw);
            if (line.isBlank() || line.equals("---")) {
                continue;
            }
            int indent = line.length() - line.stripLeading().length();
            String text = line.strip();
            if (indent == 0) {
                inSection = false;
                if (text.startsWith("\"" + section + "\"") || text.startsWith("'" + section + "'")
                        || text.startsWith(section)
                        && (text.length() == section.length() || !keyChar(text.charAt(section.length())))) {
                    if (seen || !text.equals(section + ":")) {
                        return Optional.empty(); // a repeated key, an inline/flow value or an unusual spelling
                    }
                    inSection = seen = true;
                    childIndent = -1;
                }
                continue;
            }
            if (!inSection) {
                continue;
            }
            if (childIndent < 0) {
                childIndent = indent;
            }
            if (indent != childIndent) {
                return Optional.empty(); // nested values are not ours to guess
            }
            int colon = text.indexOf(": ");
            String key = colon < 0 ? (text.endsWith(":") ? text.substring(0, text.length() - 1) : text)
                    : text.substring(0, colon);
            if (key.isEmpty() || !key.chars().allMatch(PlainYamlSection::keyChar)) {
                return Optional.empty(); // a quoted or unusual key the full loader may read as one of ours
            }
            Optional<String> plain = plainScalar(colon < 0 ? "" : text.substring(colon + 2).strip());
            if (plain.isEmpty()) {
                return Optional.empty();
            }
            values.put(key, plain.get()); // a repeated key: the last one, as the full loader reads it
        }
        return Optional.of(values);
    }

    /**
     * True when space is the only white space in the line and it holds no control character or
     * byte-order mark: then "white space" means the same here, in {@link String#strip()} and in YAML.
     */
    private static boolean plainText(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c != ' ' && (Character.isWhitespace(c) || Character.isISOControl(c) || c == '\uFEFF')) {
                return false;
            }
        }
        return true;
    }

    private static boolean keyChar(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    /** The line without a trailing comment. */
    private static String stripComment(String line) {
        if (line.stripLeading().startsWith("#")) {
            return "";
        }
        int hash = line.indexOf(" #");
        return (hash < 0 ? line : line.substring(0, hash)).stripTrailing();
    }

    /** A value written without quotes or YAML syntax; empty for anything fancier. */
    private static Optional<String> plainScalar(String v) {
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (v.length() >= 2 && v.charAt(0) == '\'' && v.endsWith("'") && v.indexOf('\'', 1) == v.length() - 1) {
            return Optional.of(v.substring(1, v.length() - 1));
        }
        if (v.length() >= 2 && v.charAt(0) == '"' && v.endsWith("\"") && v.indexOf('"', 1) == v.length() - 1
                && v.indexOf('\\') < 0) {
            return Optional.of(v.substring(1, v.length() - 1));
        }
        char c = v.charAt(0);
        if ("&*!|>{[\"'@`%".indexOf(c) >= 0 || v.contains(": ")) {
            return Optional.empty();
        }
        return Optional.of(v);
    }
}
