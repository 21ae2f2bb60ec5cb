package org.pgwarden.config;

/** How objects are compressed before they are encrypted. */
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
