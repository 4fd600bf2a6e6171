"""Torchvision models for the `models.torchvision` test tier and the `bench/` peer run.

Runs under Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14); never on the export path.

    tv_models.py list                       the models of the tier, one per line (name family)
    tv_models.py fixture NAME OUT_DIR       trace NAME into OUT_DIR/NAME (model.pt, inputs, eager outputs)

A fixture is: model.pt (torch.jit.trace of the eval model, check_trace=False), input_<k>.npy,
inputs.npz (the same arrays, for --sample_input), expected_<k>.npy (eager outputs) and case.json
(input shapes, parameter count, family). Weights are random (seeded by the name) and BatchNorm
running statistics are randomized, so folding bugs show.
"""
import json
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torchvision
import torchvision.models as tvm

# An export holds the weights at least twice (LibTorch's module and the IR), plus LibTorch itself
# (~0.2 GB): models whose estimate is over the budget are skipped without tracing; the others are
# stopped by tv_check.py if their measured resident memory passes it.
# MLEXPORT_TV_MEMORY_GB raises the budget (the tier's second pass over the models skipped at 1.5).
RSS_BUDGET_BYTES = int(float(os.environ.get("MLEXPORT_TV_MEMORY_GB", "1.5")) * 1024 ** 3)
BYTES_PER_PARAM_IN_EXPORT = 4 * 2
BASE_RSS_BYTES = 200 * 1024 ** 2

# Families by builder module; detection has its own tier and quantized models are not float
# models (their int8 kernels have no eager float reference to compare with).
FAMILY_BY_MODULE = {
    "torchvision.models.segmentation": "segmentation",
    "torchvision.models.video": "video",
    "torchvision.models.optical_flow": "optical_flow",
}
EXCLUDED_PREFIXES = ("torchvision.models.detection", "torchvision.models.quantization")

# Inputs no larger than each model allows.
VIDEO_INPUT = {"mvit_v1_b": (1, 3, 16, 224, 224), "mvit_v2_s": (1, 3, 16, 224, 224),
               "s3d": (1, 3, 16, 224, 224)}
RAFT_SIZE = (1, 3, 128, 128)
RAFT_FLOW_UPDATES = 4


def family_of(name):
    module = tvm.get_model_builder(name).__module__
    if module.startswith(EXCLUDED_PREFIXES):
        return None
    for prefix, family in FAMILY_BY_MODULE.items():
        if module.startswith(prefix):
            return family
    return "classification"


def models():
    out = []
    for name in sorted(tvm.list_models()):
        family = family_of(name)
        if family:
            out.append((name, family))
    return out


def input_shapes(name, family):
    if family == "video":
        return [VIDEO_INPUT.get(name, (1, 3, 8, 112, 112))]
    if family == "optical_flow":
        return [RAFT_SIZE, RAFT_SIZE]
    if name == "inception_v3":
        return [(1, 3, 299, 299)]
    return [(1, 3, 224, 224)]


class FirstOutput(nn.Module):
    """Segmentation models return a dict, RAFT a list of flows: export the main tensor."""

    def __init__(self, model, family):
        super().__init__()
        self.model = model
        self.family = family

    def forward(self, *x):
        if self.family == "segmentation":
            return self.model(*x)["out"]
        if self.family == "optical_flow":
            return self.model(*x, num_flow_updates=RAFT_FLOW_UPDATES)[-1]
        return self.model(*x)


def randomize_norms(model, gen):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=gen) - 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) * 1.5 + 0.5)
                if m.weight is not None:
                    m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                    m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)


def build(name, family):
    torch.manual_seed(zlib.crc32(name.encode()))
    # Segmentation builders would otherwise download ImageNet backbone weights.
    kwargs = {"aux_loss": False, "weights_backbone": None} if family == "segmentation" else {}
    if name in ("googlenet", "inception_v3"):
        kwargs["aux_logits"] = False
        kwargs["init_weights"] = True
    model = tvm.get_model(name, weights=None, **kwargs).eval()
    randomize_norms(model, torch.Generator().manual_seed(zlib.crc32(name.encode()) + 1))
    return FirstOutput(model, family).eval()


def fixture(name, out_dir):
    family = family_of(name)
    if family is None:
        raise SystemExit(f"{name}: not in the tier (detection or quantized)")
    case_dir = os.path.join(out_dir, name)
    os.makedirs(case_dir, exist_ok=True)
    model = build(name, family)
    params = sum(p.numel() for p in model.parameters())
    case = {"name": name, "family": family, "params": params,
            "inputs": [list(s) for s in input_shapes(name, family)],
            "torch_version": torch.__version__, "torchvision_version": torchvision.__version__}
    estimate = BASE_RSS_BYTES + params * BYTES_PER_PARAM_IN_EXPORT
    if estimate > RSS_BUDGET_BYTES:
        case["skip"] = (f"{params / 1e6:.0f}M parameters: an export needs about "
                        f"{estimate / 1024 ** 3:.1f} GB, over this machine's "
                        f"{RSS_BUDGET_BYTES / 1024 ** 3:.1f} GB budget")
        json.dump(case, open(os.path.join(case_dir, "case.json"), "w"), indent=1)
        return case
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 2)
    inputs = tuple(torch.rand(s, generator=gen) * 2 - 1 for s in case["inputs"])
    with torch.no_grad():
        expected = model(*inputs)
        traced = torch.jit.trace(model, inputs, check_trace=False)
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    traced.save(os.path.join(case_dir, "model.pt.tmp"))
    os.replace(os.path.join(case_dir, "model.pt.tmp"), os.path.join(case_dir, "model.pt"))
    arrays = {}
    for k, t in enumerate(inputs):
        np.save(os.path.join(case_dir, f"input_{k}.npy"), t.numpy())
        arrays[f"input_{k}"] = t.numpy()
    np.savez(os.path.join(case_dir, "inputs.npz"), **arrays)
    for k, t in enumerate(expected):
        np.save(os.path.join(case_dir, f"expected_{k}.npy"), t.numpy())
    case["outputs"] = len(expected)
    json.dump(case, open(os.path.join(case_dir, "case.json"), "w"), indent=1)
    return case


def main(argv):
    if len(argv) >= 2 and argv[1] == "list":
        for name, family in models():
            print(name, family)
        return 0
    if len(argv) == 4 and argv[1] == "fixture":
        fixture(argv[2], argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
