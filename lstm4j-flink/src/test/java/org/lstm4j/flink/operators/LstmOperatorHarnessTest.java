package org.lstm4j.flink.operators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lstm4j.flink.Fixtures.assertSameOutputs;
import static org.lstm4j.flink.Fixtures.byKeyAndSeq;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lstm4j.flink.Event;
import org.lstm4j.flink.Fixtures;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.flink.Rejected;
import org.lstm4j.flink.Scored;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Precision;

/**
 * Both LSTM operators in Flink's operator harness: process, snapshot, restore into a new instance,
 * continue — outputs bit-identical to one InferenceSession.step per key in a single JVM, on the
 * hashmap and the RocksDB state backend; every flush point of the bundle; bundled == per-event;
 * model swaps; rejections.
 */
class LstmOperatorHarnessTest {
    @TempDir
    Path dir;

    private static final Duration LONG = Duration.ofHours(1);

    private static StateBackend backend(String name) {
        return name.equals("rocksdb") ? new EmbeddedRocksDBStateBackend() : new HashMapStateBackend();
    }

    private static KeyedTwoInputStreamOperatorTestHarness<String, Event, ModelRef, Scored> bundled(
            LstmBundleOperator operator, String backend) throws Exception {
        KeyedTwoInputStreamOperatorTestHarness<String, Event, ModelRef, Scored> harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(operator, Event::key, null, Types.STRING);
        harness.setStateBackend(backend(backend));
        return harness;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Event, Scored> perEvent(ModelRef model,
                                                                                         String backend) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Event, Scored> harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new LstmProcessFunction(model, Duration.ZERO)), Event::key, Types.STRING);
        harness.setStateBackend(backend(backend));
        return harness;
    }

    /**
     * The bundled operator (RESET policy, bundles of 3) from model {@code first}: {@code before}, then
     * a swap to {@code second} on the model input, then {@code after} and the end of input.
     */
    private static List<Scored> bundledWithSwap(ModelRef first, ModelRef second, List<Event> before,
                                                List<Event> after, String backend) throws Exception {
        var harness = bundled(new LstmBundleOperator(first, SwapPolicy.RESET, 3, LONG, Duration.ZERO, 0), backend);
        harness.open();
        before.forEach(e -> process1(harness, e));
        harness.processElement2(second, 0);
        after.forEach(e -> process1(harness, e));
        harness.endInput1();
        List<Scored> out = scored(harness.getOutput());
        harness.close();
        return out;
    }

    private static List<Scored> scored(Iterable<Object> output) {
        List<Scored> out = new ArrayList<>();
        for (Object o : output) {
            if (o instanceof StreamRecord<?> r && r.getValue() instanceof Scored s) {
                out.add(s);
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void bundledSurvivesSnapshotAndRestoreBitForBit(String backend) throws Exception {
        LSTM lstm = Fixtures.smallLstm(1);
        ModelRef model = Fixtures.writeModel(dir, "m", lstm);
        List<Event> events = Fixtures.interleaved(6, 12, 5, 11);
        List<Scored> out = new ArrayList<>();

        var first = bundled(new LstmBundleOperator(model, SwapPolicy.RESET, 4, LONG, Duration.ZERO, 0), backend);
        first.open();
        for (Event e : events.subList(0, 37)) {
            first.processElement1(e, 0);
        }
        first.prepareSnapshotPreBarrier(1);
        // The barrier flushed the bundle: every event so far has its output, nothing waits.
        assertThat(scored(first.getOutput())).hasSize(37);
        OperatorSubtaskState snapshot = first.snapshot(1, 1);
        out.addAll(scored(first.getOutput()));
        first.close();

        var second = bundled(new LstmBundleOperator(model, SwapPolicy.RESET, 4, LONG, Duration.ZERO, 0), backend);
        second.initializeState(snapshot);
        second.open();
        for (Event e : events.subList(37, events.size())) {
            second.processElement1(e, 0);
        }
        second.endInput1();
        out.addAll(scored(second.getOutput()));
        second.close();

        assertSameOutputs(Fixtures.reference(lstm, events), byKeyAndSeq(out));
        assertThat(out).allSatisfy(s -> assertThat(s.model()).isEqualTo(Fixtures.hex(lstm.fingerprint())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void aGruModelStreamsTheSameWayWithHAloneAsItsState(String backend) throws Exception {
        org.lstm4j.nn.GRU gru = Fixtures.smallGru(12);
        ModelRef model = Fixtures.writeModel(dir, "gru", gru);
        List<Event> events = Fixtures.interleaved(5, 8, 5, 18);
        List<Scored> out = new ArrayList<>();
        var first = bundled(new LstmBundleOperator(model, SwapPolicy.RESET, 3, LONG, Duration.ZERO, 0), backend);
        first.open();
        for (Event e : events.subList(0, 21)) {
            first.processElement1(e, 0);
        }
        first.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState snapshot = first.snapshot(1, 1);
        out.addAll(scored(first.getOutput()));
        first.close();
        var second = bundled(new LstmBundleOperator(model, SwapPolicy.RESET, 3, LONG, Duration.ZERO, 0), backend);
        second.initializeState(snapshot);
        second.open();
        for (Event e : events.subList(21, events.size())) {
            second.processElement1(e, 0);
        }
        second.endInput1();
        out.addAll(scored(second.getOutput()));
        second.close();
        assertSameOutputs(Fixtures.reference(gru, events), byKeyAndSeq(out));
        assertThat(out).allSatisfy(s -> assertThat(s.model()).isEqualTo(Fixtures.hex(gru.fingerprint())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void perEventSurvivesSnapshotAndRestoreBitForBit(String backend) throws Exception {
        LSTM lstm = Fixtures.smallLstm(2);
        ModelRef model = Fixtures.writeModel(dir, "m", lstm);
        List<Event> events = Fixtures.interleaved(5, 10, 5, 12);
        List<Scored> out = new ArrayList<>();

        var first = perEvent(model, backend);
        first.open();
        for (Event e : events.subList(0, 23)) {
            first.processElement(e, 0);
        }
        OperatorSubtaskState snapshot = first.snapshot(1, 1);
        out.addAll(first.extractOutputValues());
        first.close();

        var second = perEvent(model, backend);
        second.initializeState(snapshot);
        second.open();
        for (Event e : events.subList(23, events.size())) {
            second.processElement(e, 0);
        }
        out.addAll(second.extractOutputValues());
        second.close();

        assertSameOutputs(Fixtures.reference(lstm, events), byKeyAndSeq(out));
    }

    @Test
    void bundledEqualsPerEventForAnyInterleavingAndBatchSize() throws Exception {
        LSTM lstm = Fixtures.smallLstm(3);
        ModelRef model = Fixtures.writeModel(dir, "m", lstm);
        for (long seed = 0; seed < 6; seed++) {
            List<Event> events = Fixtures.interleaved(9, 8, 5, 100 + seed);
            int batchSize = 1 + (int) (seed * 7 % 20);
            var bundled = bundled(new LstmBundleOperator(model, SwapPolicy.RESET, batchSize, LONG, Duration.ZERO, 0),
                    "hashmap");
            bundled.open();
            var perEvent = perEvent(model, "hashmap");
            perEvent.open();
            for (Event e : events) {
                bundled.processElement1(e, 0);
                perEvent.processElement(e, 0);
            }
            bundled.endInput1();
            Map<String, float[]> expected = byKeyAndSeq(perEvent.extractOutputValues());
            assertSameOutputs(expected, byKeyAndSeq(scored(bundled.getOutput())));
            // Any interleaving gives each key the outputs of its own sequence alone.
            assertSameOutputs(Fixtures.reference(lstm, events), expected);
            bundled.close();
            perEvent.close();
        }
    }

    @Test
    void theBundleFlushesOnSizeTimeoutWatermarkAndEndOfInput() throws Exception {
        LSTM lstm = Fixtures.smallLstm(4);
        ModelRef model = Fixtures.writeModel(dir, "m", lstm);
        List<Event> events = Fixtures.interleaved(3, 8, 5, 13);
        var harness = bundled(new LstmBundleOperator(model, SwapPolicy.RESET, 5, Duration.ofMillis(100),
                Duration.ZERO, 0), "hashmap");
        harness.setProcessingTime(0);
        harness.open();

        for (int i = 0; i < 4; i++) {
            harness.processElement1(events.get(i), 0);
        }
        assertThat(scored(harness.getOutput())).as("below the batch size nothing is stepped").isEmpty();
        harness.processElement1(events.get(4), 0);
        assertThat(scored(harness.getOutput())).as("the fifth event fills the bundle").hasSize(5);

        harness.processElement1(events.get(5), 0);
        harness.setProcessingTime(99);
        assertThat(scored(harness.getOutput())).hasSize(5);
        harness.setProcessingTime(100);
        assertThat(scored(harness.getOutput())).as("the timeout flushes").hasSize(6);

        harness.processElement1(events.get(6), 0);
        harness.processElement1(events.get(7), 0);
        harness.processWatermark1(new Watermark(42));
        harness.processWatermark2(new Watermark(42));
        List<Object> output = new ArrayList<>(harness.getOutput());
        assertThat(scored(output)).as("a watermark flushes").hasSize(8);
        assertThat(output.get(output.size() - 1)).as("and is forwarded after the outputs").isEqualTo(new Watermark(42));

        harness.processElement1(events.get(8), 0);
        harness.endInput1();
        assertThat(scored(harness.getOutput())).as("the end of input flushes").hasSize(9);
        harness.close();
        assertSameOutputs(Fixtures.reference(lstm, events.subList(0, 9)), byKeyAndSeq(scored(harness.getOutput())));
    }

    @Test
    void aModelSwapResetsEachKeyAndIsVisibleInTheOutput() throws Exception {
        LSTM oldLstm = Fixtures.smallLstm(5);
        LSTM newLstm = Fixtures.smallLstm(6);
        ModelRef oldModel = Fixtures.writeModel(dir, "old", oldLstm);
        ModelRef newModel = Fixtures.writeModel(dir, "new", newLstm);
        List<Event> events = Fixtures.interleaved(4, 10, 5, 14);
        List<Event> before = events.subList(0, 17);
        List<Event> after = events.subList(17, events.size());

        List<Scored> out = bundledWithSwap(oldModel, newModel, before, after, "rocksdb");

        String oldHex = Fixtures.hex(oldLstm.fingerprint());
        String newHex = Fixtures.hex(newLstm.fingerprint());
        assertSameOutputs(Fixtures.reference(oldLstm, before),
                byKeyAndSeq(out.stream().filter(s -> s.model().equals(oldHex)).toList()));
        // After the swap each key starts from zeros under the new model: a fresh run over its later events.
        assertSameOutputs(Fixtures.reference(newLstm, after),
                byKeyAndSeq(out.stream().filter(s -> s.model().equals(newHex)).toList()));
    }

    /**
     * A bf16 reference steps with the bf16 module (bit for bit the single-JVM bf16 run, not the
     * float32 one); swapping the same file to int8 is a model swap (another fingerprint), so each
     * key starts again from zeros instead of continuing bf16 state under int8 weights. The per-event
     * function takes the precision from its reference too.
     */
    @Test
    void aReducedPrecisionReferenceStepsWithThoseWeightsAndAnotherPrecisionIsAnotherModel() throws Exception {
        LSTM lstm = Fixtures.smallLstm(16);
        ModelRef file = Fixtures.writeModel(dir, "m", lstm);
        ModelRef bf16 = ModelRef.of(file.location(), file.sha256(), file.prefix(), Precision.BF16);
        ModelRef int8 = ModelRef.of(file.location(), file.sha256(), file.prefix(), Precision.INT8);
        LSTM bf16Lstm = lstm.withWeightPrecision(Precision.BF16);
        LSTM int8Lstm = lstm.withWeightPrecision(Precision.INT8);
        List<Event> events = Fixtures.interleaved(4, 8, 5, 17);
        List<Event> before = events.subList(0, 15);
        List<Event> after = events.subList(15, events.size());

        List<Scored> out = bundledWithSwap(bf16, int8, before, after, "hashmap");

        String bf16Hex = Fixtures.hex(bf16Lstm.fingerprint());
        String int8Hex = Fixtures.hex(int8Lstm.fingerprint());
        assertThat(List.of(bf16Hex, int8Hex)).doesNotContain(Fixtures.hex(lstm.fingerprint())).doesNotHaveDuplicates();
        Map<String, float[]> bf16Out = byKeyAndSeq(out.stream().filter(s -> s.model().equals(bf16Hex)).toList());
        assertSameOutputs(Fixtures.reference(bf16Lstm, before), bf16Out);
        assertThat(Fixtures.reference(lstm, before).get("key-0/0")).isNotEqualTo(bf16Out.get("key-0/0"));
        // The job's policy (RESET): after the swap each key is a fresh run over its later events.
        assertSameOutputs(Fixtures.reference(int8Lstm, after),
                byKeyAndSeq(out.stream().filter(s -> s.model().equals(int8Hex)).toList()));

        var perEvent = perEvent(int8, "hashmap");
        perEvent.open();
        for (Event e : events) {
            perEvent.processElement(e, 0);
        }
        List<Scored> perEventOut = scored(perEvent.getOutput());
        perEvent.close();
        assertSameOutputs(Fixtures.reference(int8Lstm, events), byKeyAndSeq(perEventOut));
    }

    @Test
    void keepPolicyCarriesTheStateIntoTheNewModelAndABadReferenceKeepsTheOldModel() throws Exception {
        LSTM oldLstm = Fixtures.smallLstm(7);
        LSTM newLstm = Fixtures.smallLstm(8);
        ModelRef oldModel = Fixtures.writeModel(dir, "old", oldLstm);
        ModelRef newModel = Fixtures.writeModel(dir, "new", newLstm);
        ModelRef corrupt = ModelRef.of(newModel.location(), "0".repeat(64), "lstm.");
        List<Event> events = Fixtures.interleaved(3, 6, 5, 15);

        var harness = bundled(new LstmBundleOperator(oldModel, SwapPolicy.KEEP_IF_SHAPES_MATCH, 2, LONG,
                Duration.ZERO, 0), "hashmap");
        harness.open();
        events.subList(0, 9).forEach(e -> process1(harness, e));
        harness.processElement2(corrupt, 0);
        harness.processElement2(newModel, 0);
        events.subList(9, 18).forEach(e -> process1(harness, e));
        harness.endInput1();
        List<Scored> out = scored(harness.getOutput());
        List<Rejected> rejected = harness.getSideOutput(Rejected.TAG).stream().map(StreamRecord::getValue).toList();
        harness.close();

        assertThat(rejected).singleElement().satisfies(r -> assertThat(r.reason())
                .contains("not loaded, still using " + Fixtures.hex(oldLstm.fingerprint()))
                .contains("expected SHA-256 " + "0".repeat(64)));
        // Kept state: the old model's state after the first 9 events, continued by the new model.
        Map<String, org.lstm4j.nn.LSTMState> carried = new java.util.HashMap<>();
        var oldSession = oldLstm.newSession(1);
        var newSession = newLstm.newSession(1);
        Map<String, float[]> expected = new java.util.LinkedHashMap<>();
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            var state = carried.computeIfAbsent(e.key(), k -> oldLstm.zeroState(1));
            var x = org.lstm4j.tensor.Tensor.of(e.features().clone(), 1, 5);
            expected.put(e.key() + "/" + e.seq(), (i < 9 ? oldSession : newSession).step(x, state).data().clone());
        }
        assertSameOutputs(expected, byKeyAndSeq(out));
    }

    @Test
    void duplicatesReplaysAndMalformedEventsGoToTheSideOutputAndTheRestGoesOn() throws Exception {
        LSTM lstm = Fixtures.smallLstm(9);
        ModelRef model = Fixtures.writeModel(dir, "m", lstm);
        List<Event> good = Fixtures.interleaved(3, 5, 5, 16);
        List<Event> input = new ArrayList<>(good);
        input.add(7, good.get(2));                                      // an exact duplicate
        Event replay = new Event(good.get(0).key(), 0, new float[5]);
        input.add(12, replay);                                          // a replay of seq 0
        input.add(3, new Event("key-1", 99, new float[4]));            // one feature short
        input.add(3, new Event("key-1", 100, new float[6]));           // one feature too many

        for (boolean bundledRun : new boolean[] {true, false}) {
            List<Scored> out;
            List<Rejected> rejected;
            if (bundledRun) {
                var harness = bundled(new LstmBundleOperator(model, SwapPolicy.RESET, 4, LONG, Duration.ZERO, 0),
                        "hashmap");
                harness.open();
                input.forEach(e -> process1(harness, e));
                harness.endInput1();
                out = scored(harness.getOutput());
                rejected = harness.getSideOutput(Rejected.TAG).stream().map(StreamRecord::getValue).toList();
                harness.close();
            } else {
                var harness = perEvent(model, "hashmap");
                harness.open();
                for (Event e : input) {
                    harness.processElement(e, 0);
                }
                out = harness.extractOutputValues();
                rejected = harness.getSideOutput(Rejected.TAG).stream().map(StreamRecord::getValue).toList();
                harness.close();
            }
            assertSameOutputs(Fixtures.reference(lstm, good), byKeyAndSeq(out));
            assertThat(out.size() + rejected.size()).as("nothing lost").isEqualTo(input.size());
            assertThat(rejected).extracting(Rejected::reason).containsExactlyInAnyOrder(
                    "expected 5 features (the model's input_size), got 6",
                    "expected 5 features (the model's input_size), got 4",
                    "seq " + good.get(2).seq() + " is not after the key's last seq "
                            + lastSeqBefore(input, input.lastIndexOf(good.get(2)), good.get(2).key())
                            + " (a duplicate or a replay)",
                    "seq 0 is not after the key's last seq " + lastSeqBefore(input, input.indexOf(replay),
                            good.get(0).key()) + " (a duplicate or a replay)");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void aKeyIdleLongerThanTheTtlStartsAgainFromZeros(String backend) throws Exception {
        LSTM lstm = Fixtures.smallLstm(10);
        ModelRef model = Fixtures.writeModel(dir, "m", lstm);
        List<Event> events = Fixtures.interleaved(1, 4, 5, 17);
        var harness = bundled(new LstmBundleOperator(model, SwapPolicy.RESET, 1, LONG, Duration.ofMillis(300), 0),
                backend);
        harness.setStateTtlProcessingTime(1_000);
        harness.open();
        harness.processElement1(events.get(0), 0);
        harness.processElement1(events.get(1), 0);
        harness.setStateTtlProcessingTime(1_299);
        harness.processElement1(events.get(2), 0); // the state was written at 1,000: not expired yet
        harness.setStateTtlProcessingTime(1_299 + 301);
        harness.processElement1(events.get(3), 0); // 301 ms idle: expired
        harness.processElement1(events.get(3), 0);
        List<Scored> out = scored(harness.getOutput());
        harness.close();
        // Before the pause one sequence; after it the key's state is gone and a new one starts.
        Map<String, float[]> expected = new java.util.LinkedHashMap<>(Fixtures.reference(lstm, events.subList(0, 3)));
        expected.putAll(Fixtures.reference(lstm, events.subList(3, 4)));
        assertSameOutputs(expected, byKeyAndSeq(out));
    }

    /** The last seq of {@code key} among the events before index {@code end} (all good ones). */
    private static long lastSeqBefore(List<Event> input, int end, String key) {
        long last = -1;
        for (Event e : input.subList(0, end)) {
            if (e.key().equals(key) && e.features().length == 5) {
                last = Math.max(last, e.seq());
            }
        }
        return last;
    }

    private static void process1(KeyedTwoInputStreamOperatorTestHarness<String, Event, ModelRef, Scored> harness,
                                 Event e) {
        try {
            harness.processElement1(e, 0);
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }
}
