#!/usr/bin/python3
"""Write the zoo parity reference for padim_resnet18 (src/zoo/padim.cpp) into the build tree.

usage: /usr/bin/python3 tests/zoo/make_reference_anomaly.py OUT_DIR [--checkpoint PATH]

PaDiM computed here in Python from its description (torchvision resnet18's layer1-3, the deeper
two resized nearest to layer1's grid and concatenated, `idx` channels kept, per-patch Mahalanobis
distance to a Gaussian, bilinear resize to the input, maximum per image), on a 1x3x64x48 input
(16x12 = 192 patches) with 100 of 448 channels picked at random. The statistics are fitted on
random "training" images (mean and regularised covariance per patch, as PaDiM does), so the
distances are those of a real fit. Writes OUT_DIR/padim_resnet18.pt, a dict readable by
torch::pickle_load: "keys", "state", "input", "anomaly_map", "pred_score"; with --checkpoint also
a training-script checkpoint {"model_name", "task", "input_size", "state_dict"} at PATH.
Exit status 1 on failure.
"""

import os
import sys
import zlib

GENERATOR_VERSION = 1
SHAPE = [1, 3, 64, 48]
KEPT = 100


def build(torch, torchvision):
    from collections import OrderedDict

    from torchvision.models._utils import IntermediateLayerGetter

    class Gaussian(torch.nn.Module):
        def __init__(self, channels, patches):
            super().__init__()
            self.register_buffer("mean", torch.zeros(channels, patches))
            self.register_buffer("inv_covariance", torch.zeros(patches, channels, channels))

    class Padim(torch.nn.Module):
        def __init__(self, channels, patches):
            super().__init__()
            self.register_buffer("idx", torch.zeros(channels, dtype=torch.long))
            resnet = torchvision.models.resnet18()
            self.backbone = IntermediateLayerGetter(
                resnet, OrderedDict([("layer1", "layer1"), ("layer2", "layer2"), ("layer3", "layer3")]))
            self.gaussian = Gaussian(channels, patches)

        def embedding(self, x):
            f = self.backbone(x)
            e = f["layer1"]
            for name in ("layer2", "layer3"):
                e = torch.cat([e, torch.nn.functional.interpolate(f[name], size=e.shape[-2:], mode="nearest")], 1)
            return e.index_select(1, self.idx)

        def forward(self, x):
            e = self.embedding(x)
            n, c, h, w = e.shape
            delta = (e.reshape(n, c, h * w) - self.gaussian.mean).permute(2, 0, 1)
            d = (torch.matmul(delta, self.gaussian.inv_covariance) * delta).sum(2).permute(1, 0)
            d = d.reshape(n, 1, h, w).clamp(min=0).sqrt()
            amap = torch.nn.functional.interpolate(d, size=x.shape[-2:], mode="bilinear", align_corners=False)
            return amap, amap.reshape(n, -1).amax(1)

    return Padim


def make(out_dir, checkpoint):
    import torch
    import torchvision

    torch.manual_seed(zlib.crc32(b"padim_resnet18") & 0x7FFFFFFF)
    patches = (SHAPE[2] // 4) * (SHAPE[3] // 4)
    model = build(torch, torchvision)(KEPT, patches).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
        model.idx.copy_(torch.randperm(448)[:KEPT])
        train = torch.cat([model.embedding(torch.randn(8, *SHAPE[1:])) for _ in range(4)])  # 32 images
        n, c, h, w = train.shape
        e = train.reshape(n, c, h * w)
        mean = e.mean(0)
        centred = (e - mean).permute(2, 0, 1)  # [P, n, C]
        cov = torch.matmul(centred.transpose(1, 2), centred) / (n - 1) + 0.01 * torch.eye(c)
        model.gaussian.mean.copy_(mean)
        model.gaussian.inv_covariance.copy_(torch.linalg.inv(cov))
        x = torch.randn(*SHAPE)
        amap, score = model(x)
    sd = model.state_dict()
    record = {"keys": list(sd.keys()),
              "state": {k: v.detach().clone().contiguous() for k, v in sd.items()},
              "input": x.contiguous(), "anomaly_map": amap.contiguous(), "pred_score": score.contiguous()}
    path = os.path.join(out_dir, "padim_resnet18.pt")
    torch.save(record, path + ".tmp")
    os.replace(path + ".tmp", path)
    if checkpoint:
        torch.save({"model_name": "padim_resnet18", "task": "anomaly", "input_size": SHAPE[2:],
                    "state_dict": sd}, checkpoint + ".tmp")
        os.replace(checkpoint + ".tmp", checkpoint)
    print(f"padim_resnet18: wrote {path}")


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--checkpoint"):
        print(__doc__, file=sys.stderr)
        return 2
    os.makedirs(argv[1], exist_ok=True)
    try:
        make(argv[1], argv[3] if len(argv) == 4 else None)
    except Exception as e:
        print(f"padim_resnet18: FAILED: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
