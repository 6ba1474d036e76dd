package org.lstm4j.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lstm4j.io.Onnx;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * The same LSTM in ONNX Runtime 1.22 (CPU execution provider): the lstm4j model exported with
 * {@link LSTM#toOnnx} (opset {@link Onnx#DEFAULT_OPSET}, graph inputs input, h0, c0), run on the
 * same input and initial state. Inputs are created once; outputs are freed after each call
 * (copying them into Java is not timed, as for libtorch).
 *
 * <p>Threads: {@link #INTRA_OP_THREADS} intra-op threads (libtorch's setting in this harness),
 * sequential execution; ONNX Runtime's default graph optimisations.
 */
final class OnnxRuntimeLstm implements AutoCloseable {
    static final int INTRA_OP_THREADS = 2;

    private final Path file;
    private final OrtSession session;
    private final Map<String, OnnxTensor> inputs = new LinkedHashMap<>();

    /**
     * @param spin whether intra-op threads keep spinning after a call (ONNX Runtime's default) or
     *             stop at its end ({@code session.force_spinning_stop=1})
     */
    OnnxRuntimeLstm(LSTM lstm, Tensor x, Tensor h0, Tensor c0, boolean spin) throws IOException, OrtException {
        this.file = Files.createTempFile("lstm4j-bench", ".onnx");
        lstm.toOnnx(file, Onnx.ExportOptions.opset(Onnx.DEFAULT_OPSET).withInitialState(true));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(INTRA_OP_THREADS);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.addConfigEntry("session.force_spinning_stop", spin ? "0" : "1");
            this.session = env.createSession(file.toString(), options);
        }
        inputs.put("input", tensor(env, x));
        inputs.put("h0", tensor(env, h0));
        inputs.put("c0", tensor(env, c0));
    }

    /** ONNX Runtime's version, as the native library reports it. */
    static String version() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    /** One timed call: an inference forward. */
    void run() {
        try (OrtSession.Result result = session.run(inputs)) {
            result.get(0);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    /** output, h_n, c_n of one forward, copied to Java. */
    float[][] forwardOutputs() throws OrtException {
        try (OrtSession.Result result = session.run(inputs)) {
            float[][] out = new float[result.size()][];
            int i = 0;
            for (Map.Entry<String, OnnxValue> e : result) {
                OnnxTensor t = (OnnxTensor) e.getValue();
                out[i] = new float[(int) t.getInfo().getNumElements()];
                t.getFloatBuffer().get(out[i++]);
            }
            return out;
        }
    }

    private static OnnxTensor tensor(OrtEnvironment env, Tensor t) throws OrtException {
        long[] shape = new long[t.dim()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.size(i);
        }
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(t.data()), shape);
    }

    @Override
    public void close() throws IOException, OrtException {
        inputs.values().forEach(OnnxTensor::close);
        session.close();
        Files.deleteIfExists(file);
    }
}
