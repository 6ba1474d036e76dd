package org.lstm4j.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON a safetensors header needs, and nothing more: objects, arrays, strings (all escapes,
 * surrogate pairs checked) and integers. Floats, true, false and null are refused, as are duplicate
 * keys, nesting deeper than {@link #MAX_DEPTH} and anything after the top value but whitespace.
 *
 * <p>Values come back as {@code LinkedHashMap<String, Object>} (key order kept),
 * {@code List<Object>}, {@code String} and {@code Long}.
 */
final class Json {
    /** A safetensors header nests three deep: header → tensor → shape. */
    static final int MAX_DEPTH = 8;

    private final String text;
    private final String source;
    private int pos;

    private Json(String text, String source) {
        this.text = text;
        this.source = source;
    }

    /** Parses {@code text}; {@code source} names it in errors (e.g. "x.safetensors: header"). */
    static Object parse(String text, String source) throws IOException {
        Json json = new Json(text, source);
        json.skipWhitespace();
        Object value = json.value(0);
        json.skipWhitespace();
        if (json.pos != text.length()) {
            throw json.error("unexpected " + json.describeNext() + " after the JSON value");
        }
        return value;
    }

    private Object value(int depth) throws IOException {
        if (depth >= MAX_DEPTH) {
            throw error("JSON nested deeper than " + MAX_DEPTH + " levels");
        }
        if (pos >= text.length()) {
            throw error("JSON ends where a value was expected");
        }
        char c = text.charAt(pos);
        if (c == '{') {
            return object(depth);
        } else if (c == '[') {
            return array(depth);
        } else if (c == '"') {
            return string();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            return integer();
        }
        throw error("expected an object, array, string or integer, got " + describeNext());
    }

    private Map<String, Object> object(int depth) throws IOException {
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key, got " + describeNext());
            }
            int keyStart = pos;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = value(depth + 1);
            if (map.containsKey(key)) {
                pos = keyStart;
                throw error("duplicate key \"" + key + "\"");
            }
            map.put(key, value);
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == '}') {
                pos++;
                return map;
            } else {
                throw error("expected ',' or '}' in object, got " + describeNext());
            }
        }
    }

    private List<Object> array(int depth) throws IOException {
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth + 1));
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == ']') {
                pos++;
                return list;
            } else {
                throw error("expected ',' or ']' in array, got " + describeNext());
            }
        }
    }

    private String string() throws IOException {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            } else if (c == '\\') {
                escape(sb);
            } else if (c < 0x20) {
                pos--;
                throw error("control character U+" + String.format("%04X", (int) c) + " in a string must be escaped");
            } else {
                // The text came from a strict UTF-8 decoder, so surrogates here are always paired.
                sb.append(c);
            }
        }
    }

    private void escape(StringBuilder sb) throws IOException {
        if (pos >= text.length()) {
            throw error("unterminated escape");
        }
        char c = text.charAt(pos++);
        switch (c) {
            case '"' -> sb.append('"');
            case '\\' -> sb.append('\\');
            case '/' -> sb.append('/');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> {
                char unit = hex4();
                if (Character.isHighSurrogate(unit)) {
                    if (pos + 1 < text.length() && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
                        pos += 2;
                        char low = hex4();
                        if (!Character.isLowSurrogate(low)) {
                            pos -= 6;
                            throw error("\\u escape: high surrogate not followed by a low surrogate");
                        }
                        sb.append(unit).append(low);
                    } else {
                        throw error("\\u escape: lone high surrogate");
                    }
                } else if (Character.isLowSurrogate(unit)) {
                    pos -= 6;
                    throw error("\\u escape: lone low surrogate");
                } else {
                    sb.append(unit);
                }
            }
            default -> {
                pos--;
                throw error("invalid escape '\\" + c + "'");
            }
        }
    }

    private char hex4() throws IOException {
        if (pos + 4 > text.length()) {
            throw error("\\u escape needs four hex digits");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(pos + i), 16);
            if (digit < 0) {
                throw error("\\u escape needs four hex digits");
            }
            value = value * 16 + digit;
        }
        pos += 4;
        return (char) value;
    }

    private Long integer() throws IOException {
        int start = pos;
        boolean negative = peek() == '-';
        if (negative) {
            pos++;
        }
        int digitsStart = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        int digits = pos - digitsStart;
        if (digits == 0) {
            pos = start;
            throw error("'-' must be followed by digits");
        }
        if (digits > 1 && text.charAt(digitsStart) == '0') {
            pos = start;
            throw error("integer with a leading zero");
        }
        char next = peek();
        if (next == '.' || next == 'e' || next == 'E') {
            pos = start;
            throw error("expected an integer, got a floating-point number");
        }
        try {
            return Long.parseLong(text.substring(start, pos));
        } catch (NumberFormatException e) {
            pos = start;
            throw error("integer " + text.substring(start, Math.min(start + 40, text.length())) + " does not fit in 64 bits");
        }
    }

    /** Appends {@code s} as a JSON string literal (quotes, backslashes and controls escaped). */
    static void appendString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void expect(char c) throws IOException {
        if (peek() != c) {
            throw error("expected '" + c + "', got " + describeNext());
        }
        pos++;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String describeNext() {
        if (pos >= text.length()) {
            return "end of header";
        }
        char c = text.charAt(pos);
        return c >= 0x20 && c < 0x7F ? "'" + c + "'" : "U+" + String.format("%04X", (int) c);
    }

    private IOException error(String message) {
        return new IOException(source + ": " + message + " at character " + pos);
    }
}
