package org.lstm4j.flink.operators;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lstm4j.flink.Event;

/**
 * The events a {@link LstmBundleOperator} holds between flushes, per key in arrival order. Taken
 * apart in rounds: each round hands out the oldest event of every key that has one, so a key's
 * events are stepped one round after another, in the order they came.
 */
final class EventBundle {
    private final Map<Object, ArrayDeque<Event>> byKey = new LinkedHashMap<>();
    private int size;

    void add(Object key, Event event) {
        byKey.computeIfAbsent(key, k -> new ArrayDeque<>()).add(event);
        size++;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The keys that still hold events, in the order they first came; the list is a copy. */
    List<Object> keys() {
        return new ArrayList<>(byKey.keySet());
    }

    /** Removes and returns {@code key}'s oldest event, or null if it has none. */
    Event poll(Object key) {
        ArrayDeque<Event> events = byKey.get(key);
        if (events == null) {
            return null;
        }
        Event event = events.poll();
        size--;
        if (events.isEmpty()) {
            byKey.remove(key);
        }
        return event;
    }
}
