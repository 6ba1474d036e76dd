package org.lstm4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lstm4j.kernels.Kernels;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.kernels.ScalarPointwiseKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The LSTM cell update for one row of {@code hidden} units (4·hidden activations + c, h), vector
 * vs the double-precision scalar reference. The gates are refreshed from a copy each call so the
 * inputs stay in the interesting range; the copy is part of both measurements.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PointwiseBenchmark {

    @Param({"256", "512"})
    public int hidden;

    @Param({"default", "scalar"})
    public String kernels;

    private PointwiseKernels k;
    private float[] gatesSource;
    private float[] gates;
    private float[] c;
    private float[] h;

    @Setup
    public void setup() {
        k = kernels.equals("scalar") ? ScalarPointwiseKernels.INSTANCE : Kernels.pointwise();
        SplittableRandom random = new SplittableRandom(3);
        gatesSource = new float[4 * hidden];
        for (int i = 0; i < gatesSource.length; i++) {
            gatesSource[i] = (float) random.nextDouble(-6, 6);
        }
        gates = new float[4 * hidden];
        c = new float[hidden];
        h = new float[hidden];
    }

    @Benchmark
    public float[] lstmCellForward() {
        System.arraycopy(gatesSource, 0, gates, 0, gates.length);
        k.lstmCellForward(hidden, 0, hidden, gates, 0, c, 0, h, 0);
        return h;
    }
}
