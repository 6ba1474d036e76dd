package org.lstm4j.flink.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.lstm4j.flink.Rejected;
import org.lstm4j.tensor.Precision;

/** A {@code #model} line's precision: the fifth field, else the job's {@code --weight-precision}. */
class CsvEventsModelLineTest {
    private static final String SHA = "ab".repeat(32);

    @Test
    void aModelLineNamesItsPrecisionOrTakesTheJobs() throws Exception {
        try (OneInputStreamOperatorTestHarness<String, ?> harness =
                     ProcessFunctionTestHarnesses.forProcessFunction(new CsvEvents.Parse(Precision.BF16))) {
            harness.processElement("#model,file:///m.safetensors," + SHA + ",lstm.", 0);
            harness.processElement("#model,file:///m.safetensors," + SHA + ",lstm.,int8", 0);
            harness.processElement("#model,file:///m.safetensors," + SHA + ",lstm.,fp16", 0);

            List<Precision> precisions = harness.getSideOutput(CsvEvents.MODELS).stream()
                    .map(r -> r.getValue().precision()).toList();
            assertThat(precisions).containsExactly(Precision.BF16, Precision.INT8);
            assertThat(harness.getSideOutput(Rejected.TAG)).singleElement()
                    .extracting(r -> r.getValue().reason()).asString()
                    .endsWith("expected a weight precision fp32, bf16 or int8, got 'fp16'");
        }
    }
}
