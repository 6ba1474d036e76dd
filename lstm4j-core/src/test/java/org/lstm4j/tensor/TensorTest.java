package org.lstm4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorTest {

    private static Tensor arange(int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = i;
        }
        return t;
    }

    @Test
    void elementAccessIsRowMajorWithNegativeIndices() {
        Tensor t = arange(2, 3, 4);
        assertThat(t.get(1, 2, 3)).isEqualTo(23f);
        assertThat(t.get(-1, -1, -1)).isEqualTo(23f);
        assertThat(t.get(0, 1, 0)).isEqualTo(4f);
        t.set(-5f, 1, 0, 2);
        assertThat(t.data()[14]).isEqualTo(-5f);
        assertThat(t.size(-1)).isEqualTo(4);
        assertThat(t.dim()).isEqualTo(3);
        assertThatThrownBy(() -> t.get(2, 0, 0)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("index 2 is out of bounds for dimension 0 with size 2");
    }

    @Test
    void transposeAndPermuteMoveElements() {
        Tensor t = arange(2, 3, 4);
        Tensor p = t.permute(2, 0, 1);
        assertThat(p.shape()).containsExactly(4, 2, 3);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    assertThat(p.get(k, i, j)).isEqualTo(t.get(i, j, k));
                }
            }
        }
        assertThat(t.transpose(0, 1).transpose(0, 1)).isEqualTo(t);
        assertThat(t.transpose(0, 2).get(3, 1, 0)).isEqualTo(t.get(0, 1, 3));
    }

    @Test
    void reshapeSharesDataAndInfersOneDimension() {
        Tensor t = arange(2, 3, 4);
        Tensor r = t.reshape(6, -1);
        assertThat(r.shape()).containsExactly(6, 4);
        r.set(100f, 0, 0);
        assertThat(t.get(0, 0, 0)).isEqualTo(100f);
        assertThatThrownBy(() -> t.reshape(5, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid for input of size 24");
    }

    @Test
    void selectAndNarrowCopySlices() {
        Tensor t = arange(2, 3, 4);
        assertThat(t.select(0, -1)).isEqualTo(Tensor.of(new float[] {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, 3, 4));
        assertThat(t.narrow(2, 1, 2).get(1, 2, 1)).isEqualTo(t.get(1, 2, 2));
        assertThat(t.select(1, 1).shape()).containsExactly(2, 4);
    }

    @Test
    void factoriesCheckShapesAndSeedsAreReproducible() {
        assertThat(Tensor.randn(7, 3, 3)).isEqualTo(Tensor.randn(7, 3, 3));
        assertThat(Tensor.randn(7, 3, 3)).isNotEqualTo(Tensor.randn(8, 3, 3));
        assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shape [2, 3] needs 6 elements, got 5");
        assertThatThrownBy(() -> Tensor.zeros(2, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.zeros(65536, 65536)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4294967296 elements, more than a Java array holds");
    }

    @Test
    void allCloseUsesPytorchTolerancesAndRejectsNan() {
        Tensor a = Tensor.of(new float[] {1f, 2f}, 2);
        assertThat(a.allClose(Tensor.of(new float[] {1f + 5e-6f, 2f}, 2))).isTrue();
        assertThat(a.allClose(Tensor.of(new float[] {1.001f, 2f}, 2))).isFalse();
        assertThat(a.allClose(Tensor.of(new float[] {Float.NaN, 2f}, 2))).isFalse();
        assertThat(a.allClose(Tensor.of(new float[] {1f, 2f}, 1, 2))).isFalse();
        assertThat(a.maxAbsDiff(Tensor.of(new float[] {1.5f, 1f}, 2))).isEqualTo(1f);
    }

    @Test
    void toStringShowsShapeAndFirstValues() {
        assertThat(arange(2, 5).toString()).isEqualTo("Tensor(shape=[2, 5], data=[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, ... (4 more)])");
    }
}
