"""Traces the benchmark workloads (torchvision 0.14, seeded weights, random BatchNorm statistics)."""
import os
import sys

import torch
import torchvision

WORKLOADS = ["resnet18", "resnet50", "mobilenet_v3_large", "efficientnet_b0", "densenet121",
             "vit_b_16", "convnext_tiny"]


def randomize(model):
    """Trained-looking statistics, and no all-zero head (ViT's starts at zero)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
            elif isinstance(m, torch.nn.Linear) and not m.weight.abs().sum():
                m.weight.normal_(0.0, 0.02)


def make(name, path):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)().eval()
    randomize(model)
    with torch.no_grad():
        traced = torch.jit.trace(model, torch.randn(1, 3, 224, 224), check_trace=False)
    traced.save(path)


def make_checkpoint(name, path, seed=0):
    """A training script's checkpoint: {"model_name", "num_classes", "state_dict", "epoch"}."""
    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)(num_classes=10).eval()
    randomize(model)
    torch.save({"model_name": name, "num_classes": 10, "epoch": 1,
                "state_dict": model.state_dict()}, path)


def main(out_dir, names):
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        path = os.path.join(out_dir, name + ".pt")
        if not os.path.exists(path):
            make(name, path)
        ckpt = os.path.join(out_dir, name + ".ckpt.pt")
        if not os.path.exists(ckpt):
            make_checkpoint(name, ckpt)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] or WORKLOADS)
