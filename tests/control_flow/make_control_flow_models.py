#!/usr/bin/python3
"""Scripted models with data-dependent control flow, for tests/control_flow.

usage: /usr/bin/python3 tests/control_flow/make_control_flow_models.py OUT_DIR

Needs Debian's torch 1.13 (/usr/bin/python3). For each model writes
  OUT_DIR/<name>/model.pt               torch.jit.script, saved
  OUT_DIR/<name>/run_<k>/input_<i>.npy  input sets chosen to take every branch and
  OUT_DIR/<name>/run_<k>/expected_<j>.npy  several loop counts, with the scripted
                                        module's outputs (LibTorch)
  OUT_DIR/<name>/case.json              dynamic axes, and what each run exercises
and OUT_DIR/index.json. Run 0 is the example input given to the exporter.
"""

import json
import os
import sys
from typing import List

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)


class IfOnValue(nn.Module):
    """An if on a tensor value: the sign of the sum picks the branch."""

    def forward(self, x):
        if bool(x.sum() > 0):
            y = torch.tanh(x) * 2.0
        else:
            y = x - 1.0
        return y + 0.5


class IfOnSize(nn.Module):
    """An if on x.size(0); the branches give different shapes."""

    def forward(self, x):
        if x.size(0) > 2:
            y = x[0:2] * 2.0
        else:
            y = x + 1.0
        return y


class ForOverSize(nn.Module):
    """A for over range(x.size(1)), reading column i on iteration i."""

    def forward(self, x):
        acc = torch.zeros_like(x[:, 0])
        for i in range(x.size(1)):
            acc = acc * 0.5 + x[:, i]
        return acc


class WhileOnValue(nn.Module):
    """A while whose condition is computed from the carried tensor."""

    def forward(self, x):
        y = x
        steps = torch.zeros(1)
        while bool(y.abs().max() > 1.0):
            y = y * 0.5
            steps = steps + 1.0
        return y, steps


class GreedyDecoder(nn.Module):
    """An RNN cell fed its own argmax until the end token or a maximum length."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(6, 8)
        self.cell = nn.GRUCell(8, 8)
        self.proj = nn.Linear(8, 6)
        self.end = 0
        self.max_len = 12

    def forward(self, h):
        tok = torch.full([1], 3, dtype=torch.long)
        out: List[torch.Tensor] = []
        for _ in range(self.max_len):
            h = self.cell(self.embed(tok), h)
            tok = self.proj(h).argmax(-1)
            out.append(tok)
            if bool(tok[0] == self.end):
                break
        return torch.stack(out)


class Nested(nn.Module):
    """A loop over the rows with an if on each row's values inside."""

    def forward(self, x):
        acc = torch.zeros_like(x[0])
        for i in range(x.size(0)):
            row = x[i]
            if bool(row.mean() > 0):
                acc = acc + row
            else:
                acc = acc - 2.0 * row
        return acc


class ListInLoop(nn.Module):
    """A list of tensors built in a loop and concatenated."""

    def forward(self, x):
        parts: List[torch.Tensor] = []
        for i in range(x.size(1)):
            parts.append(x * float(i + 1))
        return torch.cat(parts, dim=1)


class ListLenIndex(nn.Module):
    """len() and indexing of a list built in a data-dependent loop."""

    def forward(self, x):
        parts: List[torch.Tensor] = []
        for i in range(x.size(0)):
            parts.append(x[i] * float(i + 1))
        return parts[-1] * float(len(parts)) + parts[0]


class SizeInLoop(nn.Module):
    """A loop whose count the data decides, reading a size that grows on every iteration."""

    def forward(self, x):
        acc = torch.zeros_like(x[:, 0])
        for i in range(int((x > 0).sum())):
            part = x[:, : i + 1]
            acc = acc + part.sum(1) / part.size(1)
        return acc


def rows(n, cols=4, sign=1.0):
    return torch.randn(n, cols) * 0.5 + sign


# name -> (module, dynamic axes (CLI short form, "" for none), [(inputs, what the run takes)])
def models():
    torch.manual_seed(1)
    big = torch.randn(3, 5) * 8.0
    return {
        "if_on_value": (IfOnValue(), "", [
            ([torch.rand(2, 4) + 0.1], "then"),
            ([-torch.rand(2, 4) - 0.1], "else"),
        ]),
        "if_on_size": (IfOnSize(), "input:0", [
            ([torch.randn(1, 3)], "else"),
            ([torch.randn(4, 3)], "then"),
            ([torch.randn(2, 3)], "else"),
        ]),
        "for_over_size": (ForOverSize(), "input:1", [
            ([torch.randn(2, 3)], "3 iterations"),
            ([torch.randn(2, 1)], "1 iteration"),
            ([torch.randn(2, 7)], "7 iterations"),
        ]),
        "while_on_value": (WhileOnValue(), "", [
            ([big], "several iterations"),
            ([big * 0.01], "no iteration"),
            ([big * 40.0], "more iterations"),
        ]),
        "greedy_decoder": (GreedyDecoder(), "", [
            ([torch.randn(1, 8)], "decode"),
            ([torch.randn(1, 8) * 3.0], "decode"),
            ([torch.randn(1, 8) - 2.0], "decode"),
            ([torch.zeros(1, 8)], "decode"),
        ]),
        "nested": (Nested(), "input:0", [
            ([torch.cat([rows(1, sign=1.0), rows(1, sign=-1.0)])], "both branches, 2 iterations"),
            ([rows(5, sign=1.0)], "then only, 5 iterations"),
            ([rows(3, sign=-1.0)], "else only, 3 iterations"),
        ]),
        "list_len_index": (ListLenIndex(), "input:0", [
            ([torch.randn(2, 3)], "2 items"),
            ([torch.randn(1, 3)], "1 item"),
            ([torch.randn(5, 3)], "5 items"),
        ]),
        "size_in_loop": (SizeInLoop(), "", [
            ([torch.randn(2, 6)], "about 6 iterations, the prefix growing"),
            ([torch.randn(2, 6).abs() + 0.1], "12 iterations"),
            ([-torch.randn(2, 6).abs() - 0.1], "no iteration"),
        ]),
        "list_in_loop": (ListInLoop(), "input:1", [
            ([torch.randn(2, 3)], "3 items"),
            ([torch.randn(2, 1)], "1 item"),
            ([torch.randn(2, 5)], "5 items"),
        ]),
    }


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    index = []
    for name, (module, dynamic, runs) in models().items():
        module.eval()
        scripted = torch.jit.script(module)
        case_dir = os.path.join(out_dir, name)
        os.makedirs(case_dir, exist_ok=True)
        scripted.save(os.path.join(case_dir, "model.pt"))
        described = []
        for k, (inputs, what) in enumerate(runs):
            run_dir = os.path.join(case_dir, "run_%d" % k)
            os.makedirs(run_dir, exist_ok=True)
            with torch.no_grad():
                outputs = scripted(*inputs)
                eager = module(*inputs)
            if isinstance(outputs, torch.Tensor):
                outputs, eager = (outputs,), (eager,)
            for got, want in zip(outputs, eager):
                assert torch.equal(got, want), name + ": scripted and eager differ"
            for i, t in enumerate(inputs):
                np.save(os.path.join(run_dir, "input_%d.npy" % i), t.numpy())
            for j, t in enumerate(outputs):
                np.save(os.path.join(run_dir, "expected_%d.npy" % j), t.numpy())
            described.append({"what": what, "inputs": len(inputs), "outputs": len(outputs)})
        with open(os.path.join(case_dir, "case.json"), "w") as f:
            json.dump({"dynamic_axes": dynamic, "runs": described}, f, indent=1)
        index.append(name)
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    print("wrote %d control-flow models to %s" % (len(index), out_dir))


if __name__ == "__main__":
    main()
