package org.lstm4j.io;

import static org.lstm4j.io.OnnxProto.AttributeProto.ofFloat;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofFloats;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofInt;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofString;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofStrings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lstm4j.io.OnnxProto.AttributeProto;
import org.lstm4j.io.OnnxProto.GraphProto;
import org.lstm4j.io.OnnxProto.ModelProto;
import org.lstm4j.io.OnnxProto.NodeProto;
import org.lstm4j.io.OnnxProto.OperatorSetId;
import org.lstm4j.io.OnnxProto.TensorProto;
import org.lstm4j.tensor.Tensor;

/**
 * Reading ONNX files as weight containers: models exported by real PyTorch 1.13 give back the
 * exporting module's state dict bit for bit (gate reordering moves values, never changes them);
 * the onnx package's variants (other dtypes, typed fields, Constant nodes, external data) give
 * what numpy converts them to; what torch.nn cannot compute is refused naming the attribute.
 * Fixtures: tools/fixtures/make_onnx_fixtures.py.
 */
class OnnxImportTest {

    @ParameterizedTest
    @ValueSource(strings = {"lstm_1layer_opset9", "lstm_2layer_bidirectional_opset13", "lstm_no_bias_opset11",
        "lstm_batch_first_opset14", "lstm_3layer_state_opset12", "lstm_bidirectional_no_bias_batch_first_opset10",
        "lstm_bidirectional_state_opset16", "lstm_static_shapes_opset17", "gru_2layer_opset13",
        "gru_bidirectional_batch_first_state_opset17", "rnn_relu_opset11", "rnn_tanh_bidirectional_opset15",
        "tagger_head_opset17", "two_lstms_opset15"})
    void aTorchExportGivesBackTheModulesStateDictBitForBit(String name) throws IOException {
        StateDictFile file = StateDicts.read(IoFixtures.resource("onnx/torch/" + name + ".onnx"));
        StateDictFile expected = StateDicts.read(IoFixtures.resource("onnx/torch/" + name + ".expected.npz"));
        assertThat(file.format()).isEqualTo(FileFormat.ONNX);
        int checked = 0;
        for (Map.Entry<String, Tensor> e : expected.tensors().entrySet()) {
            if (e.getKey().startsWith("sd.")) {
                String key = e.getKey().substring(3);
                IoFixtures.assertSameValues(e.getValue(), file.tensor(key), key);
                assertThat(file.dtypes().get(key)).isEqualTo("float32");
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(2);
        String mode = name.startsWith("gru") ? "GRU" : name.startsWith("rnn_relu") ? "RNN_RELU"
                : name.startsWith("rnn") ? "RNN_TANH" : "LSTM";
        String prefix = name.startsWith("tagger") ? "encoder." : name.startsWith("two") ? "words." : "rnn.";
        assertThat(file.otherEntries()).containsEntry(prefix + "mode", mode)
                .containsEntry("onnx.producer", "pytorch 1.13.0").containsKey("onnx.opset");
        assertThat(file.otherEntries().get("onnx.opset")).isEqualTo(Long.parseLong(name.replaceAll(".*opset", "")));
    }

    @Test
    void theNodeChainOfAMultiLayerModuleIsOneStackNamedAfterTheModulePath() throws IOException {
        StateDictFile file = StateDicts.read(IoFixtures.resource("onnx/torch/lstm_3layer_state_opset12.onnx"));
        assertThat(file.otherEntries().get("rnn.onnx_nodes")).isEqualTo(List.of("/rnn/LSTM", "/rnn/LSTM_1", "/rnn/LSTM_2"));
        assertThat(file.tensors().keySet()).containsExactly("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0",
                "rnn.bias_hh_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
                "rnn.weight_ih_l2", "rnn.weight_hh_l2", "rnn.bias_ih_l2", "rnn.bias_hh_l2");
        Map<String, RecurrentStack> stacks = Onnx.readRecurrent(IoFixtures.resource("onnx/torch/two_lstms_opset15.onnx"));
        assertThat(stacks.keySet()).containsExactly("words.", "chars.");
        assertThat(stacks.get("chars.").direction()).isEqualTo(RecurrentStack.Direction.BIDIRECTIONAL);
    }

    @Test
    void aUsersModuleKeepsItsHeadNextToTheLstm() throws IOException {
        StateDictFile file = StateDicts.read(IoFixtures.resource("onnx/torch/tagger_head_opset17.onnx"));
        StateDictFile expected = StateDicts.read(IoFixtures.resource("onnx/torch/tagger_head_opset17.expected.npz"));
        for (String key : List.of("head.weight", "head.bias")) {
            IoFixtures.assertSameValues(expected.tensor(key), file.tensor(key), key);
        }
        // The initializers that became LSTM parameters are not listed a second time under their ONNX names.
        assertThat(file.tensors().keySet()).noneMatch(k -> k.startsWith("onnx::LSTM"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"float16_raw", "float16_int32_data", "bfloat16_raw", "bfloat16_int32_data", "double_raw",
        "double_double_data", "float_data", "constant_nodes", "external"})
    void everyWayOfStoringWeightsGivesNumpysFloat32(String name) throws IOException {
        StateDictFile file = StateDicts.read(IoFixtures.resource("onnx/variants/" + name + ".onnx"));
        StateDictFile expected = StateDicts.read(IoFixtures.resource("onnx/variants/" + name + ".expected.npz"));
        for (Map.Entry<String, Tensor> e : expected.tensors().entrySet()) {
            String key = "rnn." + e.getKey().substring(3);
            IoFixtures.assertSameValues(e.getValue(), file.tensor(key), key);
        }
        String dtype = name.startsWith("float16") ? "float16" : name.startsWith("bfloat16") ? "bfloat16"
                : name.startsWith("double") ? "float64" : "float32";
        assertThat(file.dtypes().get("rnn.weight_ih_l0")).isEqualTo(dtype);
    }

    @Test
    void weightsComputedInTheGraphAreRefusedWithHowToReExport() {
        assertThatThrownBy(() -> StateDicts.read(IoFixtures.resource("onnx/torch/lstm_unfolded_opset13.onnx")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("lstm_unfolded_opset13.onnx: LSTM node '/rnn/LSTM': input W")
                .hasMessageContaining("is computed by a Unsqueeze node")
                .hasMessageContaining("do_constant_folding=True");
    }

    @Test
    void whatTorchNnCannotComputeIsRefusedNamingTheAttribute() throws IOException {
        ModelProto lstm = model("onnx/torch/lstm_1layer_opset9.onnx");
        assertRefused(withAttribute(lstm, ofFloat("clip", 3f)), "LSTM node '/rnn/LSTM': attribute clip=3.0 is not supported");
        assertRefused(withAttribute(lstm, ofInt("input_forget", 1)), "attribute input_forget=1");
        assertRefused(withAttribute(lstm, ofStrings("activations", List.of("Sigmoid", "Tanh", "Relu"))),
                "attribute activations=[Sigmoid, Tanh, Relu] is not supported: torch.nn.LSTM uses [Sigmoid, Tanh, Tanh]");
        assertRefused(withAttribute(lstm, ofStrings("activations", List.of("Sigmoid", "Tanh"))),
                "attribute activations has 2 entries, expected 3");
        assertRefused(withAttribute(lstm, ofFloats("activation_alpha", 0.5f)), "attribute activation_alpha is not supported");
        assertRefused(withAttribute(lstm, ofString("direction", "sideways")), "attribute direction='sideways'");
        assertRefused(withAttribute(lstm, ofInt("hidden_size", 7)), "attribute hidden_size=7 but R has shape [1, 24, 6]");
        assertRefused(withAttribute(lstm, ofInt("layout", 1)), "unknown attribute 'layout' (opset 9's LSTM has");
        assertRefused(withAttribute(lstm, ofString("hidden_size", "6")), "attribute hidden_size has type 3, expected 2");
        assertRefused(withOpset(lstm, 6), "the model imports ONNX opset 6; lstm4j reads recurrent nodes of opsets 7 to 22");
        assertRefused(withOpset(lstm, 23), "opset 23");

        ModelProto gru = model("onnx/torch/gru_2layer_opset13.onnx");
        assertRefused(withAttribute(gru, ofInt("linear_before_reset", 0)),
                "GRU node '/rnn/GRU': attribute linear_before_reset=0 is not supported: torch.nn.GRU computes");
        ModelProto rnn = model("onnx/torch/rnn_tanh_bidirectional_opset15.onnx");
        assertRefused(withAttribute(rnn, ofStrings("activations", List.of("Tanh", "Relu"))),
                "attribute activations=[Tanh, Relu] is not supported: torch.nn.RNN has one nonlinearity");
    }

    @Test
    void attributesThatLeaveTheWeightsAloneAreAccepted() throws IOException {
        ModelProto lstm = model("onnx/torch/lstm_batch_first_opset14.onnx");
        Map<String, Tensor> plain = read(lstm).tensors();
        IoFixtures.assertSameTensors(plain, read(withAttribute(lstm, ofInt("layout", 1))).tensors());
        IoFixtures.assertSameTensors(plain, read(withAttribute(lstm, ofInt("input_forget", 0))).tensors());
        IoFixtures.assertSameTensors(plain, read(withAttribute(lstm,
                ofStrings("activations", List.of("sigmoid", "TANH", "Tanh")))).tensors());
        ModelProto noHiddenSize = changeLstm(lstm, n -> new NodeProto(n.inputs(), n.outputs(), n.name(), n.opType(),
                n.domain(), n.attributes().stream().filter(a -> !a.name().equals("hidden_size")).toList()));
        IoFixtures.assertSameTensors(plain, read(noHiddenSize).tensors());
    }

    @Test
    void aReverseNodeGivesWeightsNamedForTheBackwardDirection() throws IOException {
        ModelProto lstm = model("onnx/torch/lstm_1layer_opset9.onnx");
        Map<String, Tensor> forward = read(lstm).tensors();
        Map<String, Tensor> reverse = read(withAttribute(lstm, ofString("direction", "reverse"))).tensors();
        assertThat(reverse.keySet()).containsExactly("rnn.weight_ih_l0_reverse", "rnn.weight_hh_l0_reverse",
                "rnn.bias_ih_l0_reverse", "rnn.bias_hh_l0_reverse");
        forward.forEach((key, value) -> IoFixtures.assertSameValues(value, reverse.get(key + "_reverse"), key));
        // torch.nn has no argument for it; lstm4j loads it as a module with direction REVERSE
        org.lstm4j.nn.LSTM loaded = org.lstm4j.nn.LSTM.fromStateDict(reverse);
        assertThat(loaded.config().direction()).isEqualTo(org.lstm4j.nn.RNNBase.Direction.REVERSE);
        forward.forEach((key, value) -> IoFixtures.assertSameValues(value,
                loaded.stateDict().get(key.substring("rnn.".length()) + "_reverse"), key));
    }

    @Test
    void peepholesAndConstantStatesAreAcceptedOnlyWhenZero() throws IOException {
        ModelProto lstm = model("onnx/torch/lstm_1layer_opset9.onnx");
        StateDictFile plain = read(lstm);
        // P (D, 3H), initial_h and initial_c (D, N, H) as initializers.
        ModelProto zeros = withInputs(lstm, List.of(TensorProto.ofFloats("h", new long[] {1, 3, 6}, new float[18]),
                TensorProto.ofFloats("c", new long[] {1, 3, 6}, new float[18]),
                TensorProto.ofFloats("p", new long[] {1, 18}, new float[18])), "", "h", "c", "p");
        IoFixtures.assertSameTensors(plain.tensors(), read(zeros).tensors());

        float[] one = new float[18];
        one[5] = 1;
        assertRefused(withInputs(lstm, List.of(TensorProto.ofFloats("p", new long[] {1, 18}, one)), "", "", "", "p"),
                "input P (peephole weights) is a non-zero constant; lstm4j reads the recurrent weights only and"
                        + " torch.nn.LSTM has no peepholes");
        assertRefused(withInputs(lstm, List.of(TensorProto.ofFloats("h", new long[] {1, 3, 6}, one)), "", "h"),
                "input initial_h is a non-zero constant");
        assertRefused(withInputs(lstm, List.of(TensorProto.ofLongs("len", new long[] {3}, new long[] {5, 5, 5})), "len"),
                "input sequence_lens is a constant; lstm4j takes sequence lengths at run time");
    }

    @Test
    void aMissingOrWronglyShapedWeightIsRefused() throws IOException {
        ModelProto lstm = model("onnx/torch/lstm_1layer_opset9.onnx");
        assertRefused(changeLstm(lstm, n -> new NodeProto(List.of(n.input(0), "", n.input(2)), n.outputs(), n.name(),
                n.opType(), n.domain(), n.attributes())), "input W is empty; it is required");
        assertRefused(changeLstm(lstm, n -> new NodeProto(List.of(n.input(0), n.input(3), n.input(2), n.input(3)),
                n.outputs(), n.name(), n.opType(), n.domain(), n.attributes())),
                "W has shape [1, 48], expected (1, 24, input_size)");
        assertRefused(changeLstm(lstm, n -> new NodeProto(List.of(n.input(0), n.input(1), "graph_input"), n.outputs(),
                n.name(), n.opType(), n.domain(), n.attributes())), "input R ('graph_input') is a graph input without an"
                + " initializer");
    }

    // ---- helpers: edit a decoded fixture, write it, read it back ----------------------------

    static ModelProto model(String resource) throws IOException {
        byte[] bytes = IoFixtures.bytes(resource);
        return OnnxProto.decodeModel(Protobuf.Reader.of(bytes, resource));
    }

    static StateDictFile read(ModelProto model) throws IOException {
        return ByteSource.guard(ByteSource.of(OnnxProto.encode(model), "edited.onnx"), src -> StateDicts.read(src, "x"));
    }

    static void assertRefused(ModelProto model, String message) {
        assertThatThrownBy(() -> read(model)).isInstanceOf(IOException.class).hasMessageStartingWith("edited.onnx: ")
                .hasMessageContaining(message);
    }

    static ModelProto changeLstm(ModelProto model, UnaryOperator<NodeProto> change) {
        GraphProto g = model.graph();
        List<NodeProto> nodes = g.nodes().stream()
                .map(n -> List.of("LSTM", "GRU", "RNN").contains(n.opType()) ? change.apply(n) : n).toList();
        return withGraph(model, new GraphProto(g.name(), nodes, g.initializers(), g.inputs(), g.outputs()));
    }

    static ModelProto withGraph(ModelProto m, GraphProto g) {
        return new ModelProto(m.irVersion(), m.opsetImports(), m.producerName(), m.producerVersion(), g, m.metadataProps());
    }

    static ModelProto withAttribute(ModelProto model, AttributeProto attribute) {
        return changeLstm(model, n -> {
            List<AttributeProto> attributes = new ArrayList<>(n.attributes());
            attributes.removeIf(a -> a.name().equals(attribute.name()));
            attributes.add(attribute);
            return new NodeProto(n.inputs(), n.outputs(), n.name(), n.opType(), n.domain(), attributes);
        });
    }

    static ModelProto withOpset(ModelProto m, long opset) {
        return new ModelProto(m.irVersion(), List.of(new OperatorSetId("", opset)), m.producerName(), m.producerVersion(),
                m.graph(), m.metadataProps());
    }

    /** Adds {@code initializers} and sets the node's inputs 4, 5, ... to {@code names}. */
    static ModelProto withInputs(ModelProto model, List<TensorProto> initializers, String... names) {
        ModelProto changed = changeLstm(model, n -> {
            List<String> inputs = new ArrayList<>(n.inputs());
            while (inputs.size() < 4 + names.length) {
                inputs.add("");
            }
            for (int i = 0; i < names.length; i++) {
                inputs.set(4 + i, names[i]);
            }
            return new NodeProto(inputs, n.outputs(), n.name(), n.opType(), n.domain(), n.attributes());
        });
        GraphProto g = changed.graph();
        List<TensorProto> all = new ArrayList<>(g.initializers());
        all.addAll(initializers);
        return withGraph(changed, new GraphProto(g.name(), g.nodes(), all, g.inputs(), g.outputs()));
    }
}
