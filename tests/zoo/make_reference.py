#!/usr/bin/python3
"""Write the zoo parity references (torchvision state dicts, inputs, eager outputs) into the build tree.

usage: /usr/bin/python3 tests/zoo/make_reference.py OUT_DIR [NAME ...]

Needs Debian's torch 1.13 / torchvision 0.14 (/usr/bin/python3, not the python first on PATH).
For every model in MODELS (or only the NAMEs given) it writes
  OUT_DIR/<name>.pt    torch.save of a plain dict, readable by LibTorch's torch::pickle_load:
                         "keys"    list(model.state_dict().keys()), in PyTorch's order
                         "state"   dict key -> tensor (the state dict, contiguous copies)
                         "input"   the input tensor (batch 1)
                         "output"  the eager output of the model in eval mode under no_grad
  OUT_DIR/<name>.json  {"name", "generator_version", "input_shape", "output_shape", "seconds",
                        "torch_version", "torchvision_version"}
The models are built with num_classes=10. Weights are torchvision's initialisation, seeded from
the model name; every BatchNorm's running statistics, affine weights and num_batches_tracked and
every convolution/linear bias are randomized, so that a key that loads into the wrong place or not
at all changes the output. simple_cnn and tiny_net are our own models (src/zoo/README.md),
mirrored here in Python.

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

# name -> input shape. 64x64 keeps the tests fast; every model here accepts it.
MODELS = {
    "resnet18": [1, 3, 64, 64],
    "resnet34": [1, 3, 64, 64],
    "resnet50": [1, 3, 64, 64],
    "resnet101": [1, 3, 64, 64],
    "resnet152": [1, 3, 64, 64],
    "vgg11": [1, 3, 64, 64],
    "vgg13": [1, 3, 64, 64],
    "vgg16": [1, 3, 64, 64],
    "vgg19": [1, 3, 64, 64],
    "densenet121": [1, 3, 64, 64],
    "densenet161": [1, 3, 64, 64],
    "densenet169": [1, 3, 64, 64],
    "densenet201": [1, 3, 64, 64],
    "mobilenet_v2": [1, 3, 64, 64],
    "simple_cnn": [1, 3, 64, 64],
    "tiny_net": [1, 3, 64, 64],
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


def custom_model(name):
    """Our own models; layer for layer what src/zoo/custom.cpp builds."""
    if name == "simple_cnn":

        class SimpleCNN(nn.Module):
            def __init__(self, num_classes):
                super().__init__()
                layers = []
                cin = 3
                for cout in (32, 64, 128):
                    layers += [
                        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                        nn.BatchNorm2d(cout),
                        nn.ReLU(inplace=True),
                        nn.MaxPool2d(2, 2),
                    ]
                    cin = cout
                self.features = nn.Sequential(*layers)
                self.avgpool = nn.AdaptiveAvgPool2d(1)
                self.dropout = nn.Dropout(0.2)
                self.classifier = nn.Linear(128, num_classes)

            def forward(self, x):
                x = torch.flatten(self.avgpool(self.features(x)), 1)
                return self.classifier(self.dropout(x))

        return SimpleCNN(NUM_CLASSES)
    if name == "tiny_net":

        class TinyNet(nn.Module):
            def __init__(self, num_classes):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
                self.relu1 = nn.ReLU(inplace=True)
                self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
                self.relu2 = nn.ReLU(inplace=True)
                self.pool = nn.AdaptiveAvgPool2d(1)
                self.fc = nn.Linear(32, num_classes)

            def forward(self, x):
                x = self.relu2(self.conv2(self.relu1(self.conv1(x))))
                return self.fc(torch.flatten(self.pool(x), 1))

        return TinyNet(NUM_CLASSES)
    return None


def build(name):
    model = custom_model(name)
    if model is None:
        model = getattr(torchvision.models, name)(weights=None, num_classes=NUM_CLASSES)
    return model


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def randomize(module):
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.num_batches_tracked.fill_(int(torch.randint(1, 1000, ()).item()))
            elif isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
                m.bias.uniform_(-0.1, 0.1)


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
    model = build(name).eval()
    randomize(model)
    x = torch.randn(*shape)
    with torch.no_grad():
        y = model(x)
    if not torch.isfinite(y).all():
        raise RuntimeError(f"{name}: eager output is not finite")
    sd = model.state_dict()
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
