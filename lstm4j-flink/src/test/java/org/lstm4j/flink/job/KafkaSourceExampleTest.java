package org.lstm4j.flink.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.flink.Fixtures;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.tensor.Precision;

/** README's "Kafka instead of the file" example, compiled and built into a job graph (nothing connects to a broker). */
class KafkaSourceExampleTest {
    @TempDir
    Path dir;

    /** The README snippet: events from a Kafka topic keyed by entity, into the same job. */
    static void kafkaJob(StreamExecutionEnvironment env, StreamOptions options) throws Exception {
        StreamJob.configure(env, options);
        KafkaSource<String> source = KafkaSource.<String>builder()
                .setBootstrapServers("kafka:9092")
                .setTopics("turbine-events")                       // lines key,seq,x0,...; the producer keys by entity
                .setGroupId("lstm4j-stream")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setValueOnlyDeserializer(new SimpleStringSchema())
                .build();
        DataStream<String> lines = env.fromSource(source, WatermarkStrategy.noWatermarks(), "turbine-events")
                .setParallelism(4).uid("kafka-events");               // one reader per partition keeps each key's order
        StreamJob.fromLines(lines, StreamJob.model(options), options);
        env.execute("lstm4j stream from Kafka");
    }

    @Test
    void theKafkaExampleBuildsAJobGraph() throws Exception {
        ModelRef model = Fixtures.writeModel(dir, "model", Fixtures.smallLstm(41));
        StreamOptions options = new StreamOptions(model.location(), "lstm.", "kafka:turbine-events",
                dir.resolve("out").toUri().toString(), 2, 1000, "rocksdb", 64, Duration.ofMillis(100), Duration.ZERO,
                0, 0, Precision.FP32);
        StreamExecutionEnvironment env = new StreamExecutionEnvironment() {
            @Override
            public org.apache.flink.api.common.JobExecutionResult execute(String jobName) {
                assertThat(getStreamGraph().getJobGraph().getVertices()).hasSizeGreaterThanOrEqualTo(3);
                return null;
            }
        };
        kafkaJob(env, options);
        assertThat(Files.exists(dir.resolve("out"))).isFalse(); // built, never run
    }
}
