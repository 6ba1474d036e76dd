package org.lstm4j.flink.operators;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.lstm4j.flink.Event;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.flink.Rejected;
import org.lstm4j.flink.Scored;
import org.lstm4j.flink.model.LoadedModel;
import org.lstm4j.flink.model.ModelCache;
import org.lstm4j.flink.state.KeyState;
import org.lstm4j.nn.InferenceSession;
import org.lstm4j.nn.RecurrentState;
import org.lstm4j.tensor.Tensor;

/**
 * The micro-batched operator for an LSTM, GRU or RNN: input 1 is the keyed event stream, input 2 the broadcast stream
 * of {@link ModelRef}s (hot model swap). Events of many keys are gathered in an {@link EventBundle}
 * and advanced together, one {@link InferenceSession#stepStreams} per round (one matrix product
 * instead of one matrix-vector product per key); a key with several buffered events takes several
 * rounds, in the order its events came.
 *
 * <p>The shape is Flink's own mini-batch operators' ({@code AbstractMapBundleOperator}): the bundle
 * is flushed when it holds {@code batchSize} events, when the oldest has waited {@code timeout} of
 * processing time, on a watermark (before forwarding it), before each checkpoint barrier
 * ({@link #prepareSnapshotPreBarrier}), at the end of input and before a model swap. So the buffer
 * is never part of a checkpoint: all a checkpoint holds is each key's {@link KeyState} and the
 * current model reference (broadcast state).
 *
 * <p>Outputs: a {@link Scored} per applied event; a {@link Rejected} on {@link Rejected#TAG} per
 * event with the wrong feature count or a seq at or below its key's last seq, and per model
 * reference that could not be loaded (the old model stays).
 *
 * <p>For demonstrations and tests, {@code failAfterEvents} > 0 makes subtask 0 of the first
 * attempt throw once it has stepped that many events after the first completed checkpoint.
 */
public final class LstmBundleOperator extends AbstractStreamOperator<Scored>
        implements TwoInputStreamOperator<Event, ModelRef, Scored>, BoundedMultiInput {
    private static final long serialVersionUID = 1L;

    /** Broadcast state: the model in use, under {@link #CURRENT}. */
    static final MapStateDescriptor<String, ModelRef> MODEL_STATE =
            new MapStateDescriptor<>("lstm4j-model", Types.STRING, ModelRef.TYPE);
    private static final String CURRENT = "current";
    /** The accumulator counting events taken in (applied or rejected), for progress reports. */
    public static final String EVENTS_ACCUMULATOR = "lstm4j-events";

    private final ModelRef initialModel;
    private final SwapPolicy swapPolicy;
    private final int batchSize;
    private final long timeoutMs;
    private final Duration idleStateTtl;
    private final long failAfterEvents;

    private transient LoadedModel model;
    private transient InferenceSession session;
    private transient ValueState<KeyState> states;
    private transient BroadcastState<String, ModelRef> modelState;
    private transient EventBundle bundle;
    private transient boolean timerPending;
    private transient LongCounter eventsIn;
    private transient boolean failureArmed;
    private transient long eventsSinceArmed;

    /**
     * @param initialModel    the model until a reference arrives on input 2 (a restored job uses
     *                        the one it had)
     * @param batchSize       events per bundle, at least 1
     * @param timeout         longest an event waits in the bundle (processing time), above zero
     * @param idleStateTtl    drop a key's state after this long without events; zero keeps it
     * @param failAfterEvents 0, or inject one failure (see the class comment)
     */
    public LstmBundleOperator(ModelRef initialModel, SwapPolicy swapPolicy, int batchSize, Duration timeout,
                              Duration idleStateTtl, long failAfterEvents) {
        this.initialModel = Objects.requireNonNull(initialModel, "initialModel");
        this.swapPolicy = Objects.requireNonNull(swapPolicy, "swapPolicy");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        if (timeout.toMillis() < 1) {
            throw new IllegalArgumentException("timeout must be at least 1 ms, got " + timeout);
        }
        if (failAfterEvents < 0) {
            throw new IllegalArgumentException("failAfterEvents must be >= 0, got " + failAfterEvents);
        }
        this.batchSize = batchSize;
        this.timeoutMs = timeout.toMillis();
        this.idleStateTtl = Objects.requireNonNull(idleStateTtl, "idleStateTtl");
        this.failAfterEvents = failAfterEvents;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        modelState = context.getOperatorStateStore().getBroadcastState(MODEL_STATE);
    }

    @Override
    public void open() throws Exception {
        super.open();
        states = getPartitionedState(KeyState.descriptor(idleStateTtl));
        ModelRef ref = modelState.get(CURRENT);
        if (ref == null) {
            ref = initialModel;
            modelState.put(CURRENT, ref);
        }
        use(ModelCache.acquire(ref));
        bundle = new EventBundle();
        eventsIn = getRuntimeContext().getLongCounter(EVENTS_ACCUMULATOR);
    }

    private void use(LoadedModel next) {
        if (model != null) {
            ModelCache.release(model);
        }
        model = next;
        session = next.module().newSession(batchSize);
    }

    @Override
    public void processElement1(StreamRecord<Event> element) throws Exception {
        if (bundle.isEmpty() && !timerPending) {
            timerPending = true;
            getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + timeoutMs,
                    time -> {
                        timerPending = false;
                        flush();
                    });
        }
        bundle.add(getCurrentKey(), element.getValue());
        eventsIn.add(1);
        if (bundle.size() >= batchSize) {
            flush();
        }
    }

    /** A model reference: events before it finish on the old model, events after it use the new one. */
    @Override
    public void processElement2(StreamRecord<ModelRef> element) throws Exception {
        flush();
        ModelRef ref = element.getValue();
        LoadedModel next;
        try {
            next = ModelCache.acquire(ref);
        } catch (Exception e) {
            output.collect(Rejected.TAG, new StreamRecord<>(new Rejected("", "", "model " + ref.location()
                    + " not loaded, still using " + model.fingerprintHex() + ": " + e.getMessage())));
            return;
        }
        use(next);
        modelState.put(CURRENT, ref);
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        flush();
        super.processWatermark1(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        failureArmed = failAfterEvents > 0;
    }

    @Override
    public void endInput(int inputId) throws Exception {
        if (inputId == 1) {
            flush();
        }
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (model != null) {
            ModelCache.release(model);
            model = null;
        }
        super.close();
    }

    /** Steps every buffered event: round after round, each key's oldest remaining event. */
    private void flush() throws Exception {
        List<Object> keys = new ArrayList<>();
        List<Event> events = new ArrayList<>();
        List<KeyState> stepped = new ArrayList<>();
        while (!bundle.isEmpty()) {
            keys.clear();
            events.clear();
            stepped.clear();
            for (Object key : bundle.keys()) {
                setCurrentKey(key);
                KeyState state = states.value();
                Event event;
                while ((event = bundle.poll(key)) != null) {
                    Rejected rejected = EventRules.rejection(event, state, model);
                    if (rejected == null) {
                        keys.add(key);
                        events.add(event);
                        stepped.add(EventRules.prepare(state, model, swapPolicy));
                        break;
                    }
                    output.collect(Rejected.TAG, new StreamRecord<>(rejected));
                }
            }
            if (!events.isEmpty()) {
                step(keys, events, stepped);
            }
        }
    }

    /** One round: row i of the batch is events[i] on stepped[i] (one stream each). */
    private void step(List<Object> keys, List<Event> events, List<KeyState> stepped) throws Exception {
        int k = events.size();
        int inputSize = model.inputSize();
        Tensor x = Tensor.zeros(k, inputSize);
        RecurrentState[] streams = new RecurrentState[k];
        for (int i = 0; i < k; i++) {
            System.arraycopy(events.get(i).features(), 0, x.data(), i * inputSize, inputSize);
            streams[i] = stepped.get(i).state();
        }
        Tensor y = session.stepStreams(x, streams);
        int outputSize = y.size(1);
        String fingerprint = model.fingerprintHex();
        for (int i = 0; i < k; i++) {
            Event event = events.get(i);
            KeyState state = stepped.get(i);
            state.setLastSeq(event.seq());
            setCurrentKey(keys.get(i));
            states.update(state);
            float[] out = new float[outputSize];
            System.arraycopy(y.data(), i * outputSize, out, 0, outputSize);
            output.collect(new StreamRecord<>(new Scored(event.key(), event.seq(), fingerprint, out)));
        }
        injectFailureIfDue(k);
    }

    private void injectFailureIfDue(int stepped) {
        if (!failureArmed || getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() != 0
                || getRuntimeContext().getTaskInfo().getAttemptNumber() != 0) {
            return;
        }
        eventsSinceArmed += stepped;
        if (eventsSinceArmed >= failAfterEvents) {
            failureArmed = false;
            throw new IllegalStateException("injected failure (--fail-after-events " + failAfterEvents + "): "
                    + eventsSinceArmed + " events stepped after the first completed checkpoint");
        }
    }
}
