package org.pgwarden.maintenance;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.pgwarden.common.ByteSize;

/**
 * A window's ranked work: items in the order they run, and findings that are only reported
 * (invalid indexes that are not leftovers, unused indexes).
 */
public record Plan(String window, List<Item> items, List<Finding> findings) {

    public Plan {
        items = List.copyOf(items);
        findings = List.copyOf(findings);
    }

    /** Why an item is planned, in ranking order. */
    public enum Need {
        WRAPAROUND, LEFTOVER, DEAD_TUPLES, STALE_STATISTICS, INDEX_BLOAT;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** The statement an item runs; {@link #label()} is the {@code action} metric label. */
    public enum Action {
        VACUUM, ANALYZE, REINDEX, DROP_INDEX;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One statement to run.
     *
     * @param rank           1 for the most needed
     * @param relationOid    the relation whose size is measured before and after (the table, or the index)
     * @param target         {@code schema.name} of the table or index the statement names
     * @param table          {@code schema.name} of the table concerned
     * @param freeze         {@code VACUUM (FREEZE)}
     * @param analyze        {@code VACUUM (ANALYZE)}
     * @param estimatedBytes what the statement reads at most, roughly: its cost
     */
    public record Item(int rank, String database, Need need, Action action, long relationOid, String schema,
            String name, String table, boolean freeze, boolean analyze, String reason, long estimatedBytes) {

        public String target() {
            return schema + "." + name;
        }

        /** The statement, with quoted identifiers. */
        public String sql() {
            String rel = quote(schema) + "." + quote(name);
            return switch (action) {
                case VACUUM -> {
                    List<String> options = new ArrayList<>();
                    if (freeze) {
                        options.add("FREEZE");
                    }
                    if (analyze) {
                        options.add("ANALYZE");
                    }
                    yield "VACUUM " + (options.isEmpty() ? "" : "(" + String.join(", ", options) + ") ") + rel;
                }
                case ANALYZE -> "ANALYZE " + rel;
                case REINDEX -> "REINDEX INDEX CONCURRENTLY " + rel;
                case DROP_INDEX -> "DROP INDEX CONCURRENTLY " + rel;
            };
        }

        /**
         * A wraparound vacuum without {@code FREEZE}: run with {@code vacuum_freeze_table_age = 0}, so
         * that it is aggressive (visits every page not yet all-frozen and advances the table's
         * frozen horizon) whatever the table's age, while freezing only tuples older than
         * {@code vacuum_freeze_min_age}, which writes far less than {@code FREEZE}.
         */
        public boolean aggressive() {
            return need == Need.WRAPAROUND && action == Action.VACUUM && !freeze;
        }

        /** What the plan table shows as the action: {@code vacuum (freeze, analyze)}. */
        public String describeAction() {
            if (action != Action.VACUUM || (!freeze && !analyze && !aggressive())) {
                return action.label();
            }
            List<String> options = new ArrayList<>();
            if (freeze) {
                options.add("freeze");
            }
            if (aggressive()) {
                options.add("aggressive");
            }
            if (analyze) {
                options.add("analyze");
            }
            return "vacuum (" + String.join(", ", options) + ")";
        }

        Item ranked(int r) {
            return new Item(r, database, need, action, relationOid, schema, name, table, freeze, analyze, reason,
                    estimatedBytes);
        }
    }

    /** Reported, never acted on: {@code kind} is {@code invalid-index} or {@code unused-index}. */
    public record Finding(String database, String kind, String target, String table, long bytes, String detail) {
    }

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    public long estimatedBytes() {
        return items.stream().mapToLong(Item::estimatedBytes).sum();
    }

    /** The plan as a table for the operator, then the findings. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("plan of window '" + window + "': " + items.size() + " item(s), about "
                + ByteSize.ofBytes(estimatedBytes()).toHuman() + " to read");
        if (!items.isEmpty()) {
            String format = "%4s  %-16s  %-18s  %-16s  %-40s  %10s  %s";
            out.add(String.format(Locale.ROOT, format, "rank", "database", "action", "need", "target", "cost",
                    "reason").stripTrailing());
            for (Item i : items) {
                out.add(String.format(Locale.ROOT, format, i.rank(), i.database(), i.describeAction(),
                        i.need().label(), i.target(), ByteSize.ofBytes(i.estimatedBytes()).toHuman(), i.reason()));
            }
        }
        for (Finding f : findings) {
            out.add(f.kind() + ": " + f.database() + " " + f.target() + " on " + f.table() + " ("
                    + ByteSize.ofBytes(f.bytes()).toHuman() + "): " + f.detail());
        }
        return out;
    }

    /** The plan as {@code maintain --dry-run --output json} prints it and the window report stores it. */
    public void toJson(ObjectNode n) {
        n.put("window", window);
        n.put("estimatedBytes", estimatedBytes());
        ArrayNode list = n.putArray("items");
        for (Item i : items) {
            item(list.addObject(), i);
        }
        findings(n.putArray("findings"), findings);
    }

    static ObjectNode item(ObjectNode o, Item i) {
        return o.put("rank", i.rank()).put("database", i.database()).put("action", i.action().label())
                .put("freeze", i.freeze()).put("aggressive", i.aggressive()).put("analyze", i.analyze())
                .put("need", i.need().label())
                .put("target", i.target()).put("table", i.table()).put("reason", i.reason())
                .put("estimatedBytes", i.estimatedBytes()).put("sql", i.sql());
    }

    static void findings(ArrayNode list, List<Finding> findings) {
        for (Finding f : findings) {
            list.addObject().put("database", f.database()).put("kind", f.kind()).put("target", f.target())
                    .put("table", f.table()).put("bytes", f.bytes()).put("detail", f.detail());
        }
    }
}
