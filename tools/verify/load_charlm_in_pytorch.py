"""Checks that a model.safetensors written by `bin/lstm4j demo|train` loads into PyTorch unchanged.

Run with Debian's PyTorch 1.13.1 (no safetensors package there, so the file is read with the
format's documented layout: u64 header length, JSON header, raw little-endian data):

    /usr/bin/python3 tools/verify/load_charlm_in_pytorch.py runs/demo

It builds the README's CharLM module, calls load_state_dict(strict=True), and samples a few
characters with the state carried across steps, as `bin/lstm4j generate` does.
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


class CharLM(nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embedding(x), state)
        return self.fc(out), state


def main(run_dir):
    sd = load_safetensors(f"{run_dir}/model.safetensors")
    chars = json.load(open(f"{run_dir}/vocab.json", encoding="utf-8"))["chars"]
    vocab, embed = sd["embedding.weight"].shape
    hidden = sd["lstm.weight_hh_l0"].shape[1]
    layers = sum(1 for k in sd if k.startswith("lstm.weight_ih_l"))
    model = CharLM(vocab, embed, hidden, layers)
    model.load_state_dict(sd)  # strict: names and shapes must match exactly
    model.eval()
    print(f"loaded {run_dir}/model.safetensors into {model}")
    torch.manual_seed(0)
    x = torch.tensor([[chars.index(c) for c in "ROMEO:"]])
    text = "ROMEO:"
    with torch.no_grad():
        logits, state = model(x)
        for _ in range(200):
            probs = torch.softmax(logits[0, -1] / 0.8, dim=0)
            token = torch.multinomial(probs, 1).item()
            text += chars[token]
            logits, state = model(torch.tensor([[token]]), state)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/demo")
