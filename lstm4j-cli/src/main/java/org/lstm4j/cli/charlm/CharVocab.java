package org.lstm4j.cli.charlm;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The characters of a corpus, sorted by code point, and their indices — Python's
 * {@code chars = sorted(set(text))}. Saved as {@code vocab.json}: {@code {"chars": ["\n", " ", ...]}}.
 */
public final class CharVocab {
    private final List<String> chars;
    private final Map<Integer, Integer> index = new HashMap<>();

    private CharVocab(List<String> chars) {
        this.chars = List.copyOf(chars);
        for (int i = 0; i < chars.size(); i++) {
            index.put(chars.get(i).codePointAt(0), i);
        }
    }

    /** The sorted distinct code points of {@code text}. */
    public static CharVocab of(String text) {
        TreeSet<Integer> codePoints = new TreeSet<>();
        text.codePoints().forEach(codePoints::add);
        List<String> chars = new ArrayList<>();
        for (int cp : codePoints) {
            chars.add(new String(Character.toChars(cp)));
        }
        if (chars.isEmpty()) {
            throw new IllegalArgumentException("cannot build a vocabulary from empty text");
        }
        return new CharVocab(chars);
    }

    public int size() {
        return chars.size();
    }

    /** Indices of every code point of {@code text}; characters outside the vocabulary are an error. */
    public int[] encode(String text) {
        return text.codePoints().map(cp -> {
            Integer i = index.get(cp);
            if (i == null) {
                throw new IllegalArgumentException("character " + new String(Character.toChars(cp))
                        + " (U+" + Integer.toHexString(cp) + ") is not in the vocabulary of " + size() + " characters");
            }
            return i;
        }).toArray();
    }

    public String decode(int token) {
        if (token < 0 || token >= chars.size()) {
            throw new IllegalArgumentException("token must be in [0, " + chars.size() + "), got " + token);
        }
        return chars.get(token);
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, new Gson().toJson(Map.of("chars", chars)) + "\n", StandardCharsets.UTF_8);
    }

    public static CharVocab read(Path file) throws IOException {
        Stored stored;
        try {
            stored = new Gson().fromJson(Files.readString(file, StandardCharsets.UTF_8), Stored.class);
        } catch (JsonParseException e) {
            throw new IOException(file + ": not a vocab.json file: " + e.getMessage(), e);
        }
        if (stored == null || stored.chars == null || stored.chars.isEmpty()) {
            throw new IOException(file + ": expected {\"chars\": [...]} with at least one character");
        }
        for (String c : stored.chars) {
            if (c == null || c.codePointCount(0, c.length()) != 1) {
                throw new IOException(file + ": every vocabulary entry must be one character, got \"" + c + "\"");
            }
        }
        if (new TreeSet<>(stored.chars).size() != stored.chars.size()) {
            throw new IOException(file + ": vocabulary has repeated characters");
        }
        return new CharVocab(stored.chars);
    }

    private static final class Stored {
        List<String> chars;
    }
}
