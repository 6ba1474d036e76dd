package org.lstm4j.bench;

import java.util.concurrent.TimeUnit;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;
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
 * {@code LSTM.forward} for issue 6's inference configs (a)-(e), with whatever kernels the
 * provider picks (add {@code -jvmArgsAppend -Dlstm4j.vectorBitSize=0} for scalar). With
 * {@code -prof gc}, gc.alloc.rate.norm is the bytes allocated per call.
 *
 * <pre>{@code bin/lstm4j-bench jmh LstmForwardBenchmark -p config=a -prof gc}</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LstmForwardBenchmark {

    @Param({"a", "b", "c", "d", "e"})
    public String config;

    private LSTM lstm;
    private Tensor x;
    private Tensor h0;
    private Tensor c0;

    @Setup
    public void setup() {
        BenchConfig bc = BenchConfig.byName(config);
        lstm = new LSTM(bc.lstmConfig(), 1234);
        lstm.eval();
        int stateRows = bc.layers() * bc.directions();
        x = Tensor.uniform(1, -1f, 1f, bc.seqLen(), bc.batch(), bc.inputSize());
        h0 = Tensor.uniform(2, -1f, 1f, stateRows, bc.batch(), bc.hidden());
        c0 = Tensor.uniform(3, -1f, 1f, stateRows, bc.batch(), bc.hidden());
    }

    @Benchmark
    public LSTM.Output forward() {
        return lstm.forward(x, h0, c0);
    }
}
