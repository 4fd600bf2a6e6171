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
                                   (a segmentation model's result["out"])
  OUT_DIR/<name>.json  {"name", "generator_version", "input_shape", "output_shape", "seconds",
                        "torch_version", "torchvision_version"}
MODELS says, per model, its input shape, its class count and its kind: torchvision's
classification builders (num_classes=10; ViT with its default image_size 224), our own
simple_cnn and tiny_net (src/zoo/README.md, mirrored here in Python), and torchvision's
segmentation builders (weights=None, weights_backbone=None, num_classes=5; a name ending in "_aux"
is the model built with aux_loss=True, its state holding aux_classifier.*).
Weights are torchvision's initialisation, seeded from the model name, then everything that
torchvision initialises to a constant is randomized so that a key that loads into the wrong place
or not at all changes the output: BatchNorm running statistics, affine weights and
num_batches_tracked; LayerNorm (and ConvNeXt's LayerNorm2d) affine weights; convolution, linear
and attention in_proj biases; ConvNeXt's layer_scale (1e-6 would hide every block); ViT's
class_token, pos_embedding and zero-initialised head; MobileNetV3's classifier weights get
PyTorch's default Linear init (torchvision's N(0, 0.01) makes the output mostly bias). For the
models marked check_constant the script then checks that no floating-point tensor of the state
dict is constant.

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


def classification(shape=(1, 3, 64, 64), check_constant=True):
    return {"shape": list(shape), "classes": 10, "segmentation": False,
            "check_constant": check_constant}


def segmentation():
    # 96x80: dilated ResNets give 12x10 features (output stride 8), mobilenet_v3_large 6x5 (16), so
    # ASPP's dilated branches and the bilinear resize see more than padding; height and width
    # differ so a swap shows.
    return {"shape": [1, 3, 96, 80], "classes": 5, "segmentation": True, "check_constant": True}


# name -> how its reference is made. 64x64 keeps the convolutional models fast (each accepts it);
# ViT's positional embedding fixes its input at the builder's image_size (224).
MODELS = {
    # src/zoo/{resnet,vgg,densenet,mobilenet_v2,custom}.cpp
    "resnet18": classification(check_constant=False),
    "resnet34": classification(check_constant=False),
    "resnet50": classification(check_constant=False),
    "resnet101": classification(check_constant=False),
    "resnet152": classification(check_constant=False),
    "vgg11": classification(check_constant=False),
    "vgg13": classification(check_constant=False),
    "vgg16": classification(check_constant=False),
    "vgg19": classification(check_constant=False),
    "densenet121": classification(check_constant=False),
    "densenet161": classification(check_constant=False),
    "densenet169": classification(check_constant=False),
    "densenet201": classification(check_constant=False),
    "mobilenet_v2": classification(check_constant=False),
    "simple_cnn": classification(check_constant=False),
    "tiny_net": classification(check_constant=False),
    # src/zoo/{mobilenet_v3,efficientnet,vit,convnext}.cpp
    "mobilenet_v3_small": classification(),
    "mobilenet_v3_large": classification(),
    "efficientnet_b0": classification(),
    "efficientnet_b1": classification(),
    "efficientnet_b2": classification(),
    "efficientnet_b3": classification(),
    "vit_b_16": classification((1, 3, 224, 224)),
    "vit_b_32": classification((1, 3, 224, 224)),
    "vit_l_16": classification((1, 3, 224, 224)),
    "convnext_tiny": classification(),
    "convnext_small": classification(),
    "convnext_base": classification(),
    # src/zoo/segmentation.cpp
    "fcn_resnet50": segmentation(),
    "fcn_resnet101": segmentation(),
    "deeplabv3_resnet50": segmentation(),
    "deeplabv3_resnet101": segmentation(),
    "deeplabv3_mobilenet_v3_large": segmentation(),
    "lraspp_mobilenet_v3_large": segmentation(),
    "fcn_resnet50_aux": segmentation(),
    "deeplabv3_mobilenet_v3_large_aux": segmentation(),
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


def custom_model(name, num_classes):
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

        return SimpleCNN(num_classes)
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

        return TinyNet(num_classes)
    return None


def build(name):
    spec = MODELS[name]
    if spec["segmentation"]:
        aux = name.endswith("_aux")
        builder = getattr(torchvision.models.segmentation, name[:-4] if aux else name)
        return builder(weights=None, weights_backbone=None, num_classes=spec["classes"],
                       aux_loss=aux)
    model = custom_model(name, spec["classes"])
    if model is None:
        model = getattr(torchvision.models, name)(weights=None, num_classes=spec["classes"])
    return model


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
    spec = MODELS[name]
    shape = spec["shape"]
    torch.manual_seed(seed_of(name))
    model = build(name).eval()
    randomize(model)
    x = torch.randn(*shape)
    with torch.no_grad():
        y = model(x)
        if spec["segmentation"]:
            y = y["out"]
    if not torch.isfinite(y).all():
        raise RuntimeError(f"{name}: eager output is not finite")
    sd = model.state_dict()
    if spec["check_constant"]:
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
