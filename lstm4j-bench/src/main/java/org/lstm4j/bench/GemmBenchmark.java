package org.lstm4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lstm4j.kernels.Kernels;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.PanelMatrix;
import org.lstm4j.kernels.ScalarMatrixKernels;
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
 * C(m, n) += A(m, k)·W(n, k)ᵀ at the LSTM's product shapes, W in panels and plain, with the
 * provider's kernels ("default": vector when the module is present) or the scalar reference.
 * FLOPs per call are 2·m·n·k; GFLOP/s = 2·m·n·k / (µs per op · 1000).
 *
 * <pre>{@code bin/lstm4j-bench jmh GemmBenchmark -p shape=1x1024x256 -prof gc}</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBenchmark {

    /** m x n x k: batch-1 step, (c) step, (d) step, (c) input projection, (d) input projection. */
    @Param({"1x1024x256", "32x1024x256", "64x2048x512", "3200x1024x128", "6400x2048x512"})
    public String shape;

    @Param({"default", "scalar"})
    public String kernels;

    private MatrixKernels k;
    private int m;
    private int n;
    private int depth;
    private float[] a;
    private float[] w;
    private float[] c;
    private PanelMatrix panels;

    @Setup
    public void setup() {
        String[] dims = shape.split("x");
        m = Integer.parseInt(dims[0]);
        n = Integer.parseInt(dims[1]);
        depth = Integer.parseInt(dims[2]);
        k = kernels.equals("scalar") ? ScalarMatrixKernels.INSTANCE : Kernels.matrix();
        SplittableRandom random = new SplittableRandom(1);
        a = new float[m * depth];
        w = new float[n * depth];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextDouble(-1, 1);
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextDouble(-1, 1);
        }
        panels = k.panels(w, 0, n, depth);
    }

    @Benchmark
    public float[] panels() {
        k.multTransBPanels(m, a, 0, depth, panels, c, 0, n, true);
        return c;
    }

    @Benchmark
    public float[] plain() {
        k.multTransB(m, n, depth, a, 0, depth, w, 0, depth, c, 0, n, true);
        return c;
    }
}
