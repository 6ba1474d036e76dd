package org.lstm4j.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

/**
 * An input the job did not apply, and why: a malformed line (too few fields, a number that does
 * not parse, the wrong feature count), an event whose seq is not above its key's last seq (a
 * duplicate or a replay), or a model reference that could not be loaded. {@code key} and
 * {@code seq} are the text found, empty where there was none.
 */
public record Rejected(String key, String seq, String reason) {
    /** Flink's type for rejections. */
    public static final TypeInformation<Rejected> TYPE = TypeInformation.of(Rejected.class);
    /** The side output the LSTM operators send rejections to. */
    public static final OutputTag<Rejected> TAG = new OutputTag<>("rejected", TYPE);


    /** {@code key,seq,"reason"} with the reason quoted as in RFC 4180. */
    public String toCsv() {
        return key + ',' + seq + ",\"" + reason.replace("\"", "\"\"").replace('\n', ' ') + '"';
    }
}
