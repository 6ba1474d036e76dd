package org.lstm4j.flink;

import java.util.Arrays;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * One input event of one entity: its key, its sequence number (counting from 0 per key, in the
 * order the key's events happened) and its features x_t (H_in floats).
 *
 * <p>A Java record, so Flink serializes it with its POJO serializer (no Kryo).
 */
public record Event(String key, long seq, float[] features) {
    /** Flink's type for events. */
    public static final TypeInformation<Event> TYPE = TypeInformation.of(Event.class);


    @Override
    public boolean equals(Object o) {
        return o instanceof Event e && key.equals(e.key) && seq == e.seq && Arrays.equals(features, e.features);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * key.hashCode() + Long.hashCode(seq)) + Arrays.hashCode(features);
    }

    @Override
    public String toString() {
        return "Event(" + key + ", " + seq + ", " + features.length + " features)";
    }
}
