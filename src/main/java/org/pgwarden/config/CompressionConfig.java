package org.pgwarden.config;

/**
 * How objects are compressed before they are encrypted. The codec is recorded in every object
 * header, so changing it affects new objects only and readers never guess.
 *
 * <p>Default zstd level 1, from {@code bench/pipeline.sh} on table-like data (one core, sealing
 * incl. SHA-256 and AES-GCM): level 1 ratio 2.37× at ~316 MB/s, level 3 2.45× at ~205 MB/s,
 * level 6 2.53× at ~85 MB/s. Level 3 saves about 3 % of space for 35 % less throughput, and
 * compression is the bottleneck of the whole path, so 1 is the better default.
 */
public record CompressionConfig(Algorithm algorithm, int level) {

    public enum Algorithm { ZSTD, NONE }

    static CompressionConfig bind(ConfigNode n) {
        Algorithm algorithm = n.choice("algorithm", Algorithm.ZSTD, Algorithm.class);
        int level = n.integer("level", 1, -7, 19);
        if (algorithm == Algorithm.NONE && n.has("level")) {
            n.problem("level", "has no meaning when compression.algorithm is 'none'; remove it");
        }
        n.done();
        return new CompressionConfig(algorithm, level);
    }
}
