#!/usr/bin/python3
"""Write the language-model test fixtures into the build tree.

usage: /usr/bin/python3 tests/models_lm/make_lm_models.py OUT_DIR [NAME ...]

Needs Debian's torch 1.13 (/usr/bin/python3, not the python first on PATH). For every model in
MODELS (or only the NAMEs given) it writes
  OUT_DIR/<name>.pt          torch.jit.trace of the model in eval mode, under torch.no_grad()
  OUT_DIR/<name>.json        {"name", "generator_version", "inputs": [{"shape", "dtype"}],
                              "second_inputs": [...], "torch_version"}
  OUT_DIR/<name>.a.npz       inputs at the traced shape (int64 token ids)
  OUT_DIR/<name>.b.npz       inputs at another batch size and sequence length
The traced file is reloaded and checked against eager on both input sets before it is kept, so
a fixture whose trace baked in the sequence length is refused here, not blamed on the exporter.
Weights are random but seeded from the model name; files are cached by GENERATOR_VERSION.
"""

import json
import math
import os
import sys
import zlib

GENERATOR_VERSION = 2
VOCAB = 50
torch = nn = np = None


def import_torch():
    global torch, nn, np
    import numpy as _np
    import torch as _torch
    import torch.nn as _nn

    torch, nn, np = _torch, _nn, _np


def models():
    class BertClassifier(nn.Module):
        """Token + position embeddings (positions from torch.arange on the input's length), a
        post-norm GELU TransformerEncoder with src_key_padding_mask (id 0 = padding), and a
        head on the first token. Eval mode records the nested-tensor fast path."""

        def __init__(self, d=32, heads=4, layers=2, classes=3, max_len=64):
            super().__init__()
            self.tok = nn.Embedding(VOCAB, d, padding_idx=0)
            self.pos = nn.Embedding(max_len, d)
            layer = nn.TransformerEncoderLayer(d, heads, 4 * d, batch_first=True,
                                               activation="gelu")
            self.encoder = nn.TransformerEncoder(layer, layers)
            self.head = nn.Linear(d, classes)

        def forward(self, ids):
            positions = torch.arange(ids.size(1)).unsqueeze(0)
            x = self.tok(ids) + self.pos(positions)
            y = self.encoder(x, src_key_padding_mask=ids == 0)
            return self.head(y[:, 0])

    class GptDecoder(nn.Module):
        """Pre-norm blocks (nn.TransformerEncoderLayer(norm_first=True), tanh GELU) under the
        causal mask triu(full((n, n), -inf), 1), then a final norm and the LM head."""

        def __init__(self, d=32, heads=4, layers=2, max_len=64):
            super().__init__()
            self.tok = nn.Embedding(VOCAB, d)
            self.pos = nn.Embedding(max_len, d)
            self.blocks = nn.ModuleList([
                nn.TransformerEncoderLayer(d, heads, 4 * d, batch_first=True, norm_first=True,
                                           activation=nn.GELU(approximate="tanh"))
                for _ in range(layers)])
            self.norm = nn.LayerNorm(d)
            self.lm_head = nn.Linear(d, VOCAB)

        def forward(self, ids):
            n = ids.size(1)
            mask = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
            x = self.tok(ids) + self.pos(torch.arange(n).unsqueeze(0))
            for block in self.blocks:
                x = block(x, src_mask=mask)
            return self.lm_head(self.norm(x))

    class Seq2Seq(nn.Module):
        """nn.Transformer (encoder-decoder) with tgt_mask from generate_square_subsequent_mask,
        source padding (id 0) as src_key_padding_mask, shared embeddings.

        No memory_key_padding_mask: in eval, PyTorch 1.13's encoder returns the nested path's
        output cut to the longest source, and a [batch, source length] memory mask then no longer
        fits; eager fails whenever every source is padded at the end."""

        def __init__(self, d=32, heads=4):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, d, padding_idx=0)
            self.transformer = nn.Transformer(d, heads, 2, 2, 4 * d, batch_first=True)
            self.out = nn.Linear(d, VOCAB)

        def forward(self, src, tgt):
            tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
            pad = src == 0
            y = self.transformer(self.embed(src) * math.sqrt(32), self.embed(tgt) * math.sqrt(32),
                                 tgt_mask=tgt_mask, src_key_padding_mask=pad)
            return self.out(y)

    # name -> (module class, input set a, input set b); each set: list of (lengths, seq_len)
    return {
        "bert_classifier": (BertClassifier, [([7, 4], 7)], [([9, 3, 0], 9)]),
        "gpt_decoder": (GptDecoder, [([8, 8], 8)], [([5, 5, 5], 5)]),
        "seq2seq_transformer": (Seq2Seq, [([6, 3], 6), ([5, 5], 5)],
                                [([9, 2, 4], 9), ([7, 7, 7], 7)]),
    }


def token_ids(gen, lengths, seq_len):
    """Right-padded int64 ids: row b has lengths[b] tokens in [1, VOCAB), then zeros."""
    ids = torch.randint(1, VOCAB, (len(lengths), seq_len), generator=gen, dtype=torch.int64)
    for b, n in enumerate(lengths):
        ids[b, n:] = 0
    return ids


def write_npz(path, tensors):
    tmp = path + ".tmp.npz"
    np.savez(tmp, **{f"input_{k}": t.numpy() for k, t in enumerate(tensors)})
    os.replace(tmp, path)


def generate(name, spec, out_dir):
    cls, set_a, set_b = spec
    seed = zlib.crc32(name.encode()) & 0x7FFFFFFF
    torch.manual_seed(seed)
    model = cls().eval()
    gen = torch.Generator().manual_seed(seed + 1)
    xs_a = [token_ids(gen, lengths, n) for lengths, n in set_a]
    xs_b = [token_ids(gen, lengths, n) for lengths, n in set_b]
    with torch.no_grad():
        traced = torch.jit.trace(model, tuple(xs_a), check_trace=False)
        pt = os.path.join(out_dir, name + ".pt")
        traced.save(pt + ".tmp")
        loaded = torch.jit.load(pt + ".tmp")
        for xs in (xs_a, xs_b):
            want, got = model(*xs), loaded(*xs)
            if not torch.isfinite(want).all():
                raise AssertionError(f"{name}: eager output is not finite")
            if want.shape != got.shape or not torch.allclose(want, got, atol=1e-5, rtol=1e-5):
                raise AssertionError(f"{name}: the trace differs from eager at shapes "
                                     f"{[tuple(x.shape) for x in xs]}")
    os.replace(pt + ".tmp", pt)
    write_npz(os.path.join(out_dir, name + ".a.npz"), xs_a)
    write_npz(os.path.join(out_dir, name + ".b.npz"), xs_b)
    meta = {"name": name, "generator_version": GENERATOR_VERSION,
            "inputs": [{"shape": list(x.shape), "dtype": "int64"} for x in xs_a],
            "second_inputs": [{"shape": list(x.shape), "dtype": "int64"} for x in xs_b],
            "torch_version": torch.__version__}
    with open(os.path.join(out_dir, name + ".json.tmp"), "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(os.path.join(out_dir, name + ".json.tmp"), os.path.join(out_dir, name + ".json"))


def cached(out_dir, name):
    try:
        with open(os.path.join(out_dir, name + ".json")) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    files = [name + s for s in (".pt", ".a.npz", ".b.npz")]
    return (meta.get("generator_version") == GENERATOR_VERSION and
            all(os.path.exists(os.path.join(out_dir, f)) for f in files))


def main(argv):
    if len(argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out_dir, names = argv[1], argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    todo = [n for n in (names or ["bert_classifier", "gpt_decoder", "seq2seq_transformer"])
            if not cached(out_dir, n)]
    if not todo:
        return 0
    import_torch()
    torch.set_num_threads(1)
    table = models()
    rc = 0
    for name in todo:
        if name not in table:
            print(f"unknown model {name}", file=sys.stderr)
            rc = 1
            continue
        try:
            generate(name, table[name], out_dir)
            print(f"wrote {name}")
        except Exception as e:  # report every model, not just the first
            print(f"FAILED {name}: {type(e).__name__}: {e}", file=sys.stderr)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
