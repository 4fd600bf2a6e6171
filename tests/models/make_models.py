#!/usr/bin/python3
"""Write the whole-model test fixtures (testing tier 3) into the build tree.

usage: /usr/bin/python3 tests/models/make_models.py OUT_DIR [NAME ...]

Needs Debian's torch 1.13 / torchvision 0.14 (/usr/bin/python3, not the python first on PATH).
For every model in MODELS (or only the NAMEs given) it writes
  OUT_DIR/<name>.pt    torch.jit.trace of the model in eval mode, under torch.no_grad()
  OUT_DIR/<name>.json  {"name", "generator_version", "input_shape", "output_shapes", "seconds",
                        "torch_version", "torchvision_version"}
Weights are random but seeded from the model name; BatchNorm running statistics and affine
weights, and LayerNorm affine weights, are randomized so that folding bugs show.
A model whose .pt and .json both exist, with the json's generator_version equal to
GENERATOR_VERSION, is skipped (the build tree is the cache). Files are written
under a temporary name and renamed, so an interrupted run never leaves a half-written fixture.
Each saved file is reloaded and checked against eager before it is kept. Exit status 1 if any
model fails.
"""

import json
import os
import sys
import time
import zlib

# Bump when the fixtures change (weights, statistics, shapes): cached files of another version are
# regenerated.
GENERATOR_VERSION = 2

# torch is imported only when a fixture has to be written: a cached run takes milliseconds.
torch = nn = torchvision = None

# name -> (torchvision.models builder, input shape). Small inputs keep the tests fast; ViT needs
# 224 with the stock builder (its positional embedding is sized for 224/32 = 7x7 patches).
MODELS = {
    "resnet18": ("resnet18", [1, 3, 64, 64]),
    "mobilenet_v3_small": ("mobilenet_v3_small", [1, 3, 64, 64]),
    "efficientnet_b0": ("efficientnet_b0", [1, 3, 64, 64]),
    "densenet121": ("densenet121", [1, 3, 64, 64]),
    "vgg11": ("vgg11", [1, 3, 32, 32]),
    "vit_b_32": ("vit_b_32", [1, 3, 224, 224]),
    "convnext_tiny": ("convnext_tiny", [1, 3, 64, 64]),
}


def import_torch():
    global torch, nn, torchvision
    if torch is None:
        import torch as _torch
        import torch.nn as _nn
        import torchvision as _torchvision

        torch, nn, torchvision = _torch, _nn, _torchvision
        torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def randomize(module):
    """Non-trivial normalization statistics and affine weights so folding bugs show."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                if m.running_mean is not None:
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
                if m.affine:
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.5, 0.5)
            elif isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
            elif isinstance(m, nn.Linear):
                # Some heads start at zero (ViT), which would make every output 0 and hide
                # any mistake in the layers before them.
                if not m.weight.abs().sum():
                    m.weight.normal_(0.0, 0.02)
                if m.bias is not None and not m.bias.abs().sum():
                    m.bias.uniform_(-0.1, 0.1)


def flatten(out):
    if isinstance(out, torch.Tensor):
        return [out]
    flat = []
    for o in out:
        flat.extend(flatten(o))
    return flat


def cached(pt, meta):
    if not (os.path.exists(pt) and os.path.exists(meta)):
        return False
    try:
        with open(meta) as f:
            return json.load(f).get("generator_version") == GENERATOR_VERSION
    except (OSError, ValueError):
        return False


def make(name, out_dir):
    pt = os.path.join(out_dir, name + ".pt")
    meta = os.path.join(out_dir, name + ".json")
    if cached(pt, meta):
        print(f"{name}: cached")
        return
    import_torch()
    start = time.time()
    builder, shape = MODELS[name]
    torch.manual_seed(seed_of(name))
    model = getattr(torchvision.models, builder)().eval()
    randomize(model)
    x = torch.randn(*shape)
    with torch.no_grad():
        # ViT fails the tracer's own sanity check in torch 1.13; the reload check below replaces it.
        traced = torch.jit.trace(model, x, check_trace=False)
        expected = flatten(model(x))
        tmp = pt + ".tmp"
        traced.save(tmp)
        reloaded = torch.jit.load(tmp)
        got = flatten(reloaded(x))
    if len(got) != len(expected):
        raise RuntimeError(f"{name}: reloaded model returns {len(got)} outputs, eager {len(expected)}")
    for g, e in zip(got, expected):
        if not torch.isfinite(e).all():
            raise RuntimeError(f"{name}: eager output is not finite")
        diff = (g - e).abs().max().item()
        if diff > 1e-4 * max(1.0, e.abs().max().item()):
            raise RuntimeError(f"{name}: reloaded model differs from eager by {diff}")
    os.replace(tmp, pt)
    seconds = round(time.time() - start, 2)
    info = {
        "name": name,
        "generator_version": GENERATOR_VERSION,
        "input_shape": shape,
        "output_shapes": [list(e.shape) for e in expected],
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
    names = argv[2:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"unknown model(s): {', '.join(unknown)} (known: {', '.join(MODELS)})", file=sys.stderr)
        return 2
    os.makedirs(out_dir, exist_ok=True)
    failed = []
    for name in names:
        try:
            make(name, out_dir)
        except Exception as e:  # report every model, then fail
            print(f"{name}: FAILED: {e}", file=sys.stderr)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
