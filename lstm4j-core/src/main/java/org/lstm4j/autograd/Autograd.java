package org.lstm4j.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.lstm4j.tensor.Tensor;

/**
 * The tape behind {@link Variable#backward()}: ops record themselves here as they run, and a
 * backward pass replays the recorded ops that lead to the loss in reverse order.
 *
 * <p>Ops are coarse and fused (a whole LSTM, a Linear layer, a loss), each with an explicit
 * backward, so the tape stays short. Recording is on by default; inside {@link #noGrad()}
 * nothing is recorded and no gradient buffer is allocated:
 *
 * <pre>{@code
 * Variable logits = Autograd.noGrad(() -> model.forward(x));   // with torch.no_grad(): ...
 *
 * try (Autograd.NoGrad block = Autograd.noGrad()) {            // the block form, for several statements
 *     ...
 * }
 * }</pre>
 *
 * <p>Grad mode is per thread. A graph is freed by the backward pass that runs it; running it a
 * second time is an error, as in PyTorch without {@code retain_graph}.
 */
public final class Autograd {

    private static final ThreadLocal<int[]> NO_GRAD_DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private Autograd() {
    }

    /** A {@code torch.no_grad()} block; close it (try-with-resources) to restore recording. */
    public static final class NoGrad implements AutoCloseable {
        private boolean closed;

        private NoGrad() {
            NO_GRAD_DEPTH.get()[0]++;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                NO_GRAD_DEPTH.get()[0]--;
            }
        }
    }

    /** Stops recording on this thread until the returned block is closed. Blocks nest. */
    public static NoGrad noGrad() {
        return new NoGrad();
    }

    /** Runs {@code body} with recording off on this thread and returns its result. */
    public static <T> T noGrad(Supplier<T> body) {
        NoGrad block = noGrad();
        try {
            return body.get();
        } finally {
            block.close();
        }
    }

    /** True unless this thread is inside a {@link #noGrad()} block. */
    public static boolean isGradEnabled() {
        return NO_GRAD_DEPTH.get()[0] == 0;
    }

    /**
     * Records an op that produced {@code outputs} from {@code inputs} and returns the outputs as
     * variables. They require grad, and the op is recorded, when grad mode is on and either an
     * input requires grad or {@code hasParameters} (the op writes parameter gradients). Otherwise
     * nothing is recorded and the outputs are constants.
     *
     * <p>{@code saved} are the tensors the backward will read (an input's value, a weight): their
     * {@link Tensor#version()} is noted now, and the backward refuses to run if any of them was
     * changed in place since, as PyTorch's saved variables do.
     *
     * @param inputs may contain nulls (optional inputs such as h0)
     * @param saved  may contain nulls
     */
    public static Variable[] record(String name, Variable[] inputs, Tensor[] saved, boolean hasParameters,
                                    Tensor[] outputs, BackwardFunction backward) {
        boolean needsGrad = hasParameters;
        for (Variable in : inputs) {
            needsGrad |= in != null && in.requiresGrad();
        }
        Variable[] result = new Variable[outputs.length];
        if (!needsGrad || !isGradEnabled()) {
            for (int k = 0; k < outputs.length; k++) {
                result[k] = Variable.of(outputs[k]);
            }
            return result;
        }
        Node node = new Node(SEQUENCE.incrementAndGet(), name, inputs.clone(), saved, backward);
        for (int k = 0; k < outputs.length; k++) {
            result[k] = new Variable(outputs[k], true, node);
        }
        node.outputs = result;
        return result;
    }

    /** {@link #record(String, Variable[], Tensor[], boolean, Tensor[], BackwardFunction)} for a single output. */
    public static Variable record(String name, Variable[] inputs, Tensor[] saved, boolean hasParameters,
                                  Tensor output, BackwardFunction backward) {
        return record(name, inputs, saved, hasParameters, new Tensor[] {output}, backward)[0];
    }

    /** An op whose backward reads none of its inputs' values (add, sum, reshape, ...). */
    public static Variable record(String name, Variable[] inputs, boolean hasParameters, Tensor output,
                                  BackwardFunction backward) {
        return record(name, inputs, new Tensor[0], hasParameters, output, backward);
    }

    /** Seeds {@code root} with {@code gradient} and runs every recorded op it depends on, last first. */
    static void backward(Variable root, Tensor gradient) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("element 0 of tensors does not require grad and does not have a grad_fn");
        }
        if (!java.util.Arrays.equals(root.shape(), gradient.shape())) {
            throw new IllegalArgumentException("Mismatch in shape: grad_output[0] has a shape of "
                    + gradient.shapeString() + " and output[0] has a shape of " + root.value().shapeString() + ".");
        }
        root.accumulateGrad(gradient);
        if (root.creator == null) {
            return;
        }
        for (Node node : reachable(root.creator)) {
            if (node.backward == null) {
                throw new IllegalStateException("Trying to backward through the graph a second time (" + node.name
                        + "); the graph is freed by the first backward pass");
            }
            Tensor[] outputGrads = new Tensor[node.outputs.length];
            for (int k = 0; k < outputGrads.length; k++) {
                outputGrads[k] = node.outputs[k].grad();
            }
            Tensor[] inputGrads = new Tensor[node.inputs.length];
            for (int k = 0; k < inputGrads.length; k++) {
                Variable in = node.inputs[k];
                inputGrads[k] = in != null && in.requiresGrad() ? in.gradBuffer() : null;
            }
            boolean reached = false;
            for (Tensor g : outputGrads) {
                reached |= g != null;
            }
            if (reached) {
                node.checkSavedVersions();
                node.backward.backward(outputGrads, inputGrads);
            }
            node.backward = null;
            for (Variable out : node.outputs) {
                out.releaseGrad();
            }
        }
    }

    /** The nodes {@code start} depends on (itself included), latest recorded first. */
    private static List<Node> reachable(Node start) {
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        Deque<Node> pending = new ArrayDeque<>();
        List<Node> nodes = new ArrayList<>();
        pending.push(start);
        seen.put(start, Boolean.TRUE);
        while (!pending.isEmpty()) {
            Node node = pending.pop();
            nodes.add(node);
            for (Variable in : node.inputs) {
                if (in != null && in.creator != null && seen.put(in.creator, Boolean.TRUE) == null) {
                    pending.push(in.creator);
                }
            }
        }
        nodes.sort(Collections.reverseOrder(Comparator.comparingLong((Node n) -> n.sequence)));
        return nodes;
    }
}
