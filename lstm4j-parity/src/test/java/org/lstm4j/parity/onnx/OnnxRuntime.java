package org.lstm4j.parity.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lstm4j.tensor.Tensor;

/**
 * ONNX Runtime 1.22 (its Java API, CPU execution provider) as a reference: runs a model file on
 * lstm4j tensors and returns every graph output as a tensor.
 *
 * <pre>{@code
 * Map<String, Tensor> out = OnnxRuntime.run(Path.of("lstm.onnx"), Map.of("input", x));
 * Tensor hN = out.get("h_n");
 * }</pre>
 *
 * <p>One intra-op thread: the tests compare numbers, and the parity suite already shares two cores.
 */
public final class OnnxRuntime {
    private OnnxRuntime() {
    }

    /** Runs {@code model} once on float32 {@code inputs} (name → tensor); graph outputs by name, in graph order. */
    public static Map<String, Tensor> run(Path model, Map<String, Tensor> inputs) throws OrtException {
        return run(model, inputs, Map.of());
    }

    /**
     * {@link #run(Path, Map)} with int32 inputs too, each a vector (an ONNX {@code sequence_lens},
     * for instance).
     */
    public static Map<String, Tensor> run(Path model, Map<String, Tensor> inputs, Map<String, int[]> int32Inputs)
            throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(model.toString(), options)) {
                Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
                try {
                    for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                        feeds.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue().data()),
                                longs(e.getValue().shape())));
                    }
                    for (Map.Entry<String, int[]> e : int32Inputs.entrySet()) {
                        feeds.put(e.getKey(), OnnxTensor.createTensor(env, IntBuffer.wrap(e.getValue()),
                                new long[] {e.getValue().length}));
                    }
                    try (OrtSession.Result result = session.run(feeds)) {
                        Map<String, Tensor> outputs = new LinkedHashMap<>();
                        for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : result) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            long[] shape = t.getInfo().getShape();
                            float[] values = new float[(int) t.getInfo().getNumElements()];
                            t.getFloatBuffer().get(values);
                            outputs.put(e.getKey(), Tensor.of(values, ints(shape)));
                        }
                        return outputs;
                    }
                } finally {
                    feeds.values().forEach(OnnxTensor::close);
                }
            }
        }
    }

    private static long[] longs(int[] shape) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = shape[i];
        }
        return out;
    }

    private static int[] ints(long[] shape) {
        int[] out = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = Math.toIntExact(shape[i]);
        }
        return out;
    }
}
