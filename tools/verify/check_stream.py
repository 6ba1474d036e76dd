#!/usr/bin/python3
"""Checks issue 12's "Done when" for `bin/lstm4j stream` against `bin/lstm4j run`.

From the repository root, after `mvn -B -q package -DskipTests`:

    /usr/bin/python3 tools/verify/check_stream.py [--fail]    # --fail adds --checkpoint-ms 200 --fail-after-events 300

Writes 24 keys x 40 steps of the wind model's 31 features, keys interleaved at random (seed 12),
to runs/stream-check/events.csv; runs `bin/lstm4j stream` on it; runs `bin/lstm4j run` on each
key's whole sequence (40, 31); and checks that the committed output holds each (key, seq) exactly
once with exactly the bits `run` wrote to output.npy. Needs numpy; never run by the tests or CI
(the MiniCluster tests check the same in Java).
"""
import glob
import os
import shutil
import subprocess
import sys

import numpy as np

# ../shared beside the repository (a git worktree elsewhere: the lstm4j-core test copy, same bytes)
WEIGHTS = next(p for p in ["../shared/data/checkpoints/wind_lstm_3layer.pt",
                           "lstm4j-core/src/test/resources/io/checkpoints/wind_lstm_3layer.pt"] if os.path.exists(p))
KEYS, STEPS, FEATURES = 24, 40, 31


def committed_lines(directory):
    lines = []
    for f in sorted(glob.glob(os.path.join(directory, "*"))):
        if not os.path.basename(f).startswith("."):
            with open(f) as fh:
                lines += [l.rstrip("\n") for l in fh if l.strip()]
    return lines


def main():
    fail = "--fail" in sys.argv
    work = "runs/stream-check" + ("-fail" if fail else "")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = np.random.default_rng(12)
    x = rng.standard_normal((KEYS, STEPS, FEATURES)).astype(np.float32)
    order = [k for k in range(KEYS) for _ in range(STEPS)]
    rng.shuffle(order)
    nxt = [0] * KEYS
    with open(os.path.join(work, "events.csv"), "w") as f:
        f.write("key,seq," + ",".join("x%d" % i for i in range(FEATURES)) + "\n")
        for k in order:
            t = nxt[k]
            nxt[k] += 1
            # repr of a float32 as float64 parses back to the same float32
            f.write("turbine-%02d,%d,%s\n" % (k, t, ",".join(repr(float(v)) for v in x[k, t])))
    cmd = ["bin/lstm4j", "stream", "--weights", WEIGHTS, "--prefix", "lstm.", "--events", work + "/events.csv",
           "--out", work + "/out", "--parallelism", "2"]
    if fail:
        cmd += ["--checkpoint-ms", "200", "--fail-after-events", "300"]
    print("$ " + " ".join(cmd), flush=True)
    run = subprocess.run(cmd, capture_output=True, text=True)
    sys.stderr.write(run.stderr)
    assert run.returncode == 0, "stream exited with %d" % run.returncode
    summary = run.stderr.strip().splitlines()[-1]
    print("summary:", summary)
    if fail:
        assert summary.endswith("restarts 1"), summary

    got = {}
    for line in committed_lines(work + "/out/output"):
        fields = line.split(",")
        key, seq = fields[0], int(fields[1])
        assert (key, seq) not in got, "(key, seq) twice: %s %d" % (key, seq)
        got[(key, seq)] = np.array([np.float32(v) for v in fields[2:]], dtype=np.float32)
    assert len(got) == KEYS * STEPS, "expected %d outputs, got %d" % (KEYS * STEPS, len(got))
    worst = 0
    for k in range(KEYS):
        key = "turbine-%02d" % k
        np.save(os.path.join(work, key + ".npy"), x[k])
        out = os.path.join(work, "run-" + key)
        subprocess.run(["bin/lstm4j", "run", "--weights", WEIGHTS, "--prefix", "lstm.", "--input",
                        os.path.join(work, key + ".npy"), "--out", out], check=True, capture_output=True)
        expected = np.load(os.path.join(out, "output.npy"))  # (40, 128), unbatched
        for t in range(STEPS):
            same = np.array_equal(expected[t].view(np.uint32), got[(key, t)].view(np.uint32))
            worst = max(worst, float(np.max(np.abs(expected[t] - got[(key, t)]))))
            assert same, "%s seq %d differs from bin/lstm4j run (max |diff| %g)" % (key, t, worst)
    print("OK: %d keys x %d steps, each (key, seq) exactly once, bit-identical to bin/lstm4j run (max |diff| %g)"
          % (KEYS, STEPS, worst))


main()
