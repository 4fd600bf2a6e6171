"""Writes a traced torchvision resnet18 with seeded weights and BatchNorm statistics (demo input)."""
import sys

import torch
import torchvision


def main(path):
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=1000).eval()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    with torch.no_grad():
        traced = torch.jit.trace(model, torch.randn(1, 3, 224, 224))
    traced.save(path)


if __name__ == "__main__":
    main(sys.argv[1])
