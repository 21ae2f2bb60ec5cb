package org.pgwarden.repo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.storage.ObjectInfo;

/**
 * The archived WAL segments per timeline, as first, last and gaps: enough to tell whether a
 * backup's WAL is complete, computed in one streaming pass over the archive listing.
 */
public final class WalRanges {
    /** Gaps reported per timeline at most; an archive with more is broken beyond listing. */
    private static final int MAX_GAPS = 100;

    /** One timeline: segment numbers first..last with holes. */
    public static final class Range {
        final int timeline;
        long first = -1;
        long last = -1;
        final List<long[]> gaps = new ArrayList<>();
        int omittedGaps;

        Range(int timeline) {
            this.timeline = timeline;
        }

        void add(long segment) {
            if (first < 0) {
                first = segment;
            } else if (segment > last + 1) {
                if (gaps.size() < MAX_GAPS) {
                    gaps.add(new long[]{last + 1, segment - 1});
                } else {
                    omittedGaps++;
                }
            }
            last = Math.max(last, segment);
        }
    }

    private final Map<Integer, Range> timelines;
    private final int segmentSize;

    private WalRanges(Map<Integer, Range> timelines, int segmentSize) {
        this.timelines = timelines;
        this.segmentSize = segmentSize;
    }

    public static WalRanges empty() {
        return new WalRanges(new TreeMap<>(), 16 << 20);
    }

    /** Reads the archive listing once; memory is per timeline, not per segment. */
    public static WalRanges scan(WalArchiveIndex index, int segmentSize) {
        Map<Integer, Range> ranges = new TreeMap<>();
        try (Stream<ObjectInfo> all = index.listAll()) {
            all.forEach(o -> {
                String name = WalArchiveIndex.fileName(o.key());
                if (name.length() != 24) {
                    return; // history, partial and backup history files are not segments
                }
                WalSegmentName seg = WalSegmentName.parse(name);
                ranges.computeIfAbsent(seg.timeline().value(), Range::new).add(seg.segmentNumber(segmentSize));
            });
        }
        return new WalRanges(ranges, segmentSize);
    }

    /** Why the WAL from {@code start} to {@code stop} on {@code timeline} is incomplete, if it is. */
    public Optional<String> missingFor(int timeline, String start, String stop) {
        long from = Lsn.parse(start).segmentNumber(segmentSize);
        long to = Lsn.parse(stop).segmentNumber(segmentSize);
        Range r = timelines.get(timeline);
        TimelineId tl = TimelineId.of(timeline);
        if (r == null || r.first > from || r.last < to) {
            long missing = r == null || r.first > from ? from : r.last + 1;
            return Optional.of("WAL segment " + WalSegmentName.ofSegmentNumber(tl, missing, segmentSize)
                    + " is not archived");
        }
        for (long[] g : r.gaps) {
            if (g[0] <= to && g[1] >= from) {
                return Optional.of("WAL segment " + WalSegmentName.ofSegmentNumber(tl, Math.max(g[0], from), segmentSize)
                        + " is not archived");
            }
        }
        return Optional.empty();
    }

    public ArrayNode toJson(ObjectMapper json) {
        ArrayNode out = json.createArrayNode();
        for (Range r : timelines.values()) {
            TimelineId tl = TimelineId.of(r.timeline);
            ObjectNode n = out.addObject();
            n.put("timeline", r.timeline);
            n.put("first", WalSegmentName.ofSegmentNumber(tl, r.first, segmentSize).toString());
            n.put("last", WalSegmentName.ofSegmentNumber(tl, r.last, segmentSize).toString());
            ArrayNode gaps = n.putArray("gaps");
            for (long[] g : r.gaps) {
                gaps.addObject().put("from", WalSegmentName.ofSegmentNumber(tl, g[0], segmentSize).toString())
                        .put("to", WalSegmentName.ofSegmentNumber(tl, g[1], segmentSize).toString());
            }
            if (r.omittedGaps > 0) {
                n.put("moreGaps", r.omittedGaps);
            }
        }
        return out;
    }
}
