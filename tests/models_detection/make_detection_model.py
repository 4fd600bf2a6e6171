#!/usr/bin/python3
"""Traces one torchvision detector for tests/models_detection.

usage: /usr/bin/python3 make_detection_model.py NAME OUT_DIR

Writes OUT_DIR/NAME/model.pt (traced in eval mode with the model's own pre- and
post-processing, NMS included, behind the wrapper users need: it returns a tuple of
tensors instead of a list of dicts) and OUT_DIR/NAME/image.npy (one 3x320x320 synthetic
scene, batch of 1). Skips the work when both exist. Needs Debian's torch 1.13 and
torchvision 0.14 (/usr/bin/python3).

Weights are random (no download) and then made meaningful in two steps:
- batch norm: random scale and shift, and running statistics measured on four synthetic
  scenes, so every layer's output keeps unit scale. With made-up statistics the random
  backbone loses its input: deep features vary over the image by a ten-thousandth of their
  size, neighbouring anchors get scores a millionth apart, and which of them survive top-k
  and NMS is an accident of float rounding.
- heads: the last layer of every head is rescaled (bias zero) so that on a calibration scene
  its outputs have a standard deviation of 1 for class logits and 0.3 for box deltas;
  otherwise every score saturates at exactly 1.0. (At 2, PyTorch's own scores for a 352x320
  image, with and without oneDNN, differed by up to 1.1e-4, past the guide's WARN band.)
The score threshold is 0 so every image gives the full number of detections.
"""

import os
import re
import sys

import numpy as np
import torch
import torchvision  # noqa: F401  (registers torchvision::nms, roi_align for the trace)
from torchvision.models import detection


class Detections(torch.nn.Module):
    """What a user writes to trace a detector: one image in, tensors out."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        out = self.model([images[0]])[0]
        result = [out["boxes"], out["scores"], out["labels"]]
        if "masks" in out:
            result.append(out["masks"])
        if "keypoints" in out:
            result.append(out["keypoints"])
        return tuple(result)


# The last layer of each head: RPN and box predictors, RetinaNet/FCOS/SSD heads, keypoint and
# mask predictors.
FINAL_LAYER = re.compile(r"(cls_logits|bbox_pred|cls_score|bbox_reg|bbox_ctrness|kps_score_lowres"
                         r"|mask_fcn_logits|(classification|regression)_head\.module_list\.\d+(\.1)?)$")
LOGIT_STD, DELTA_STD = 1.0, 0.3
# Written beside a fixture; a fixture of another version (other weights) is made again.
FIXTURE_VERSION = "3: batch norm measured, heads calibrated to logits of std 1, scene image"


def scene(seed, height=320, width=320):
    """A smooth colour gradient with eight filled rectangles and ellipses, and light noise."""
    gen = torch.Generator().manual_seed(seed)
    y, x = torch.meshgrid(torch.linspace(0, 1, height), torch.linspace(0, 1, width), indexing="ij")
    colours = torch.rand(3, 3, generator=gen)
    image = (colours[:, 0, None, None] * (1 - y) + colours[:, 1, None, None] * x * 0.5 +
             colours[:, 2, None, None] * 0.2)
    for k in range(8):
        cy, cx = torch.rand(2, generator=gen) * torch.tensor([height, width])
        ry, rx = 15 + torch.rand(2, generator=gen) * 70
        colour = torch.rand(3, generator=gen)
        dy, dx = y * height - cy, x * width - cx
        inside = ((dy / ry) ** 2 + (dx / rx) ** 2 <= 1) if k % 2 else (
            (dy.abs() <= ry) & (dx.abs() <= rx))
        image = torch.where(inside, colour[:, None, None], image)
    return (image + 0.03 * torch.rand(3, height, width, generator=gen)).clamp(0, 1)


def measure_batch_norm(model):
    """Running statistics from four scenes (a cumulative average, as momentum None gives)."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._NormBase)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    with torch.no_grad():
        model([scene(100 + i) for i in range(4)])
    for m in norms:
        m.eval()


def calibrate_heads(model):
    layers = {n: m for n, m in model.named_modules() if FINAL_LAYER.search(n) and isinstance(
        m, (torch.nn.Conv2d, torch.nn.Linear, torch.nn.ConvTranspose2d))}
    seen = {n: [] for n in layers}
    hooks = [m.register_forward_hook(lambda mod, i, o, n=n: seen[n].append(o.detach().flatten()))
             for n, m in layers.items()]
    image = scene(2)
    with torch.no_grad():
        for m in layers.values():
            if m.bias is not None:
                m.bias.zero_()
        model([image])
        for n, m in layers.items():
            if seen[n]:
                target = DELTA_STD if re.search(r"bbox|regression|ctrness", n) else LOGIT_STD
                m.weight.mul_(target / max(float(torch.cat(seen[n]).std()), 1e-12))
    for h in hooks:
        h.remove()


def build(name):
    torch.manual_seed(0)
    kwargs = dict(weights=None, weights_backbone=None)
    kwargs["box_score_thresh" if "rcnn" in name else "score_thresh"] = 0.0
    model = getattr(detection, name)(**kwargs).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._NormBase) and m.running_mean is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
    measure_batch_norm(model)
    calibrate_heads(model)
    return Detections(model).eval()


def main():
    name, out_dir = sys.argv[1], sys.argv[2]
    case_dir = os.path.join(out_dir, name)
    model_path = os.path.join(case_dir, "model.pt")
    image_path = os.path.join(case_dir, "image.npy")
    version_path = os.path.join(case_dir, "version.txt")
    current = os.path.exists(version_path) and open(version_path).read() == FIXTURE_VERSION
    if current and os.path.exists(model_path) and os.path.exists(image_path):
        return
    os.makedirs(case_dir, exist_ok=True)
    image = scene(1)[None]
    with torch.no_grad():
        traced = torch.jit.trace(build(name), image, check_trace=False)
    traced.save(model_path + ".tmp")
    np.save(image_path, image.numpy())
    os.replace(model_path + ".tmp", model_path)
    with open(version_path, "w") as f:
        f.write(FIXTURE_VERSION)
    print("wrote", model_path)


if __name__ == "__main__":
    main()
