#!/usr/bin/python3
"""Write the zoo parity references for the segmentation models into the build tree.

usage: /usr/bin/python3 tests/zoo/make_reference_seg.py OUT_DIR [NAME ...]

The companion of make_reference.py / make_reference_b.py (same file layout, same cache rule), for
src/zoo/segmentation.cpp. Needs Debian's torch 1.13 / torchvision 0.14 (/usr/bin/python3). For
every NAME in MODELS it writes OUT_DIR/<name>.pt, a plain dict readable by torch::pickle_load:
  "keys"    list(model.state_dict().keys()), in PyTorch's order
  "state"   dict key -> tensor
  "input"   the input tensor (batch 1, height and width differ so a swap shows)
  "output"  model(input)["out"] in eval mode under no_grad
and OUT_DIR/<name>.json ({"name", "generator_version", "input_shape", "output_shape", ...}).
A name ending in "_aux" is the model built with aux_loss=True (its state holds aux_classifier.*;
the output is still "out"). Models are torchvision's builders with weights=None,
weights_backbone=None, num_classes=5, seeded from the name; BatchNorm running statistics and
affine weights and every convolution bias are then randomized, so a key that loads into the wrong
place changes the output, and no floating-point tensor may stay constant.
Exit status 1 if any model fails.
"""

import json
import os
import sys
import time
import zlib

GENERATOR_VERSION = 1
NUM_CLASSES = 5
# 96x80: dilated ResNets give 12x10 features (output stride 8), mobilenet_v3_large 6x5 (16), so
# ASPP's dilated branches and the bilinear resize see more than padding.
SHAPE = [1, 3, 96, 80]
BASE = [
    "fcn_resnet50",
    "fcn_resnet101",
    "deeplabv3_resnet50",
    "deeplabv3_resnet101",
    "deeplabv3_mobilenet_v3_large",
    "lraspp_mobilenet_v3_large",
]
MODELS = BASE + ["fcn_resnet50_aux", "deeplabv3_mobilenet_v3_large_aux"]

torch = nn = torchvision = None


def import_torch():
    global torch, nn, torchvision
    if torch is None:
        import torch as _torch
        import torch.nn as _nn
        import torchvision as _torchvision

        torch, nn, torchvision = _torch, _nn, _torchvision
        torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))


def randomize(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.num_batches_tracked.fill_(int(torch.randint(1, 1000, ()).item()))
            elif isinstance(m, nn.Conv2d) and m.bias is not None:
                m.bias.uniform_(-0.1, 0.1)


def cached(pt, meta):
    if not (os.path.exists(pt) and os.path.exists(meta)):
        return False
    try:
        with open(meta) as f:
            return json.load(f).get("generator_version") == GENERATOR_VERSION
    except (OSError, ValueError):
        return False


def build(name):
    aux = name.endswith("_aux")
    builder = getattr(torchvision.models.segmentation, name[:-4] if aux else name)
    return builder(weights=None, weights_backbone=None, num_classes=NUM_CLASSES, aux_loss=aux)


def make(name, out_dir):
    pt = os.path.join(out_dir, name + ".pt")
    meta = os.path.join(out_dir, name + ".json")
    if cached(pt, meta):
        print(f"{name}: cached")
        return
    import_torch()
    start = time.time()
    torch.manual_seed(zlib.crc32(name.encode()) & 0x7FFFFFFF)
    model = build(name).eval()
    randomize(model)
    x = torch.randn(*SHAPE)
    with torch.no_grad():
        y = model(x)["out"]
    if not torch.isfinite(y).all():
        raise RuntimeError(f"{name}: eager output is not finite")
    sd = model.state_dict()
    for key, value in sd.items():
        if value.is_floating_point() and value.numel() > 1 and bool((value == value.flatten()[0]).all()):
            raise RuntimeError(f"{name}: state tensor {key} is constant after randomization")
    record = {
        "keys": list(sd.keys()),
        "state": {k: v.detach().clone().contiguous() for k, v in sd.items()},
        "input": x.contiguous(),
        "output": y.contiguous(),
    }
    torch.save(record, pt + ".tmp")
    os.replace(pt + ".tmp", pt)
    seconds = round(time.time() - start, 2)
    info = {
        "name": name,
        "generator_version": GENERATOR_VERSION,
        "input_shape": SHAPE,
        "output_shape": list(y.shape),
        "seconds": seconds,
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
    }
    with open(meta + ".tmp", "w") as f:
        json.dump(info, f, indent=1)
    os.replace(meta + ".tmp", meta)
    print(f"{name}: wrote {pt} ({seconds} s)")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = argv[1]
    names = argv[2:] or MODELS
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"unknown model(s): {', '.join(unknown)} (known: {', '.join(MODELS)})", file=sys.stderr)
        return 2
    os.makedirs(out_dir, exist_ok=True)
    failed = []
    for name in names:
        try:
            make(name, out_dir)
        except Exception as e:
            print(f"{name}: FAILED: {e}", file=sys.stderr)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
