package org.lstm4j.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Variable;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Linear;
import org.lstm4j.nn.Module;
import org.lstm4j.nn.Parameter;
import org.lstm4j.nn.loss.MSELoss;
import org.lstm4j.tensor.Tensor;

/**
 * Optimizer mechanics. Update values are checked against libtorch in lstm4j-parity
 * ({@code OptimizerParityTest}); here: exact resumption from a saved state, PyTorch's
 * argument checks, skipped parameters, version bumps, schedules and clipping.
 */
class OptimizerTest {

    static final class Net extends Module {
        final LSTM lstm = registerModule("lstm", LSTM.builder(2, 3).seed(1).build());
        final Linear fc = registerModule("fc", new Linear(3, 1, true, 2));

        Variable forward(Tensor x) {
            return fc.forward(lstm.forward(Variable.of(x), null, null).hN().select(0, -1));
        }
    }

    private static void trainStep(Net net, Optimizer opt, int step) {
        opt.zeroGrad();
        Tensor x = Tensor.randn(100 + step, 4, 3, 2);
        new MSELoss().forward(net.forward(x), Tensor.randn(200 + step, 3, 1)).backward();
        opt.step();
    }

    private static void resumesExactly(Function<List<Parameter>, Optimizer> factory,
                                       Function<Optimizer, LRScheduler> schedulerFactory) {
        Net straight = new Net();
        Optimizer a = factory.apply(straight.parameters());
        LRScheduler sa = schedulerFactory == null ? null : schedulerFactory.apply(a);
        for (int s = 0; s < 10; s++) {
            trainStep(straight, a, s);
            if (sa != null) {
                sa.step();
            }
        }

        Net first = new Net();
        Optimizer b = factory.apply(first.parameters());
        LRScheduler sb = schedulerFactory == null ? null : schedulerFactory.apply(b);
        for (int s = 0; s < 4; s++) {
            trainStep(first, b, s);
            if (sb != null) {
                sb.step();
            }
        }
        Map<String, Tensor> weights = Map.copyOf(copies(first.stateDict()));
        OptimizerState saved = b.stateDict();
        Map<String, Double> schedule = sb == null ? null : sb.stateDict();

        Net resumed = new Net();
        resumed.loadStateDict(weights, true);
        Optimizer c = factory.apply(resumed.parameters());
        c.loadStateDict(saved);
        LRScheduler sc = schedulerFactory == null ? null : schedulerFactory.apply(c);
        if (sc != null) {
            sc.loadStateDict(schedule);
        }
        for (int s = 4; s < 10; s++) {
            trainStep(resumed, c, s);
            if (sc != null) {
                sc.step();
            }
        }
        assertThat(resumed.stateDict()).isEqualTo(straight.stateDict());
        assertThat(c.lr()).isEqualTo(a.lr());
    }

    private static Map<String, Tensor> copies(Map<String, Tensor> state) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    @Test
    void trainingResumesBitExactlyFromSavedState() {
        resumesExactly(p -> SGD.builder(p, 0.1).momentum(0.9).nesterov(true).build(), null);
        resumesExactly(p -> SGD.builder(p, 0.1).momentum(0.5).build(), o -> new StepLR(o, 3, 0.5));
        resumesExactly(p -> new Adam(p, 1e-2), null);
        resumesExactly(p -> new AdamW(p, 1e-2), o -> new CosineAnnealingLR(o, 5));
    }

    @Test
    void stateDictUsesPyTorchNamesAndRejectsForeignState() {
        Net net = new Net();
        Adam adam = new Adam(net.parameters());
        trainStep(net, adam, 0);
        OptimizerState state = adam.stateDict();
        assertThat(state.tensors()).containsKeys("0.exp_avg", "0.exp_avg_sq", "5.exp_avg");
        assertThat(state.scalars()).containsEntry("0.step", 1.0).containsEntry("lr", 1e-3);
        SGD sgd = SGD.builder(net.parameters(), 0.1).momentum(0.9).build();
        assertThatThrownBy(() -> sgd.loadStateDict(state)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0.exp_avg");
        Net other = new Net();
        Adam wrongShapes = new Adam(List.of(other.parameters().get(1), other.parameters().get(0)));
        assertThatThrownBy(() -> wrongShapes.loadStateDict(new OptimizerState(
                Map.of("0.exp_avg", state.tensors().get("0.exp_avg"), "0.exp_avg_sq",
                        state.tensors().get("0.exp_avg_sq")), Map.of("lr", 1e-3, "0.step", 1.0))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected [12, 3]");
    }

    @Test
    void argumentsAreCheckedAsPyTorchChecksThem() {
        List<Parameter> p = new Net().parameters();
        assertThatThrownBy(() -> new SGD(p, -1)).hasMessage("Invalid learning rate: -1.0");
        assertThatThrownBy(() -> SGD.builder(p, 0.1).nesterov(true).build())
                .hasMessageContaining("Nesterov momentum requires a momentum and zero dampening");
        assertThatThrownBy(() -> Adam.builder(p).betas(1.0, 0.999).build())
                .hasMessage("Invalid beta parameter at index 0: 1.0");
        assertThatThrownBy(() -> Adam.builder(p).eps(-1).build()).hasMessage("Invalid epsilon value: -1.0");
        assertThatThrownBy(() -> new Adam(List.of())).hasMessage("optimizer got an empty parameter list");
        assertThat(AdamW.builder(p).build()).isInstanceOf(AdamW.class);
        assertThat(new AdamW(p).toString()).contains("weight_decay=0.01");
    }

    @Test
    void parametersWithoutGradientAreSkippedAndUpdatedOnesBumpTheirVersion() {
        Parameter touched = new Parameter(Tensor.randn(1, 3));
        Parameter untouched = new Parameter(Tensor.randn(2, 3));
        Tensor before = untouched.data().copy();
        touched.gradBuffer().data()[0] = 1f;
        Adam adam = new Adam(List.of(touched, untouched), 0.1);
        adam.step();
        assertThat(untouched.data()).isEqualTo(before);
        assertThat(untouched.version()).isZero();
        assertThat(touched.version()).isEqualTo(1);
        assertThat(adam.stateDict().scalars()).containsKey("0.step").doesNotContainKey("1.step");
    }

    @Test
    void schedulesFollowTheirClosedForms() {
        Optimizer opt = new SGD(new Net().parameters(), 0.4);
        StepLR step = new StepLR(opt, 3, 0.5);
        for (int epoch = 1; epoch <= 10; epoch++) {
            step.step();
            assertThat(opt.lr()).isCloseTo(0.4 * Math.pow(0.5, epoch / 3), org.assertj.core.data.Offset.offset(1e-15));
        }
        Optimizer opt2 = new SGD(new Net().parameters(), 0.4);
        CosineAnnealingLR cosine = new CosineAnnealingLR(opt2, 7, 0.01);
        for (int epoch = 1; epoch <= 20; epoch++) {
            cosine.step();
            double closed = 0.01 + (0.4 - 0.01) * (1 + Math.cos(Math.PI * epoch / 7)) / 2;
            assertThat(opt2.lr()).as("epoch " + epoch).isCloseTo(closed, org.assertj.core.data.Offset.offset(1e-12));
        }
        assertThat(cosine.lastEpoch()).isEqualTo(20);
    }

    @Test
    void clipGradNormReturnsTheTotalNormAndScalesOnlyWhenAbove() {
        Parameter a = new Parameter(Tensor.zeros(2));
        Parameter b = new Parameter(Tensor.zeros(1));
        Parameter none = new Parameter(Tensor.zeros(4));
        a.gradBuffer().data()[0] = 3f;
        a.gradBuffer().data()[1] = 0f;
        b.gradBuffer().data()[0] = 4f;
        double norm = ClipGrad.clipGradNorm(List.of(a, b, none), 10);
        assertThat(norm).isEqualTo(Math.hypot(3, 4));
        assertThat(a.grad().data()).containsExactly(3f, 0f);
        norm = ClipGrad.clipGradNorm(List.of(a, b, none), 1);
        assertThat(norm).isEqualTo(5.0);
        float coef = 1f / (5f + 1e-6f);
        assertThat(a.grad().data()).containsExactly(3f * coef, 0f);
        assertThat(b.grad().data()).containsExactly(4f * coef);
        assertThat(none.grad()).isNull();
        assertThat(ClipGrad.clipGradNorm(List.of(a, b), 100, Double.POSITIVE_INFINITY))
                .isEqualTo(4f * coef, org.assertj.core.data.Offset.offset(1e-7));
    }
}
