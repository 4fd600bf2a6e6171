#!/usr/bin/python3
"""Write the per-op test fixtures described in tests/ops/README.md.

usage: /usr/bin/python3 tests/ops/make_op_cases.py OUT_DIR [--only NAME_SUBSTRING]

Needs Debian's torch 1.13 (/usr/bin/python3, not the python first on PATH).
For every case in op_cases.CASES (or those whose name contains NAME_SUBSTRING):
  OUT_DIR/<name>/model.pt, input_<k>.npy, expected_<k>.npy, case.json
then OUT_DIR/index.json and a coverage report of op_cases.REQUIRED_OPS.
Exit status 1 if a case fails to generate or self-check, or (full runs only)
if a required op kind appears in no case.
"""

import argparse
import json
import os
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import op_cases  # noqa: E402

EXCLUDED_KINDS = {"prim::Constant", "prim::GetAttr"}
SECOND_BATCH_DELTA = 1  # dynamic_batch check runs batch + 1


def graph_kinds(graph):
    """Node kinds of a graph, recursing into blocks (prim::If / prim::Loop)."""
    out = set()

    def walk(nodes):
        for n in nodes:
            out.add(n.kind())
            for b in n.blocks():
                walk(b.nodes())

    walk(graph.nodes())
    return sorted(out - EXCLUDED_KINDS)


def frozen_kinds(scripted):
    """Kinds of the frozen, inlined forward graph. Plain freezing only
    (torch._C._freeze_module): torch.jit.freeze would also run the frozen-graph
    optimizations (conv-bn folding, dropout removal, ...), which change the ops."""
    frozen = torch._C._freeze_module(scripted._c)
    graph = frozen._get_method("forward").graph
    torch._C._jit_pass_inline(graph)
    return graph_kinds(graph)


def randomize(module):
    """Non-trivial statistics and affine weights so folding bugs show."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._NormBase):  # BatchNorm*, InstanceNorm*
                if m.running_mean is not None:
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
            if isinstance(m, (nn.modules.batchnorm._NormBase, nn.GroupNorm)):
                if m.affine:
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.5, 0.5)
            elif isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
            elif isinstance(m, nn.PReLU):
                m.weight.uniform_(0.05, 0.5)


def flatten_outputs(out):
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        flat = []
        for o in out:
            flat.extend(flatten_outputs(o))
        return flat
    raise TypeError(f"unsupported output type {type(out)}")


def batch_dims(case):
    dims = []
    for spec in case.inputs:
        bd = spec.batch_dim
        if bd == "auto":
            bd = 0 if case.dynamic_batch else None
        if bd is not None and not case.dynamic_batch:
            raise ValueError(f"{case.name}: batch_dim set but dynamic_batch is False")
        dims.append(bd)
    if case.dynamic_batch and all(d is None for d in dims):
        raise ValueError(f"{case.name}: dynamic_batch but no input has a batch dim")
    return dims


def make_inputs(case, seed, dims, batch=None):
    gen = torch.Generator().manual_seed(seed)
    xs = []
    for spec, bd in zip(case.inputs, dims):
        shape = list(spec.shape)
        if batch is not None and bd is not None:
            shape[bd] = batch
        xs.append(spec.make(gen, shape))
    if batch is None and case.dynamic_batch:
        sizes = {x.shape[bd] for x, bd in zip(xs, dims) if bd is not None}
        if len(sizes) != 1:
            raise ValueError(f"{case.name}: inputs disagree on the batch size: {sizes}")
    return xs


def compare(name, what, got, want, atol, rtol):
    if len(got) != len(want):
        raise AssertionError(f"{name}: {what}: {len(got)} outputs, expected {len(want)}")
    for k, (g, w) in enumerate(zip(got, want)):
        if g.dtype != w.dtype or tuple(g.shape) != tuple(w.shape):
            raise AssertionError(f"{name}: {what}: output {k}: {g.dtype}{tuple(g.shape)} vs "
                                 f"{w.dtype}{tuple(w.shape)}")
        gn, wn = g.detach().numpy(), w.detach().numpy()
        if g.is_floating_point():
            ok = np.allclose(gn, wn, atol=atol, rtol=rtol, equal_nan=True)
        else:
            ok = np.array_equal(gn, wn)
        if not ok:
            raise AssertionError(f"{name}: {what}: output {k} differs")


def run(module, xs):
    return flatten_outputs(module(*[x.clone() for x in xs]))


def generate(case, out_dir):
    seed = zlib.crc32(case.name.encode()) & 0x7FFFFFFF
    dims = batch_dims(case)
    torch.manual_seed(seed)
    module = case.make()
    randomize(module)
    module.eval()
    xs = make_inputs(case, seed + 1, dims)

    with torch.no_grad():
        expected = run(module, xs)
        for k, y in enumerate(expected):
            if y.is_floating_point() and not torch.isfinite(y).all():
                raise AssertionError(f"{case.name}: eager output {k} is not finite")
        if case.script:
            scripted = torch.jit.script(module)
        else:
            scripted = torch.jit.trace(module, tuple(x.clone() for x in xs), check_trace=False)
        ops = frozen_kinds(scripted)
        ops_traced = graph_kinds(scripted.inlined_graph)

        case_dir = os.path.join(out_dir, case.name)
        os.makedirs(case_dir, exist_ok=True)
        for f in os.listdir(case_dir):
            if f.endswith(".npy") and f.startswith(("input_", "expected_")):
                os.remove(os.path.join(case_dir, f))
        model_path = os.path.join(case_dir, "model.pt")
        scripted.save(model_path)

        # Self-checks: the saved model reproduces eager, also on a second batch size.
        loaded = torch.jit.load(model_path)
        compare(case.name, "saved model vs eager", run(loaded, xs), expected, case.atol, case.rtol)
        if case.dynamic_batch:
            b = next(x.shape[d] for x, d in zip(xs, dims) if d is not None)
            xs2 = make_inputs(case, seed + 2, dims, batch=b + SECOND_BATCH_DELTA)
            compare(case.name, f"saved model vs eager at batch {b + SECOND_BATCH_DELTA}",
                    run(loaded, xs2), run(module, xs2), case.atol, case.rtol)

    inputs_json = []
    for k, (x, spec, bd) in enumerate(zip(xs, case.inputs, dims)):
        np.save(os.path.join(case_dir, f"input_{k}.npy"), x.numpy())
        entry = {"shape": list(x.shape), "dtype": str(x.numpy().dtype), "batch_dim": bd,
                 "dist": spec.dist}
        if spec.dist == "normal":
            entry["scale"] = spec.scale
        elif spec.dist in ("uniform", "randint"):
            entry["low"], entry["high"] = spec.low, spec.high
        inputs_json.append(entry)
    outputs_json = []
    for k, y in enumerate(expected):
        arr = y.detach().contiguous().numpy()
        np.save(os.path.join(case_dir, f"expected_{k}.npy"), arr)
        outputs_json.append({"shape": list(arr.shape), "dtype": str(arr.dtype)})

    meta = {
        "name": case.name,
        "family": case.family,
        "ops": ops,
        "ops_traced": ops_traced,
        "inputs": inputs_json,
        "outputs": len(expected),
        "output_specs": outputs_json,
        "atol": case.atol,
        "rtol": case.rtol,
        "dynamic_batch": case.dynamic_batch,
        "script": case.script,
        "seed": seed,
    }
    if case.note:
        meta["note"] = case.note
    with open(os.path.join(case_dir, "case.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--only", metavar="NAME_SUBSTRING",
                    help="generate only cases whose name contains this; coverage is then "
                         "reported but not enforced")
    args = ap.parse_args()

    t0 = time.time()
    torch.set_num_threads(1)  # bit-reproducible reductions
    op_cases.validate_table()
    cases = [c for c in op_cases.CASES if args.only is None or args.only in c.name]
    if not cases:
        print(f"no case name contains {args.only!r}", file=sys.stderr)
        return 1
    os.makedirs(args.out_dir, exist_ok=True)

    metas, failures = [], []
    for case in cases:
        try:
            metas.append(generate(case, args.out_dir))
        except Exception as e:  # report every broken case, not just the first
            failures.append(case.name)
            print(f"FAILED {case.name}: {type(e).__name__}: {e}", file=sys.stderr)

    union = sorted({k for m in metas for k in m["ops"]})
    coverage = {op: [m["name"] for m in metas if op in m["ops"]] for op in op_cases.REQUIRED_OPS}
    missing = [op for op, names in coverage.items() if not names]
    families = {}
    for m in metas:
        families.setdefault(m["family"], []).append(m["name"])

    index = {
        "torch_version": torch.__version__,
        "cases": [m["name"] for m in metas],
        "families": families,
        "ops_union": union,
        "required_coverage": coverage,
        "missing_required": missing,
        "partial": args.only is not None,
    }
    with open(os.path.join(args.out_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")

    print(f"{len(metas)} cases written to {args.out_dir} in {time.time() - t0:.1f} s "
          f"(torch {torch.__version__})")
    print(f"op kinds seen ({len(union)}): {' '.join(union)}")
    if args.only is None:
        print("required op coverage:")
        for op, names in coverage.items():
            shown = ", ".join(names[:4]) + (f", ... (+{len(names) - 4})" if len(names) > 4 else "")
            print(f"  {op:40s} {shown if names else 'MISSING'}")
    rc = 0
    if failures:
        print(f"{len(failures)} case(s) failed: {' '.join(failures)}", file=sys.stderr)
        rc = 1
    if missing:
        if args.only is None:
            print(f"required ops not covered ({len(missing)}): {' '.join(missing)}",
                  file=sys.stderr)
            rc = 1
        else:
            print(f"partial run (--only): {len(missing)} required ops not covered, not enforced")
    elif args.only is None:
        print("all required ops covered")
    return rc


if __name__ == "__main__":
    sys.exit(main())
