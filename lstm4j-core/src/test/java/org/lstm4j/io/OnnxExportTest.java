package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.lstm4j.io.OnnxProto.ModelProto;
import org.lstm4j.io.OnnxProto.NodeProto;
import org.lstm4j.io.RecurrentStack.Direction;
import org.lstm4j.io.RecurrentStack.Mode;
import org.lstm4j.tensor.Tensor;

/**
 * What the exporter writes: torch.onnx.export's node chain in each opset's form, read back here
 * as the same stack bit for bit. That ONNX Runtime computes PyTorch's numbers from these files
 * is checked in lstm4j-parity (OnnxRuntimeExportParityTest).
 */
class OnnxExportTest {

    @Property(tries = 60)
    void everyStackReadsBackBitForBit(@ForAll Mode mode, @ForAll Direction direction, @ForAll boolean bias,
                                      @ForAll @IntRange(min = 1, max = 3) int layers,
                                      @ForAll @IntRange(min = 7, max = 22) int opset, @ForAll boolean batchFirst,
                                      @ForAll boolean initialState, @ForAll @IntRange(min = 1, max = 5) int hidden)
            throws IOException {
        RecurrentStack stack = randomStack(mode, 3, hidden, layers, bias, direction, opset);
        Path file = Files.createTempFile("stack", ".onnx"); // jqwik properties get no @TempDir
        Map<String, RecurrentStack> back;
        try {
            Onnx.write(file, stack, new Onnx.ExportOptions(opset, batchFirst, initialState, "enc.rnn"));
            back = Onnx.readRecurrent(file);
        } finally {
            Files.delete(file);
        }
        assertThat(back.keySet()).containsExactly("enc.rnn.");
        RecurrentStack read = back.get("enc.rnn.");
        assertThat(read.mode()).isEqualTo(mode);
        assertThat(read.direction()).isEqualTo(direction);
        assertThat(read.numLayers()).isEqualTo(layers);
        IoFixtures.assertSameTensors(stack.parameters(), read.parameters());
    }

    @Test
    void opsetsGetTheirOwnFormOfSqueezeAndSlice() throws IOException {
        RecurrentStack stack = randomStack(Mode.LSTM, 3, 4, 2, true, Direction.FORWARD, 1);
        for (int opset : new int[] {7, 9, 10, 13, 17, 22}) {
            ModelProto model = OnnxRecurrentExport.model(stack, Onnx.ExportOptions.opset(opset).withInitialState(true));
            NodeProto squeeze = node(model, "Squeeze");
            NodeProto slice = node(model, "Slice");
            assertThat(squeeze.attribute("axes") != null).as("opset %d Squeeze axes attribute", opset).isEqualTo(opset < 13);
            assertThat(squeeze.inputs()).hasSize(opset < 13 ? 1 : 2);
            assertThat(slice.attribute("starts") != null).as("opset %d Slice attributes", opset).isEqualTo(opset < 10);
            assertThat(model.defaultOpset()).isEqualTo(opset);
            assertThat(model.irVersion()).isEqualTo(opset <= 14 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : 10);
        }
    }

    @Test
    void theGraphHasTorchsInputsOutputsAndNodeNames() throws IOException {
        RecurrentStack stack = randomStack(Mode.LSTM, 3, 4, 2, true, Direction.BIDIRECTIONAL, 2);
        ModelProto model = OnnxRecurrentExport.model(stack, Onnx.ExportOptions.opset(17).withInitialState(true)
                .withBatchFirst(true).withScope("lstm"));
        assertThat(model.graph().inputs().stream().map(OnnxProto.ValueInfoProto::name)).containsExactly("input", "h0", "c0");
        assertThat(model.graph().outputs().stream().map(OnnxProto.ValueInfoProto::name))
                .containsExactly("output", "h_n", "c_n");
        assertThat(model.graph().nodes().stream().filter(n -> n.opType().equals("LSTM")).map(NodeProto::name))
                .containsExactly("/lstm/LSTM", "/lstm/LSTM_1");
        assertThat(model.graph().outputs().get(0).shape()).containsExactly(OnnxProto.Dim.named("batch"),
                OnnxProto.Dim.named("sequence_length"), OnnxProto.Dim.of(8));
        assertThat(model.graph().outputs().get(1).shape()).containsExactly(OnnxProto.Dim.of(4),
                OnnxProto.Dim.named("batch"), OnnxProto.Dim.of(4));
        assertThat(model.graph().initializers().stream().map(OnnxProto.TensorProto::name))
                .containsExactly("l0.W", "l0.R", "l0.B", "l1.W", "l1.R", "l1.B");
    }

    @Test
    void badOptionsAreRefused() {
        assertThatThrownBy(() -> Onnx.ExportOptions.opset(6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("opset must be between 7 and 22, got 6");
        assertThatThrownBy(() -> Onnx.ExportOptions.opset(17).withScope("encoder.")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("scope is a dotted module path such as \"encoder.rnn\", got \"encoder.\"");
        Map<String, Tensor> missing = new LinkedHashMap<>(randomStack(Mode.GRU, 3, 4, 1, true, Direction.FORWARD, 3)
                .parameters());
        missing.remove("bias_hh_l0");
        missing.put("weight_hh_l0", Tensor.zeros(12, 5));
        assertThatThrownBy(() -> new RecurrentStack(Mode.GRU, 3, 4, 1, true, Direction.FORWARD, missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("GRU stack (input_size=3, hidden_size=4, num_layers=1, bias=true, direction=FORWARD):"
                        + " weight_hh_l0 has shape [12, 5], expected [12, 4]; missing bias_hh_l0");
    }

    private static NodeProto node(ModelProto model, String opType) {
        return model.graph().nodes().stream().filter(n -> n.opType().equals(opType)).findFirst().orElseThrow();
    }

    /** A stack of {@code mode} whose parameters are seeded normal values, named as RecurrentStack names them. */
    static RecurrentStack randomStack(Mode mode, int inputSize, int hidden, int layers, boolean bias,
                                      Direction direction, long seed) {
        Map<String, Tensor> parameters = new LinkedHashMap<>();
        int rows = mode.gates() * hidden;
        long s = seed;
        for (int k = 0; k < layers; k++) {
            for (int dir = 0; dir < direction.count(); dir++) {
                String suffix = "_l" + k + (dir == 1 || direction == Direction.REVERSE ? "_reverse" : "");
                int width = k == 0 ? inputSize : direction.count() * hidden;
                parameters.put("weight_ih" + suffix, Tensor.randn(s++, rows, width));
                parameters.put("weight_hh" + suffix, Tensor.randn(s++, rows, hidden));
                if (bias) {
                    parameters.put("bias_ih" + suffix, Tensor.randn(s++, rows));
                    parameters.put("bias_hh" + suffix, Tensor.randn(s++, rows));
                }
            }
        }
        return new RecurrentStack(mode, inputSize, hidden, layers, bias, direction, parameters);
    }

    @Test
    void parameterNamesFollowPytorchsOrder() {
        assertThat(randomStack(Mode.RNN_RELU, 2, 3, 2, false, Direction.BIDIRECTIONAL, 0).parameterNames())
                .isEqualTo(List.of("weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse",
                        "weight_ih_l1", "weight_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse"));
        assertThat(randomStack(Mode.LSTM, 2, 3, 1, true, Direction.REVERSE, 0).parameterNames())
                .isEqualTo(List.of("weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                        "bias_hh_l0_reverse"));
    }
}
