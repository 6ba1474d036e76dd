package org.lstm4j.parity.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Variable;
import org.lstm4j.nn.Embedding;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Linear;
import org.lstm4j.nn.Module;
import org.lstm4j.nn.Parameter;
import org.lstm4j.nn.loss.CrossEntropyLoss;
import org.lstm4j.optim.Adam;
import org.lstm4j.optim.AdamW;
import org.lstm4j.optim.ClipGrad;
import org.lstm4j.optim.CosineAnnealingLR;
import org.lstm4j.optim.LRScheduler;
import org.lstm4j.optim.Optimizer;
import org.lstm4j.optim.SGD;
import org.lstm4j.optim.StepLR;
import org.lstm4j.parity.LibTorch;
import org.lstm4j.tensor.Tensor;

/**
 * 20 training steps of a small model (Embedding → 2-layer LSTM → Linear on h_n[-1],
 * CrossEntropyLoss) with each optimizer, in lstm4j and in libtorch, must end with the same
 * parameters (max abs diff ≤ 1e-5).
 *
 * <p>Reference: DJL does not reach libtorch's {@code torch::optim}, so the reference applies
 * PyTorch's published update rules ({@link TorchOptim}: SGD, Adam, AdamW, {@code clip_grad_norm_};
 * and the closed forms of StepLR / CosineAnnealingLR) as libtorch float32 ops to gradients computed by libtorch's autograd on a model built from libtorch ops (embedding
 * as one-hot·W, {@code torch::lstm}, matmul, log-softmax). The first step's gradients are
 * compared too (1e-4 of their largest magnitude), which covers Embedding, Linear and
 * CrossEntropyLoss backward against libtorch.
 */
class OptimizerParityTest {

    private static final int VOCAB = 7;
    private static final int EMBED = 4;
    private static final int HIDDEN = 5;
    private static final int CLASSES = 3;
    private static final int BATCH = 4;
    private static final int STEPS_IN_SEQUENCE = 6;
    private static final int TRAINING_STEPS = 20;
    /** torch.nn.LSTM(EMBED, HIDDEN, num_layers=2, batch_first=True). */
    private static final LSTM.Config LSTM_CONFIG = new LSTM.Config(EMBED, HIDDEN, 2, true, true, 0.0, false, 0);
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static final class Classifier extends Module {
        final Embedding embedding = registerModule("embedding", new Embedding(VOCAB, EMBED, 1L));
        final LSTM lstm = registerModule("lstm", new LSTM(LSTM_CONFIG, 2));
        final Linear fc = registerModule("fc", new Linear(HIDDEN, CLASSES, true, 3));

        Variable forward(int[] tokens) {
            Variable x = embedding.forward(tokens, BATCH, STEPS_IN_SEQUENCE);
            return fc.forward(lstm.forward(x, null, null).hN().select(0, -1));
        }
    }

    @Test
    void sgdWithMomentum() {
        run("SGD momentum=0.9", p -> SGD.builder(p, 0.1).momentum(0.9).build(), null, 0,
                TorchOptim.sgd(0.9, 0, 0, false));
    }

    @Test
    void sgdNesterovWithWeightDecay() {
        run("SGD nesterov wd=1e-2", p -> SGD.builder(p, 0.1).momentum(0.9).nesterov(true).weightDecay(1e-2).build(),
                null, 0, TorchOptim.sgd(0.9, 0, 1e-2, true));
    }

    @Test
    void sgdDampenedWithStepLR() {
        run("SGD momentum=0.8 dampening=0.3 + StepLR(5, 0.5)",
                p -> SGD.builder(p, 0.2).momentum(0.8).dampening(0.3).build(),
                o -> new StepLR(o, 5, 0.5), 0, TorchOptim.sgd(0.8, 0.3, 0, false));
    }

    @Test
    void adam() {
        run("Adam lr=1e-2", p -> new Adam(p, 1e-2), null, 0, TorchOptim.adam(0.9, 0.999, 1e-8, 0, false));
    }

    @Test
    void adamWithL2WeightDecayAndClipping() {
        run("Adam wd=1e-2 + clipGradNorm(0.5)", p -> Adam.builder(p).lr(1e-2).weightDecay(1e-2).build(), null, 0.5,
                TorchOptim.adam(0.9, 0.999, 1e-8, 1e-2, false));
    }

    @Test
    void adamW() {
        run("AdamW lr=1e-2", p -> new AdamW(p, 1e-2), null, 0, TorchOptim.adam(0.9, 0.999, 1e-8, 1e-2, true));
    }

    @Test
    void adamWCustomBetasWithCosineAnnealing() {
        run("AdamW betas=(0.8, 0.99) wd=0.1 + CosineAnnealingLR(8)",
                p -> AdamW.builder(p).lr(2e-2).betas(0.8, 0.99).eps(1e-6).weightDecay(0.1).build(),
                o -> new CosineAnnealingLR(o, 8, 1e-3), 0, TorchOptim.adam(0.8, 0.99, 1e-6, 0.1, true));
    }

    private static void run(String name, Function<List<Parameter>, Optimizer> optimizerFactory,
                            Function<Optimizer, LRScheduler> schedulerFactory, double clip,
                            TorchOptim.UpdateRule rule) {
        SplittableRandom random = new SplittableRandom(5);
        int[][] tokens = new int[TRAINING_STEPS][BATCH * STEPS_IN_SEQUENCE];
        int[][] targets = new int[TRAINING_STEPS][BATCH];
        for (int s = 0; s < TRAINING_STEPS; s++) {
            for (int i = 0; i < tokens[s].length; i++) {
                tokens[s][i] = random.nextInt(VOCAB);
            }
            for (int i = 0; i < BATCH; i++) {
                targets[s][i] = random.nextInt(CLASSES);
            }
        }
        Classifier model = new Classifier();
        List<Parameter> params = model.parameters();
        try (NDManager m = manager.newSubManager()) {
            NDArray[] torchParams = new NDArray[params.size()];
            for (int i = 0; i < torchParams.length; i++) {
                torchParams[i] = LibTorch.toNd(m, params.get(i).data());
            }
            Optimizer optimizer = optimizerFactory.apply(params);
            LRScheduler scheduler = schedulerFactory == null ? null : schedulerFactory.apply(optimizer);
            double baseLr = optimizer.lr();
            CrossEntropyLoss criterion = new CrossEntropyLoss();
            for (int s = 0; s < TRAINING_STEPS; s++) {
                double lr = optimizer.lr();
                assertThat(lr).isCloseTo(scheduledLr(schedulerFactory == null ? null : scheduler, baseLr, s),
                        org.assertj.core.data.Offset.offset(1e-12));
                optimizer.zeroGrad();
                criterion.forward(model.forward(tokens[s]), targets[s]).backward();
                NDArray[] grads = torchGradients(m, torchParams, tokens[s], targets[s]);
                if (s == 0) {
                    for (int i = 0; i < grads.length; i++) {
                        assertCloseRelative(name + " step-1 gradient " + i, params.get(i).grad().data(),
                                grads[i].toFloatArray(), 1e-4);
                    }
                }
                if (clip > 0) {
                    ClipGrad.clipGradNorm(params, clip);
                    grads = TorchOptim.clipGradNorm(grads, clip);
                }
                optimizer.step();
                torchParams = rule.step(torchParams, grads, s + 1, lr);
                if (scheduler != null) {
                    scheduler.step();
                }
            }
            double worst = 0;
            for (int i = 0; i < params.size(); i++) {
                worst = Math.max(worst, params.get(i).data().maxAbsDiff(
                        Tensor.of(torchParams[i].toFloatArray(), params.get(i).shape())));
            }
            System.out.printf("%-52s parameters after %d steps: maxdiff %.2e%n", name, TRAINING_STEPS, worst);
            assertThat(worst).as(name + " parameter maxdiff").isLessThanOrEqualTo(1e-5);
        }
    }

    /** The learning rate of epoch {@code s} by the schedulers' closed forms (PyTorch docs). */
    private static double scheduledLr(LRScheduler scheduler, double baseLr, int s) {
        if (scheduler instanceof StepLR) {
            return baseLr * Math.pow(0.5, s / 5);
        }
        if (scheduler instanceof CosineAnnealingLR) {
            return 1e-3 + (baseLr - 1e-3) * (1 + Math.cos(Math.PI * s / 8)) / 2;
        }
        return baseLr;
    }

    /** libtorch's gradients of the same loss at the given parameter values. */
    private static NDArray[] torchGradients(NDManager m, NDArray[] params, int[] tokens, int[] targets) {
        NDArray[] leaves = new NDArray[params.length];
        for (int i = 0; i < params.length; i++) {
            leaves[i] = LibTorch.leaf(params[i].duplicate());
        }
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            float[] oneHot = new float[tokens.length * VOCAB];
            for (int i = 0; i < tokens.length; i++) {
                oneHot[i * VOCAB + tokens[i]] = 1f;
            }
            NDArray x = m.create(oneHot, new Shape(tokens.length, VOCAB)).matMul(leaves[0])
                    .reshape(BATCH, STEPS_IN_SEQUENCE, EMBED);
            NDList weights = new NDList();
            for (int i = 1; i <= 8; i++) {
                weights.add(leaves[i]);
            }
            NDArray zeros = m.zeros(new Shape(2, BATCH, HIDDEN));
            NDArray hN = LibTorch.lstm(x, zeros, zeros, weights, LSTM_CONFIG, true).get(1);
            NDArray h = hN.get(new NDIndex("-1"));
            NDArray logits = h.matMul(leaves[9].transpose()).add(leaves[10]);
            float[] pick = new float[BATCH * CLASSES];
            for (int n = 0; n < BATCH; n++) {
                pick[n * CLASSES + targets[n]] = 1f;
            }
            NDArray loss = logits.logSoftmax(1).mul(m.create(pick, new Shape(BATCH, CLASSES))).sum().neg().div(BATCH);
            collector.backward(loss);
        }
        NDArray[] grads = new NDArray[params.length];
        for (int i = 0; i < params.length; i++) {
            grads[i] = leaves[i].getGradient().duplicate();
        }
        return grads;
    }

    private static void assertCloseRelative(String name, float[] actual, float[] expected, double tolerance) {
        double scale = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
        }
        assertThat(maxDiff).as(name + " maxdiff (max |grad| " + scale + ")").isLessThanOrEqualTo(tolerance * Math.max(scale, 1e-30));
    }
}
