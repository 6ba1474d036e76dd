package org.lstm4j.parity.training;

import ai.djl.ndarray.NDArray;

/**
 * The reference optimizers of the training parity tests: PyTorch's published update rules
 * ({@code torch/optim/sgd.py}, {@code adam.py}, {@code adamw.py}) and
 * {@code torch.nn.utils.clip_grad_norm_}, applied as libtorch float32 ops. DJL does not reach
 * libtorch's {@code torch::optim}, so this is how the tests get an optimizer lstm4j's code does
 * not run in. Public for the parity tests in other packages (charlm).
 *
 * <pre>{@code
 * TorchOptim.UpdateRule adam = TorchOptim.adam(0.9, 0.999, 1e-8, 0, false);
 * params = adam.step(params, TorchOptim.clipGradNorm(grads, 1.0), step, 2e-3);
 * }</pre>
 */
public final class TorchOptim {

    private TorchOptim() {
    }

    /** One optimizer step: new parameter values from the current ones and their gradients. */
    public interface UpdateRule {
        /**
         * @param step 1 for the first step (Adam's bias corrections count from 1)
         * @return the updated parameters, in the order given
         */
        NDArray[] step(NDArray[] params, NDArray[] grads, int step, double lr);
    }

    /** torch.optim.SGD's {@code _single_tensor_sgd}. Keeps its momentum buffers between steps. */
    public static UpdateRule sgd(double momentum, double dampening, double weightDecay, boolean nesterov) {
        NDArray[][] buffers = new NDArray[1][];
        return (params, grads, step, lr) -> {
            if (buffers[0] == null) {
                buffers[0] = new NDArray[params.length];
            }
            NDArray[] out = new NDArray[params.length];
            for (int i = 0; i < params.length; i++) {
                NDArray g = weightDecay != 0 ? grads[i].add(params[i].mul(weightDecay)) : grads[i];
                if (momentum != 0) {
                    NDArray buf = buffers[0][i] == null ? g.duplicate()
                            : buffers[0][i].mul(momentum).add(g.mul(1 - dampening));
                    buffers[0][i] = buf;
                    g = nesterov ? g.add(buf.mul(momentum)) : buf;
                }
                out[i] = params[i].add(g.mul(-lr));
            }
            return out;
        };
    }

    /**
     * torch.optim.Adam / AdamW's {@code _single_tensor_adam} (amsgrad off); {@code decoupled}
     * selects AdamW's weight decay. Keeps exp_avg and exp_avg_sq between steps.
     */
    public static UpdateRule adam(double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        NDArray[][] moments = new NDArray[2][];
        return (params, grads, step, lr) -> {
            if (moments[0] == null) {
                moments[0] = new NDArray[params.length];
                moments[1] = new NDArray[params.length];
                for (int i = 0; i < params.length; i++) {
                    moments[0][i] = params[i].zerosLike();
                    moments[1][i] = params[i].zerosLike();
                }
            }
            NDArray[] out = new NDArray[params.length];
            for (int i = 0; i < params.length; i++) {
                NDArray p = params[i];
                NDArray g = grads[i];
                if (weightDecay != 0) {
                    if (decoupled) {
                        p = p.mul(1 - lr * weightDecay);
                    } else {
                        g = g.add(p.mul(weightDecay));
                    }
                }
                NDArray mNew = moments[0][i].add(g.sub(moments[0][i]).mul(1 - beta1)); // lerp, weight < 0.5
                NDArray vNew = moments[1][i].mul(beta2).add(g.mul(1 - beta2).mul(g));
                moments[0][i] = mNew;
                moments[1][i] = vNew;
                double bc1 = 1 - Math.pow(beta1, step);
                double bc2 = 1 - Math.pow(beta2, step);
                NDArray denom = vNew.sqrt().div(Math.sqrt(bc2)).add(eps);
                out[i] = p.add(mNew.mul(-lr / bc1).div(denom));
            }
            return out;
        };
    }

    /** clip_grad_norm_: total = ‖(‖g_i‖)‖, coef = clamp(max / (total + 1e-6), max=1), g_i·coef. */
    public static NDArray[] clipGradNorm(NDArray[] grads, double maxNorm) {
        NDArray total = null;
        for (NDArray g : grads) {
            NDArray sq = g.square().sum().sqrt().square();
            total = total == null ? sq : total.add(sq);
        }
        float norm = total.sqrt().getFloat();
        float coef = Math.min(1f, (float) maxNorm / (norm + 1e-6f));
        NDArray[] out = new NDArray[grads.length];
        for (int i = 0; i < grads.length; i++) {
            out[i] = grads[i].mul(coef);
        }
        return out;
    }
}
