package org.pgwarden.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * Reads the YAML configuration into {@link PgwardenConfig}, reporting every problem at once
 * (see {@link ConfigException}). Also renders the effective configuration, with defaults filled in
 * and secrets shown only as their references.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build());

    private final CronValidator cronValidator;

    public ConfigLoader(CronValidator cronValidator) {
        this.cronValidator = cronValidator;
    }

    /** A loaded configuration and its printable effective form. */
    public record Loaded(PgwardenConfig config, String effectiveYaml, String source) {
    }

    public Loaded load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new PgwardenException(ErrorCode.CONFIG_INVALID, "configuration file '" + file + "' does not exist",
                    "pass --config FILE or set PGWARDEN_CONFIG; config/pgwarden.example.yaml is a starting point", null);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.CONFIG_INVALID, "unable to read configuration file '" + file + "': "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
        return parse(text, file.toString());
    }

    public Loaded parse(String yaml, String source) {
        JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            // The location is useful, the echoed content is not (it could hold a pasted secret).
            var loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new ConfigException(source, List.of("(document): not valid YAML" + where + ": "
                    + e.getOriginalMessage().replaceAll("\\s+", " ")));
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new ConfigException(source, List.of("(document): the file is empty"));
        }
        if (!tree.isObject()) {
            throw new ConfigException(source, List.of("(document): expected a mapping of sections at the top level"));
        }
        ConfigProblems problems = new ConfigProblems();
        ObjectNode effective = ConfigNode.newTree();
        PgwardenConfig config = PgwardenConfig.bind(new ConfigNode("", tree, problems, effective, cronValidator));
        if (!problems.isEmpty()) {
            throw new ConfigException(source, problems.list());
        }
        try {
            return new Loaded(config, YAML.writeValueAsString(effective), source);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
