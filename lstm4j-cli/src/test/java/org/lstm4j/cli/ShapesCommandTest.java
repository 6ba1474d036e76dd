package org.lstm4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShapesCommandTest {

    @Test
    void printsPytorchDocstringShapes() {
        CliTestSupport r = CliTestSupport.run("shapes", "--input-size", "10", "--hidden-size", "20",
                "--num-layers", "2", "--seq-len", "5", "--batch", "3");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("input   (5, 3, 10)", "h_0     (2, 3, 20)", "output  (5, 3, 20)",
                "h_n     (2, 3, 20)", "weight_ih_l1           (80, 20)", "bias_hh_l1             (80,)",
                "[ok] output[-1] == h_n[-1]");
    }

    @Test
    void bidirectionalBatchFirstWithProjection() {
        CliTestSupport r = CliTestSupport.run("shapes", "--input-size", "10", "--hidden-size", "20",
                "--num-layers", "2", "--bidirectional", "--proj-size", "5", "--batch-first", "--seq-len", "5",
                "--batch", "3");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("input   (3, 5, 10)", "output  (3, 5, 10)", "h_n     (4, 3, 5)",
                "c_n     (4, 3, 20)", "weight_hr_l1_reverse   (5, 20)", "h_n[3]  layer 1 backward",
                "[ok] output[:, -1][..., :5] == h_n[-2]", "[ok] output[:, 0][..., 5:] == h_n[-1]");
    }

    @Test
    void badArgumentsGiveOneLineAndNonZeroStatus() {
        CliTestSupport r = CliTestSupport.run("shapes", "--input-size", "10", "--hidden-size", "20", "--proj-size", "20");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("lstm4j: proj_size has to be smaller than hidden_size").doesNotContain("\n");
    }
}
