package org.lstm4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lstm4j.tensor.Precision;

/**
 * Issue 18's bench rows: (a) and (b) with lstm4j's weights in bf16 and int8, and their accuracy
 * pinned — max |diff| of output, h_n and c_n from the float32 module on the rows' own fixed
 * workload (weights seed 1234, inputs seeds 1-3), the number the bench prints as maxdiff.
 */
class ReducedPrecisionRowsTest {

    /**
     * Measured 2026-12-01 — a-bf16 1.046e-3, b-bf16 7.65e-4, a-int8 2.234e-3, b-int8 1.664e-3, the
     * same to 3 digits with the scalar and the vector-512 kernels — with about 1.5× margin; issue 18
     * asks ≤ 2e-2 (bf16) and ≤ 5e-2 (int8).
     */
    private static final Map<String, Double> PINNED = Map.of(
            "a-bf16", 1.5e-3, "b-bf16", 1.2e-3, "a-int8", 3.4e-3, "b-int8", 2.5e-3);
    private static final Map<Precision, Double> ISSUE_BOUND = Map.of(Precision.BF16, 2e-2, Precision.INT8, 5e-2);

    @Test
    void theRowsAreNamedAndTheirJsonCarriesTheName() {
        List<String> names = BenchConfig.ALL.stream().map(BenchConfig::name).toList();
        assertThat(names).endsWith("a-bf16", "b-bf16", "a-int8", "b-int8");
        BenchConfig bf16 = BenchConfig.byName("b-bf16");
        assertThat(bf16.shape()).isEqualTo(BenchConfig.byName("b").shape() + " bf16");
        assertThat(bf16.precision()).isEqualTo(Precision.BF16);
        SideBySide.Row row = new SideBySide.Row(bf16, 2.0, 6.0, 4.0, 1e-3, 1, 1e-3, 0);
        assertThat(JsonParser.parseString(SideBySide.json(List.of(row), 100, BenchCommandLinesTest.RUN)).getAsJsonArray().get(0)
                .getAsJsonObject().get("config").getAsString()).isEqualTo("b-bf16");
    }

    @Test
    void reducedWeightsStayWithinThePinnedDistanceOfFloat32() {
        for (BenchConfig config : BenchConfig.ALL) {
            if (config.precision() == Precision.FP32) {
                continue;
            }
            SideBySide.Workload w = SideBySide.Workload.of(config);
            List<float[]> reduced = w.forward(w.timed(config));
            List<float[]> fp32 = w.forward(w.module());
            double maxDiff = 0;
            for (int i = 0; i < fp32.size(); i++) {
                maxDiff = Math.max(maxDiff, Measure.maxAbsDiff(reduced.get(i), fp32.get(i)));
            }
            System.out.printf("%-7s %-28s max |diff| from float32 %.3e%n", config.name(), config.shape(), maxDiff);
            assertThat(maxDiff).as(config.name()).isPositive().isLessThanOrEqualTo(PINNED.get(config.name()))
                    .isLessThanOrEqualTo(ISSUE_BOUND.get(config.precision()));
        }
    }
}
