package org.lstm4j.parity;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * Checks the reference before trusting it: {@code torch::lstm} as {@link LibTorch} calls it
 * (flat-weights order, projections inferred from h0/c0 sizes, h_n layout, batch_first) must agree
 * with the LSTM equations composed step by step from libtorch's own matmul / sigmoid / tanh.
 * lstm4j is not involved; only its state-dict naming is used to hold random weights.
 */
class LibTorchReferenceTest {

    @RegisterExtension
    static final LibTorch torch = new LibTorch(); // opened here, closed after all tests of this class

    @Test
    void torchLstmMatchesOpByOpWithoutProjection() {
        check(LSTM.builder(5, 7).numLayers(2).bidirectional(true).seed(1).build(), 6, 3);
    }

    @Test
    void torchLstmMatchesOpByOpWithProjection() {
        check(LSTM.builder(5, 9).numLayers(2).bidirectional(true).projSize(4).seed(2).build(), 6, 3);
    }

    @Test
    void torchLstmMatchesOpByOpWithoutBias() {
        check(LSTM.builder(3, 6).numLayers(3).bias(false).projSize(2).seed(3).build(), 4, 2);
    }

    @Test
    void batchFirstOutputIsTheTransposedTimeMajorOutput() {
        LSTM timeMajor = LSTM.builder(4, 5).bidirectional(true).seed(4).build();
        LSTM batchFirst = LSTM.builder(4, 5).bidirectional(true).batchFirst(true).seed(4).build();
        Tensor x = Tensor.randn(40, 6, 3, 4); // (L, N, H_in)
        LSTM.Output a = torch.lstm(timeMajor.config(), timeMajor.stateDict(), x, null, null, false);
        LSTM.Output b = torch.lstm(batchFirst.config(), batchFirst.stateDict(), x.transpose(0, 1), null, null, false);
        assertThat(b.output()).isEqualTo(a.output().transpose(0, 1));
        assertThat(b.hN()).isEqualTo(a.hN());
        assertThat(b.cN()).isEqualTo(a.cN());
    }

    private static void check(LSTM lstm, int steps, int batch) {
        LSTM.Config config = lstm.config();
        int rows = config.numDirections() * config.numLayers();
        Tensor x = Tensor.randn(10, steps, batch, config.inputSize());
        Tensor h0 = Tensor.randn(11, rows, batch, config.outputSize());
        Tensor c0 = Tensor.randn(12, rows, batch, config.hiddenSize());
        LSTM.Output viaTorchLstm = torch.lstm(config, lstm.stateDict(), x, h0, c0, false);
        LSTM.Output viaOps;
        try (NDManager m = torch.manager().newSubManager()) {
            viaOps = opByOp(m, config, lstm.stateDict(), x, h0, c0);
        }
        float maxdiff = Math.max(viaTorchLstm.output().maxAbsDiff(viaOps.output()),
                Math.max(viaTorchLstm.hN().maxAbsDiff(viaOps.hN()), viaTorchLstm.cN().maxAbsDiff(viaOps.cN())));
        System.out.printf("torch::lstm vs op-by-op %s: maxdiff %.3e%n", lstm, maxdiff);
        assertThat(maxdiff).isLessThanOrEqualTo(1e-5f);
    }

    /** The stacked (bi)LSTM with projections, time-major, one libtorch op at a time. */
    private static LSTM.Output opByOp(NDManager m, LSTM.Config config, Map<String, Tensor> sd, Tensor input,
                                      Tensor h0, Tensor c0) {
        int steps = input.size(0);
        int d = config.numDirections();
        NDArray layerInput = LibTorch.toNd(m, input);
        NDArray hAll = LibTorch.toNd(m, h0);
        NDArray cAll = LibTorch.toNd(m, c0);
        List<NDArray> hN = new ArrayList<>();
        List<NDArray> cN = new ArrayList<>();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            NDArray[] directionOutputs = new NDArray[d];
            for (int dir = 0; dir < d; dir++) {
                String suffix = "_l" + layer + (dir == 1 ? "_reverse" : "");
                NDArray wIh = LibTorch.toNd(m, sd.get("weight_ih" + suffix));
                NDArray wHh = LibTorch.toNd(m, sd.get("weight_hh" + suffix));
                NDArray bIh = config.bias() ? LibTorch.toNd(m, sd.get("bias_ih" + suffix)) : null;
                NDArray bHh = config.bias() ? LibTorch.toNd(m, sd.get("bias_hh" + suffix)) : null;
                NDArray wHr = config.projSize() > 0 ? LibTorch.toNd(m, sd.get("weight_hr" + suffix)) : null;
                NDArray h = hAll.get(layer * d + dir);
                NDArray c = cAll.get(layer * d + dir);
                NDArray[] perStep = new NDArray[steps];
                for (int s = 0; s < steps; s++) {
                    int t = dir == 1 ? steps - 1 - s : s;
                    NDList next = LibTorch.lstmCell(layerInput.get(t), h, c, wIh, wHh, bIh, bHh);
                    h = wHr == null ? next.get(0) : next.get(0).matMul(wHr.transpose());
                    c = next.get(1);
                    perStep[t] = h;
                }
                directionOutputs[dir] = NDArrays.stack(new NDList(perStep));
                hN.add(h);
                cN.add(c);
            }
            layerInput = d == 1 ? directionOutputs[0] : directionOutputs[0].concat(directionOutputs[1], 2);
        }
        return new LSTM.Output(LibTorch.toTensor(layerInput), LibTorch.toTensor(NDArrays.stack(new NDList(hN))),
                LibTorch.toTensor(NDArrays.stack(new NDList(cN))));
    }
}
