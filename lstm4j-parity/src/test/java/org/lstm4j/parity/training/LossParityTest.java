package org.lstm4j.parity.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Variable;
import org.lstm4j.nn.loss.BCEWithLogitsLoss;
import org.lstm4j.nn.loss.CrossEntropyLoss;
import org.lstm4j.nn.loss.MSELoss;
import org.lstm4j.nn.loss.Reduction;
import org.lstm4j.parity.LibTorch;
import org.lstm4j.tensor.Tensor;

/**
 * Loss values and input gradients against libtorch, the reference composed from libtorch ops
 * by each loss's definition (DJL exposes no {@code cross_entropy} / {@code binary_cross_entropy_with_logits}
 * with PyTorch's arguments): cross-entropy = −Σ one-hot ⊙ log_softmax over the class dim,
 * masked where the target is ignored, mean over the rest; BCE = −(y·log σ(x) + (1−y)·log(1 − σ(x)));
 * MSE = (x − y)². Gradients come from libtorch's autograd. Tolerance: 1e-5 relative.
 */
class LossParityTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static void compare(String name, Tensor x, Function<Variable, Variable> lstm4j,
                                Function<NDArray, NDArray> torch) {
        Variable xv = Variable.requiringGrad(x);
        Variable loss = lstm4j.apply(xv);
        loss.backward();
        try (NDManager m = manager.newSubManager()) {
            NDArray leaf = LibTorch.leaf(LibTorch.toNd(m, x));
            float value;
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray ref = torch.apply(leaf);
                value = ref.getFloat();
                collector.backward(ref);
            }
            float[] grad = leaf.getGradient().toFloatArray();
            double valueDiff = Math.abs(loss.item() - value);
            double gradDiff = 0;
            double scale = 0;
            for (int i = 0; i < grad.length; i++) {
                gradDiff = Math.max(gradDiff, Math.abs(xv.grad().data()[i] - grad[i]));
                scale = Math.max(scale, Math.abs(grad[i]));
            }
            System.out.printf("%-28s value maxdiff %.2e (|value| %.3f), grad maxdiff %.2e (max|grad| %.2e)%n", name,
                    valueDiff, Math.abs(value), gradDiff, scale);
            assertThat(valueDiff).as(name + " value").isLessThanOrEqualTo(1e-5 * Math.max(1, Math.abs(value)));
            assertThat(gradDiff).as(name + " grad").isLessThanOrEqualTo(1e-5 * Math.max(scale, 1e-30));
        }
    }

    /** −Σ picked log_softmax(x, 1) over non-ignored positions, / count (mean) or not (sum). */
    private static NDArray crossEntropy(NDArray logits, int classes, int inner, int[] targets, int ignore,
                                        boolean mean) {
        int batch = targets.length / inner;
        float[] pick = new float[batch * classes * inner];
        int counted = 0;
        for (int n = 0; n < batch; n++) {
            for (int k = 0; k < inner; k++) {
                int t = targets[n * inner + k];
                if (t != ignore) {
                    pick[(n * classes + t) * inner + k] = 1f;
                    counted++;
                }
            }
        }
        NDArray picked = logits.logSoftmax(1).mul(logits.getManager().create(pick, logits.getShape())).sum().neg();
        return mean ? picked.div(counted) : picked;
    }

    @Test
    void crossEntropyMatchesLibtorch() {
        Tensor logits = Tensor.randn(1, 6, 5);
        int[] targets = {0, 4, 2, 2, 1, 3};
        compare("CE (N, C) mean", logits, v -> new CrossEntropyLoss().forward(v, targets),
                x -> crossEntropy(x, 5, 1, targets, -100, true));
        compare("CE (N, C) sum", logits, v -> new CrossEntropyLoss(Reduction.SUM, -100).forward(v, targets),
                x -> crossEntropy(x, 5, 1, targets, -100, false));
        Tensor seq = Tensor.randn(2, 3, 4, 5); // (N=3, C=4, L=5)
        int[] seqTargets = {1, 0, 3, 9, 2, 2, 9, 0, 3, 1, 1, 9, 0, 2, 3};
        compare("CE (N, C, L) ignore mean", seq, v -> new CrossEntropyLoss(Reduction.MEAN, 9).forward(v, seqTargets),
                x -> crossEntropy(x, 4, 5, seqTargets, 9, true));
        Tensor large = Tensor.randn(3, 4, 7);
        float[] values = large.data();
        for (int i = 0; i < values.length; i++) {
            values[i] *= 40f; // saturated softmax: exp would overflow without the max shift
        }
        int[] largeTargets = {6, 0, 3, 5};
        compare("CE large logits", large, v -> new CrossEntropyLoss().forward(v, largeTargets),
                x -> crossEntropy(x, 7, 1, largeTargets, -100, true));
    }

    @Test
    void bceWithLogitsMatchesLibtorch() {
        Tensor logits = Tensor.randn(4, 5, 3);
        Tensor labels = Tensor.uniform(5, 0f, 1f, 5, 3);
        compare("BCEWithLogits mean", logits, v -> new BCEWithLogitsLoss().forward(v, labels),
                x -> bce(x, labels).mean());
        compare("BCEWithLogits sum", logits, v -> new BCEWithLogitsLoss(Reduction.SUM).forward(v, labels),
                x -> bce(x, labels).sum());
    }

    private static NDArray bce(NDArray x, Tensor labels) {
        NDArray y = LibTorch.toNd(x.getManager(), labels);
        NDArray p = x.getNDArrayInternal().sigmoid();
        return y.mul(p.log()).add(y.neg().add(1).mul(p.neg().add(1).log())).neg();
    }

    @Test
    void mseMatchesLibtorch() {
        Tensor x = Tensor.randn(6, 4, 3, 2);
        Tensor target = Tensor.randn(7, 4, 3, 2);
        compare("MSE mean", x, v -> new MSELoss().forward(v, target),
                a -> a.sub(LibTorch.toNd(a.getManager(), target)).square().mean());
        compare("MSE sum", x, v -> new MSELoss(Reduction.SUM).forward(v, target),
                a -> a.sub(LibTorch.toNd(a.getManager(), target)).square().sum());
    }
}
