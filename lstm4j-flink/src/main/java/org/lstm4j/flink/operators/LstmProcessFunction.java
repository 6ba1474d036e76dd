package org.lstm4j.flink.operators;

import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.lstm4j.flink.Event;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.flink.Rejected;
import org.lstm4j.flink.Scored;
import org.lstm4j.flink.model.LoadedModel;
import org.lstm4j.flink.model.ModelCache;
import org.lstm4j.flink.state.KeyState;
import org.lstm4j.nn.InferenceSession;
import org.lstm4j.tensor.Tensor;

/**
 * The per-event LSTM: one {@link InferenceSession#step} per event, nothing buffered. Same keyed
 * state, same rules ({@link EventRules}) and the same results bit for bit as
 * {@link LstmBundleOperator}, which is faster under load; this one has the lowest latency. It
 * runs one model for its whole life (a hot swap needs the bundled operator's broadcast input).
 *
 * <pre>{@code
 * events.keyBy(Event::key).process(new LstmProcessFunction(model, Duration.ZERO), Scored.TYPE);
 * }</pre>
 */
public final class LstmProcessFunction extends KeyedProcessFunction<String, Event, Scored> {
    private static final long serialVersionUID = 1L;

    private final ModelRef modelRef;
    private final Duration idleStateTtl;

    private transient LoadedModel model;
    private transient InferenceSession session;
    private transient ValueState<KeyState> states;
    private transient Tensor x;

    public LstmProcessFunction(ModelRef modelRef, Duration idleStateTtl) {
        this.modelRef = Objects.requireNonNull(modelRef, "modelRef");
        this.idleStateTtl = Objects.requireNonNull(idleStateTtl, "idleStateTtl");
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        model = ModelCache.acquire(modelRef);
        session = model.module().newSession(1);
        states = getRuntimeContext().getState(KeyState.descriptor(idleStateTtl));
        x = Tensor.zeros(1, model.inputSize());
    }

    @Override
    public void processElement(Event event, Context ctx, Collector<Scored> out) throws Exception {
        KeyState state = states.value();
        Rejected rejected = EventRules.rejection(event, state, model);
        if (rejected != null) {
            ctx.output(Rejected.TAG, rejected);
            return;
        }
        state = EventRules.prepare(state, model, SwapPolicy.RESET);
        System.arraycopy(event.features(), 0, x.data(), 0, x.numel());
        Tensor y = session.step(x, state.state());
        state.setLastSeq(event.seq());
        states.update(state);
        out.collect(new Scored(event.key(), event.seq(), model.fingerprintHex(), y.data().clone()));
    }

    @Override
    public void close() throws Exception {
        if (model != null) {
            ModelCache.release(model);
            model = null;
        }
        super.close();
    }
}
