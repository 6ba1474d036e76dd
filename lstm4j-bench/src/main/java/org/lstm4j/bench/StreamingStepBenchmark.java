package org.lstm4j.bench;

import java.util.concurrent.TimeUnit;
import org.lstm4j.nn.InferenceSession;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.LSTMState;
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
 * One {@link InferenceSession#step} of issue 6's config (a) (I=128, H=256, 2 layers) for
 * {@code streams} independent streams, state carried from call to call as a server would. With
 * {@code -prof gc}, gc.alloc.rate.norm is the bytes a steady-state step allocates (issue 7 asks
 * for about 0).
 *
 * <pre>{@code bin/lstm4j-bench jmh StreamingStepBenchmark -prof gc}</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class StreamingStepBenchmark {

    @Param({"1", "64"})
    public int streams;

    private InferenceSession session;
    private LSTMState state;
    private Tensor x;

    @Setup
    public void setup() {
        BenchConfig bc = BenchConfig.byName("a");
        LSTM lstm = new LSTM(bc.lstmConfig(), 1234);
        lstm.eval();
        session = lstm.newSession(streams);
        state = lstm.zeroState(streams);
        x = Tensor.uniform(1, -1f, 1f, streams, bc.inputSize());
    }

    @Benchmark
    public Tensor step() {
        return session.step(x, state);
    }
}
