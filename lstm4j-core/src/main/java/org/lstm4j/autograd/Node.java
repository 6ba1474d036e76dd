package org.lstm4j.autograd;

import org.lstm4j.tensor.Tensor;

/**
 * One entry of the tape: an op, the variables it read, the variables it made, the tensors its
 * backward will read (with their versions at recording time) and its backward. {@code sequence}
 * is the recording order; running nodes by decreasing sequence is running the tape in reverse.
 */
final class Node {
    final long sequence;
    final String name;
    final Variable[] inputs;
    Variable[] outputs;
    private final Tensor[] saved;
    private final int[] savedVersions;
    /** Null once run: the graph is freed by a backward pass, as PyTorch does without retain_graph. */
    BackwardFunction backward;

    Node(long sequence, String name, Variable[] inputs, Tensor[] saved, BackwardFunction backward) {
        this.sequence = sequence;
        this.name = name;
        this.inputs = inputs;
        this.saved = saved.clone();
        this.savedVersions = new int[saved.length];
        for (int k = 0; k < saved.length; k++) {
            savedVersions[k] = saved[k] == null ? 0 : saved[k].version();
        }
        this.backward = backward;
    }

    /**
     * Refuses to compute gradients from values changed in place since the forward pass (they
     * would be silently wrong), with PyTorch's message.
     */
    void checkSavedVersions() {
        for (int k = 0; k < saved.length; k++) {
            if (saved[k] != null && saved[k].version() != savedVersions[k]) {
                throw new IllegalStateException("one of the variables needed for gradient computation has been"
                        + " modified by an inplace operation: [torch.FloatTensor " + saved[k].shapeString()
                        + "] is at version " + saved[k].version() + "; expected version " + savedVersions[k]
                        + " instead. Hint: it was read by " + name + " in the forward pass; run the forward pass"
                        + " again after changing it");
            }
        }
    }
}
