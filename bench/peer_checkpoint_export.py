"""The Python peer for checkpoint export: torchvision model + load_state_dict + torch.onnx.export."""
import argparse

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("output")
    p.add_argument("--opset", type=int, default=17)
    a = p.parse_args()
    ckpt = torch.load(a.checkpoint, map_location="cpu")
    model = getattr(torchvision.models, ckpt["model_name"])(num_classes=ckpt["num_classes"])
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), a.output, opset_version=a.opset,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}})


if __name__ == "__main__":
    main()
