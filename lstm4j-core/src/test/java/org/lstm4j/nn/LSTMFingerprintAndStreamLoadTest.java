package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.lstm4j.io.RecurrentStateCodec;
import org.lstm4j.io.StateDicts;
import org.lstm4j.tensor.Tensor;

/**
 * LSTM.fingerprint() against the same SHA-256 computed by PyTorch 1.13.1 from the documented byte
 * layout (tools/fixtures/make_fingerprint_fixtures.py), loading from bytes and streams, and an
 * LSTMState through RecurrentStateCodec.
 */
class LSTMFingerprintAndStreamLoadTest {

    private static Path checkpoint(String name) {
        try {
            return Path.of(LSTMFingerprintAndStreamLoadTest.class.getResource("/io/checkpoints/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @CsvSource({"wind_lstm_3layer.pt", "wind_bilstm_1layer.pt", "wind_glstm_3stack.pth"})
    void fingerprintEqualsTheOnePytorchsTensorsGive(String name) throws IOException {
        String[] expected = Files.readString(checkpoint(name + ".fingerprint.txt"), StandardCharsets.US_ASCII).strip()
                .split(" ");
        LSTM lstm = LSTM.load(checkpoint(name), expected[0]);
        assertThat(HexFormat.of().formatHex(lstm.fingerprint())).isEqualTo(expected[1]);
        assertThat(lstm.withBatchFirst(true).fingerprint()).isEqualTo(lstm.fingerprint());
    }

    @Test
    void fingerprintMovesWithOneBitOfOneParameterAndWithTheConfiguration() {
        LSTM a = LSTM.builder(3, 4).numLayers(2).seed(1).build();
        LSTM b = LSTM.builder(3, 4).numLayers(2).seed(1).build();
        assertThat(a.fingerprint()).isEqualTo(b.fingerprint());
        Parameter p = b.namedParameters().get("bias_hh_l1");
        p.data().data()[3] = Float.intBitsToFloat(Float.floatToRawIntBits(p.data().data()[3]) ^ 1);
        p.markChanged();
        assertThat(b.fingerprint()).isNotEqualTo(a.fingerprint());
        // Another configuration from the same seed: another model.
        LSTM c = LSTM.builder(3, 4).seed(1).build();
        assertThat(c.fingerprint()).isNotEqualTo(a.fingerprint());
    }

    @Test
    void loadsFromAStreamAndFromBytesAsFromTheFile() throws IOException {
        Path file = checkpoint("wind_lstm_3layer.pt");
        LSTM fromFile = LSTM.load(file, "lstm.");
        byte[] bytes = Files.readAllBytes(file);
        try (InputStream in = new ByteArrayInputStream(bytes)) {
            assertThat(LSTM.load(in, "wind.pt", "lstm.").fingerprint()).isEqualTo(fromFile.fingerprint());
        }
        try (InputStream in = Files.newInputStream(file)) {
            assertThat(LSTM.load(in, "wind.pt").fingerprint()).isEqualTo(fromFile.fingerprint());
        }
        assertThat(StateDicts.read(bytes, "wind.pt").tensors()).isEqualTo(StateDicts.read(file).tensors());

        byte[] truncated = Arrays.copyOf(bytes, bytes.length / 2);
        assertThatThrownBy(() -> LSTM.load(new ByteArrayInputStream(truncated), "s3://bucket/wind.pt"))
                .isInstanceOf(IOException.class).hasMessageStartingWith("s3://bucket/wind.pt: ");
    }

    @Test
    void anLstmStateSurvivesTheCodecBitForBit() throws IOException {
        LSTM lstm = LSTM.builder(5, 6).numLayers(2).projSize(3).seed(4).build();
        lstm.eval();
        LSTMState state = lstm.zeroState(1);
        InferenceSession session = lstm.newSession(1);
        for (int t = 0; t < 4; t++) {
            session.step(Tensor.randn(t, 1, 5), state);
        }
        RecurrentStateCodec.Decoded decoded = RecurrentStateCodec.decode(
                RecurrentStateCodec.encode(lstm.fingerprint(), state.tensors()));
        assertThat(decoded.fingerprint()).isEqualTo(lstm.fingerprint());
        assertThat(LSTMState.of(decoded.tensors())).isEqualTo(state);
        assertThatThrownBy(() -> LSTMState.of(decoded.tensors().subList(0, 1)))
                .hasMessage("an LSTM state is 2 tensors (h, c), got 1");
    }
}
