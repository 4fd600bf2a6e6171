#!/usr/bin/python3
"""Traces one torchvision detector for tests/models_detection.

usage: /usr/bin/python3 make_detection_model.py NAME OUT_DIR

Writes OUT_DIR/NAME/model.pt (traced in eval mode with the model's own pre- and
post-processing, NMS included, behind the wrapper users need: it returns a tuple of
tensors instead of a list of dicts) and OUT_DIR/NAME/image.npy (one 3x320x320 image,
batch of 1). Skips the work when both exist. Needs Debian's torch 1.13 and
torchvision 0.14 (/usr/bin/python3). Weights are random (no download): batch-norm
statistics and the classification layers are randomized so scores do not tie, and the
score threshold is 0 so every image gives the full number of detections.
"""

import os
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


def build(name):
    torch.manual_seed(0)
    kwargs = dict(weights=None, weights_backbone=None)
    kwargs["box_score_thresh" if "rcnn" in name else "score_thresh"] = 0.0
    model = getattr(detection, name)(**kwargs).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._NormBase) and m.running_mean is not None:
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
        for n, p in model.named_parameters():
            if ("cls" in n or "class" in n) and p.dim() > 1:
                p.normal_(0, 0.05)
    return Detections(model).eval()


def main():
    name, out_dir = sys.argv[1], sys.argv[2]
    case_dir = os.path.join(out_dir, name)
    model_path = os.path.join(case_dir, "model.pt")
    image_path = os.path.join(case_dir, "image.npy")
    if os.path.exists(model_path) and os.path.exists(image_path):
        return
    os.makedirs(case_dir, exist_ok=True)
    torch.manual_seed(1)
    image = torch.rand(1, 3, 320, 320)
    with torch.no_grad():
        traced = torch.jit.trace(build(name), image, check_trace=False)
    traced.save(model_path + ".tmp")
    np.save(image_path, image.numpy())
    os.replace(model_path + ".tmp", model_path)
    print("wrote", model_path)


if __name__ == "__main__":
    main()
