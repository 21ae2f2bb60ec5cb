package org.pgwarden.config;

import java.util.ArrayList;
import java.util.List;

/** Collects every problem found while loading, so all of them are reported together. */
final class ConfigProblems {
    private final List<String> problems = new ArrayList<>();

    void add(String path, String message) {
        problems.add(path + ": " + message);
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    List<String> list() {
        return List.copyOf(problems);
    }
}
