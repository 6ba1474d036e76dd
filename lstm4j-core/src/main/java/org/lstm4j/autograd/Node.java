package org.lstm4j.autograd;

/**
 * One entry of the tape: an op, the variables it read, the variables it made and its backward.
 * {@code sequence} is the recording order; running nodes by decreasing sequence is running the
 * tape in reverse.
 */
final class Node {
    final long sequence;
    final String name;
    final Variable[] inputs;
    Variable[] outputs;
    /** Null once run: the graph is freed by a backward pass, as PyTorch does without retain_graph. */
    BackwardFunction backward;

    Node(long sequence, String name, Variable[] inputs, BackwardFunction backward) {
        this.sequence = sequence;
        this.name = name;
        this.inputs = inputs;
        this.backward = backward;
    }
}
