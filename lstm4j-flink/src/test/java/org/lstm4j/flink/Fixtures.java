package org.lstm4j.flink;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.lstm4j.flink.model.ModelCache;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.GRU;
import org.lstm4j.nn.InferenceSession;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.nn.RecurrentState;
import org.lstm4j.tensor.Tensor;

/** Models written to files, interleaved event streams, and the single-JVM reference run per key. */
public final class Fixtures {
    private Fixtures() {
    }

    /** A model file written from {@code lstm} under {@code dir}, and its reference. */
    public static ModelRef writeModel(Path dir, String name, RNNBase lstm) throws IOException {
        Path file = dir.resolve(name + ".safetensors");
        Map<String, Tensor> prefixed = new LinkedHashMap<>();
        lstm.stateDict().forEach((k, v) -> prefixed.put("lstm." + k, v));
        StateDicts.write(file, prefixed);
        return ModelRef.of(file.toUri().toString(), ModelCache.sha256(new org.apache.flink.core.fs.Path(file.toUri())), "lstm.");
    }

    public static GRU smallGru(long seed) {
        GRU gru = GRU.builder(5, 8).numLayers(2).seed(seed).build();
        gru.eval();
        return gru;
    }

    public static LSTM smallLstm(long seed) {
        LSTM lstm = LSTM.builder(5, 8).numLayers(2).seed(seed).build();
        lstm.eval();
        return lstm;
    }

    /** {@code keys} keys × {@code steps} events each, seq 0.., features from {@code seed}, keys interleaved at random. */
    public static List<Event> interleaved(int keys, int steps, int inputSize, long seed) {
        Random random = new Random(seed);
        List<List<Event>> perKey = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            List<Event> events = new ArrayList<>();
            for (int t = 0; t < steps; t++) {
                float[] x = new float[inputSize];
                for (int i = 0; i < inputSize; i++) {
                    x[i] = (float) random.nextGaussian();
                }
                events.add(new Event("key-" + k, t, x));
            }
            perKey.add(events);
        }
        List<Event> out = new ArrayList<>();
        int[] next = new int[keys];
        while (out.size() < keys * steps) {
            int k = random.nextInt(keys);
            if (next[k] < steps) {
                out.add(perKey.get(k).get(next[k]++));
            }
        }
        return out;
    }

    /**
     * The single-JVM reference: each key's events stepped in order with {@link InferenceSession#step}
     * from zeros; (key, seq) → output.
     */
    public static Map<String, float[]> reference(RNNBase lstm, List<Event> events) {
        InferenceSession session = lstm.newSession(1);
        Map<String, RecurrentState> states = new LinkedHashMap<>();
        Map<String, float[]> outputs = new LinkedHashMap<>();
        for (Event e : events) {
            RecurrentState state = states.computeIfAbsent(e.key(), k -> RecurrentState.zeros(lstm.config(), 1));
            Tensor y = session.step(Tensor.of(e.features().clone(), 1, e.features().length), state);
            outputs.put(e.key() + "/" + e.seq(), y.data().clone());
        }
        return outputs;
    }

    public static Map<String, float[]> byKeyAndSeq(List<Scored> scored) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Scored s : scored) {
            if (out.put(s.key() + "/" + s.seq(), s.output()) != null) {
                throw new AssertionError("(key, seq) twice: " + s.key() + "/" + s.seq());
            }
        }
        return out;
    }

    /** Same (key, seq) entries, every output bit-identical (Arrays.equals compares float bits). */
    public static void assertSameOutputs(Map<String, float[]> expected, Map<String, float[]> actual) {
        if (!expected.keySet().equals(actual.keySet())) {
            List<String> missing = new ArrayList<>(expected.keySet());
            missing.removeAll(actual.keySet());
            List<String> extra = new ArrayList<>(actual.keySet());
            extra.removeAll(expected.keySet());
            throw new AssertionError("(key, seq) sets differ: missing " + missing + ", unexpected " + extra);
        }
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            if (!java.util.Arrays.equals(e.getValue(), actual.get(e.getKey()))) {
                throw new AssertionError("output of " + e.getKey() + " differs: expected "
                        + java.util.Arrays.toString(e.getValue()) + ", got " + java.util.Arrays.toString(actual.get(e.getKey())));
            }
        }
    }

    public static String hex(byte[] fingerprint) {
        return HexFormat.of().formatHex(fingerprint);
    }
}
