"""The Python peer for batch export: a loop over checkpoints, each exported like
peer_checkpoint_export.py (torchvision model + load_state_dict + torch.onnx.export)."""
import glob
import sys

import torch
import torchvision


def main(pattern):
    for path in sorted(glob.glob(pattern, recursive=True)):
        ckpt = torch.load(path, map_location="cpu")
        model = getattr(torchvision.models, ckpt["model_name"])(num_classes=ckpt["num_classes"])
        model.load_state_dict(ckpt["state_dict"])
        model.eval()
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), path[:-3] + ".peer.onnx",
                          opset_version=17, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}})


if __name__ == "__main__":
    main(sys.argv[1])
