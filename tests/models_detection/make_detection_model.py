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
- or, for Keypoint and Mask R-CNN (TRAINED), training instead of the heads' calibration:
  TRAIN_STEPS steps of SGD on synthetic scenes whose shapes give the targets (boxes, labels,
  masks, 17 keypoints). Calibrated alone, PyTorch with and without oneDNN put Keypoint R-CNN's
  keypoints 7.6 px apart on the scene and Mask R-CNN's scores 2e-4 apart; trained, 4e-4 px and
  7e-7. They run at 320 (no resize to 800), which keeps a step near 10 s.
The score threshold is 0 so every image gives the full number of detections.
"""

import math
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
# The detectors with a second head (masks, keypoints) are trained instead of calibrated: their
# heatmaps and mask logits stay flat on random weights. They run at the scene's own size (no
# resize to 800), which keeps a training step near 10 s on two cores.
TRAINED = {"keypointrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn"}
TRAIN_STEPS, TRAIN_LR = 60, 0.01
# Written beside a fixture; a fixture of another version (other weights) is made again.
FIXTURE_VERSION = "3: batch norm measured, heads calibrated to logits of std 1, scene image"
TRAINED_VERSION = f"4: batch norm measured, trained {TRAIN_STEPS} steps on synthetic shapes at 320"


def fixture_version(name):
    return TRAINED_VERSION if name in TRAINED else FIXTURE_VERSION


def scene_with_shapes(seed, height=320, width=320):
    """A smooth colour gradient with eight filled rectangles and ellipses, and light noise.

    Returns the image and, for each shape, (kind, centre, radii, inside): kind 0 for a
    rectangle and 1 for an ellipse, inside the boolean mask of the whole shape (later shapes
    cover earlier ones)."""
    gen = torch.Generator().manual_seed(seed)
    y, x = torch.meshgrid(torch.linspace(0, 1, height), torch.linspace(0, 1, width), indexing="ij")
    colours = torch.rand(3, 3, generator=gen)
    image = (colours[:, 0, None, None] * (1 - y) + colours[:, 1, None, None] * x * 0.5 +
             colours[:, 2, None, None] * 0.2)
    shapes = []
    for k in range(8):
        cy, cx = torch.rand(2, generator=gen) * torch.tensor([height, width])
        ry, rx = 15 + torch.rand(2, generator=gen) * 70
        colour = torch.rand(3, generator=gen)
        dy, dx = y * height - cy, x * width - cx
        inside = ((dy / ry) ** 2 + (dx / rx) ** 2 <= 1) if k % 2 else (
            (dy.abs() <= ry) & (dx.abs() <= rx))
        image = torch.where(inside, colour[:, None, None], image)
        shapes.append((k % 2, (float(cx), float(cy)), (float(rx), float(ry)), inside))
    image = (image + 0.03 * torch.rand(3, height, width, generator=gen)).clamp(0, 1)
    return image, shapes


def scene(seed, height=320, width=320):
    return scene_with_shapes(seed, height, width)[0]


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


# Keypoints of a shape: its centre, then 8 directions at half and nine tenths of its radius.
KEYPOINT_DIRECTIONS = [(math.cos(a * math.pi / 4), math.sin(a * math.pi / 4)) for a in range(8)]
# A shape mostly covered by later ones is background, not a thin sliver to find.
MIN_VISIBLE_PIXELS, MIN_VISIBLE_FRACTION = 150, 0.3


def targets(shapes, with_masks, with_keypoints):
    """Training targets of a scene: each shape's visible part (what later shapes leave), its
    box, label 1 for rectangles and 2 for ellipses (1 for both when keypoints are trained), and
    17 keypoints, visible where they fall on the visible part."""
    boxes, labels, masks, keypoints = [], [], [], []
    for i, (kind, (cx, cy), (rx, ry), inside) in enumerate(shapes):
        visible = inside.clone()
        for later in shapes[i + 1:]:
            visible &= ~later[3]
        area = int(visible.sum())
        if area < MIN_VISIBLE_PIXELS or area < MIN_VISIBLE_FRACTION * int(inside.sum()):
            continue
        rows, cols = visible.any(1).nonzero(), visible.any(0).nonzero()
        boxes.append([float(cols[0]), float(rows[0]), float(cols[-1]) + 1, float(rows[-1]) + 1])
        labels.append(1 if with_keypoints else kind + 1)
        masks.append(visible.to(torch.uint8))
        points = [(cx, cy)] + [(cx + f * rx * dx, cy + f * ry * dy)
                               for f in (0.5, 0.9) for dx, dy in KEYPOINT_DIRECTIONS]
        height, width = visible.shape
        keypoints.append([[px, py, float(0 <= int(py) < height and 0 <= int(px) < width and
                                         bool(visible[int(py), int(px)]))] for px, py in points])
    target = {"boxes": torch.tensor(boxes).reshape(-1, 4), "labels": torch.tensor(labels)}
    if with_masks:
        target["masks"] = torch.stack(masks)
    if with_keypoints:
        target["keypoints"] = torch.tensor(keypoints)
    return target


def train_on_shapes(model, name, steps=TRAIN_STEPS):
    """Trains every layer on synthetic scenes (two per step, seeds of their own), batch norm
    kept at its measured statistics, SGD with a short warm-up and clipped gradients."""
    with_masks, with_keypoints = "mask" in name, "keypoint" in name
    torch.set_num_threads(os.cpu_count() or 1)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=TRAIN_LR, momentum=0.9, weight_decay=1e-4)
    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._NormBase):
            m.eval()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = TRAIN_LR * min(1.0, (step + 1) / 10)
        batch = [scene_with_shapes(1000 + 2 * step + j) for j in range(2)]
        losses = model([image for image, _ in batch],
                       [targets(shapes, with_masks, with_keypoints) for _, shapes in batch])
        loss = sum(losses.values())
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        optimizer.step()
        if step % 10 == 0 or step == steps - 1:
            print("step", step, " ".join(f"{k} {float(v):.3f}" for k, v in losses.items()),
                  file=sys.stderr)
    model.eval()


def build(name, weights=True):
    """The wrapped detector in eval mode; with weights=False only its architecture (random
    weights), for a caller that loads the fixture's tensors into it."""
    torch.manual_seed(0)
    kwargs = dict(weights=None, weights_backbone=None)
    kwargs["box_score_thresh" if "rcnn" in name else "score_thresh"] = 0.0
    if name in TRAINED:
        kwargs.update(min_size=320, max_size=320)
    model = getattr(detection, name)(**kwargs).eval()
    if not weights:
        return Detections(model).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._NormBase) and m.running_mean is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
    measure_batch_norm(model)
    if name in TRAINED:
        train_on_shapes(model, name)
    else:
        calibrate_heads(model)
    return Detections(model).eval()


def main():
    name, out_dir = sys.argv[1], sys.argv[2]
    case_dir = os.path.join(out_dir, name)
    model_path = os.path.join(case_dir, "model.pt")
    image_path = os.path.join(case_dir, "image.npy")
    version_path = os.path.join(case_dir, "version.txt")
    current = os.path.exists(version_path) and open(version_path).read() == fixture_version(name)
    if current and os.path.exists(model_path) and os.path.exists(image_path):
        return
    os.makedirs(case_dir, exist_ok=True)
    image = scene(1)[None]
    model = build(name)
    with torch.no_grad():
        traced = torch.jit.trace(model, image, check_trace=False)
    traced.save(model_path + ".tmp")
    np.save(image_path, image.numpy())
    os.replace(model_path + ".tmp", model_path)
    with open(version_path, "w") as f:
        f.write(fixture_version(name))
    print("wrote", model_path)


if __name__ == "__main__":
    main()
