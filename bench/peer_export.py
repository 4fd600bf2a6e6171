"""The Python peer: torch.onnx.export of a TorchScript file (Debian's torch 1.13)."""
import argparse

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("output")
    p.add_argument("--shape", default="1,3,224,224")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--dynamic", action="store_true")
    a = p.parse_args()
    model = torch.jit.load(a.model).eval()
    example = torch.randn(*[int(d) for d in a.shape.split(",")])
    axes = {"input": {0: "batch_size"}, "output": {0: "batch_size"}} if a.dynamic else None
    torch.onnx.export(model, example, a.output, opset_version=a.opset, input_names=["input"],
                      output_names=["output"], dynamic_axes=axes)


if __name__ == "__main__":
    main()
