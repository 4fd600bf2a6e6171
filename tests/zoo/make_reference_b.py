#!/usr/bin/python3
"""Write the zoo parity references for mobilenet_v3, efficientnet, vit and convnext into the build tree.

usage: /usr/bin/python3 tests/zoo/make_reference_b.py OUT_DIR [NAME ...]

The companion of make_reference.py (same file layout, same cache rule), for the families of
src/zoo/{mobilenet_v3,efficientnet,vit,convnext}.cpp. Needs Debian's torch 1.13 / torchvision 0.14
(/usr/bin/python3, not the python first on PATH). For every model in MODELS (or only the NAMEs
given) it writes
  OUT_DIR/<name>.pt    torch.save of a plain dict, readable by LibTorch's torch::pickle_load:
                         "keys"    list(model.state_dict().keys()), in PyTorch's order
                         "state"   dict key -> tensor (the state dict, contiguous copies)
                         "input"   the input tensor (batch 1)
                         "output"  the eager output of the model in eval mode under no_grad
  OUT_DIR/<name>.json  {"name", "generator_version", "input_shape", "output_shape", "seconds",
                        "torch_version", "torchvision_version"}
The models are torchvision's builders with num_classes=10 (ViT with its default image_size 224).
Weights are torchvision's initialisation, seeded from the model name, then everything that
torchvision initialises to a constant is randomized so that a key that loads into the wrong place
or not at all changes the output: BatchNorm running statistics, affine weights and
num_batches_tracked; LayerNorm (and ConvNeXt's LayerNorm2d) affine weights; convolution, linear
and attention in_proj biases; ConvNeXt's layer_scale (1e-6 would hide every block); ViT's
class_token, pos_embedding and zero-initialised head; MobileNetV3's classifier weights get
PyTorch's default Linear init (torchvision's N(0, 0.01) makes the output mostly bias). The script
then checks that no floating-point tensor of the state dict is constant.

A model whose .pt and .json both exist, with the json's generator_version equal to
GENERATOR_VERSION, is skipped (the build tree is the cache). Files are written under a temporary
name and renamed. Exit status 1 if any model fails.
"""

import json
import os
import sys
import time
import zlib

# Bump when the references change (weights, statistics, shapes, file layout).
GENERATOR_VERSION = 1

NUM_CLASSES = 10

# name -> input shape. 64x64 keeps the convolutional models fast (each accepts it); ViT's
# positional embedding fixes its input at the builder's image_size (224).
MODELS = {
    "mobilenet_v3_small": [1, 3, 64, 64],
    "mobilenet_v3_large": [1, 3, 64, 64],
    "efficientnet_b0": [1, 3, 64, 64],
    "efficientnet_b1": [1, 3, 64, 64],
    "efficientnet_b2": [1, 3, 64, 64],
    "efficientnet_b3": [1, 3, 64, 64],
    "vit_b_16": [1, 3, 224, 224],
    "vit_b_32": [1, 3, 224, 224],
    "vit_l_16": [1, 3, 224, 224],
    "convnext_tiny": [1, 3, 64, 64],
    "convnext_small": [1, 3, 64, 64],
    "convnext_base": [1, 3, 64, 64],
}

torch = nn = torchvision = None  # imported only when a reference has to be written


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


def randomize(model):
    from torchvision.models.convnext import CNBlock
    from torchvision.models.mobilenetv3 import MobileNetV3
    from torchvision.models.vision_transformer import VisionTransformer

    with torch.no_grad():
        if isinstance(model, MobileNetV3):
            # torchvision's N(0, 0.01) classifier weights leave the output ~ the last bias, which
            # would hide errors in the features (a wrong BatchNorm eps): PyTorch's default
            # Linear init instead.
            for m in model.classifier.modules():
                if isinstance(m, nn.Linear):
                    m.reset_parameters()
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.num_batches_tracked.fill_(int(torch.randint(1, 1000, ()).item()))
            elif isinstance(m, nn.LayerNorm):  # LayerNorm2d is a subclass
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
            elif isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
                m.bias.uniform_(-0.1, 0.1)
            elif isinstance(m, nn.MultiheadAttention):
                m.in_proj_bias.uniform_(-0.1, 0.1)
            if isinstance(m, CNBlock):
                m.layer_scale.uniform_(0.5, 1.5)
            if isinstance(m, VisionTransformer):
                m.class_token.normal_(0.0, 0.5)
                m.encoder.pos_embedding.normal_(0.0, 0.5)
                m.heads.head.weight.normal_(0.0, 0.05)
        # MultiheadAttention's out_proj is a Linear subclass: covered above.


def check_not_constant(name, sd):
    for key, value in sd.items():
        if value.is_floating_point() and value.numel() > 1 and bool((value == value.flatten()[0]).all()):
            raise RuntimeError(f"{name}: state tensor {key} is constant after randomization")


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
    shape = MODELS[name]
    torch.manual_seed(seed_of(name))
    model = getattr(torchvision.models, name)(weights=None, num_classes=NUM_CLASSES).eval()
    randomize(model)
    x = torch.randn(*shape)
    with torch.no_grad():
        y = model(x)
    if not torch.isfinite(y).all():
        raise RuntimeError(f"{name}: eager output is not finite")
    sd = model.state_dict()
    check_not_constant(name, sd)
    record = {
        "keys": list(sd.keys()),
        # A plain dict (not the OrderedDict with _metadata) of plain tensors: what pickle_load reads.
        "state": {k: v.detach().clone().contiguous() for k, v in sd.items()},
        "input": x.contiguous(),
        "output": y.contiguous(),
    }
    tmp = pt + ".tmp"
    torch.save(record, tmp)
    os.replace(tmp, pt)
    seconds = round(time.time() - start, 2)
    info = {
        "name": name,
        "generator_version": GENERATOR_VERSION,
        "input_shape": shape,
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
