package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.lstm4j.tensor.Tensor;

/**
 * Fixture paths under src/test/resources/io (written by the scripts in tools/fixtures) and comparisons;
 * {@link #resource} is the one way every test module package finds those files.
 */
public final class IoFixtures {
    private IoFixtures() {
    }

    /** src/test/resources/io/{@code relative} as a path; a missing file says so, naming the fixture scripts. */
    public static Path resource(String relative) {
        URL url = IoFixtures.class.getResource("/io/" + relative);
        if (url == null) {
            throw new IllegalStateException("missing test resource io/" + relative
                    + " (regenerate with the scripts in tools/fixtures, /usr/bin/python3)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(resource(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Same shape and bit-identical values; two NaNs count as equal whatever their payloads. */
    static void assertSameValues(Tensor expected, Tensor actual, String name) {
        assertThat(actual.shape()).as("shape of %s", name).isEqualTo(expected.shape());
        float[] e = expected.data();
        float[] a = actual.data();
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i])) {
                assertThat(a[i]).as("%s[%d]", name, i).isNaN();
            } else {
                assertThat(Float.floatToRawIntBits(a[i])).as("bits of %s[%d] (expected %s, got %s)", name, i, e[i], a[i])
                        .isEqualTo(Float.floatToRawIntBits(e[i]));
            }
        }
    }

    /** Same keys in the same order, and {@link #assertSameValues} for each. */
    static void assertSameTensors(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            assertSameValues(e.getValue(), actual.get(e.getKey()), e.getKey());
        }
    }
}
