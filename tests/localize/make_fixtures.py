"""Small traced modules for the localisation tests (written into the build tree at test time).

mlp.pt       Linear -> ReLU -> Linear -> Tanh -> Linear: a wrong translation is injected into
             one of its nodes with MLEXPORT_TEST_PERTURB.
overflow.pt  a module "energy" whose intermediate values leave float16's range (~1e6 > 65504)
             and come back by its end, between ordinary layers: fine in float32, wrong in fp16
             unless "energy" stays float32.
"""
import sys

import torch


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 16)
        self.fc2 = torch.nn.Linear(16, 16)
        self.head = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.head(torch.tanh(self.fc2(torch.relu(self.fc1(x)))))


class Energy(torch.nn.Module):
    def forward(self, x):
        return (x * 2000.0).pow(2) / 100000.0


class Overflow(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 16)
        self.energy = Energy()
        self.head = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.energy(self.fc(x)))


def main(folder):
    torch.manual_seed(0)
    example = torch.randn(2, 8)
    for name, model in (("mlp", Mlp()), ("overflow", Overflow())):
        torch.jit.trace(model.eval(), example).save(f"{folder}/{name}.pt")


if __name__ == "__main__":
    main(sys.argv[1])
