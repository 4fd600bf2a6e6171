"""Small traced modules for the localisation tests (written into the build tree at test time).

mlp.pt       Linear -> ReLU -> Linear -> Tanh -> Linear: a wrong translation is injected into
             one of its nodes with MLEXPORT_TEST_PERTURB.
overflow.pt  a module "energy" whose intermediate values leave float16's range (~1e6 > 65504)
             and come back by its end, between ordinary layers: fine in float32, wrong in fp16
             unless "energy" stays float32.
view_write.pt  an in-place write through a view (y[:, 0] = 0): the IR value of y after the write
             must not be compared with y as first computed.
outlier.pt   one activation channel 200x larger than the others (its weights 200x smaller, so
             float32 computes the same function): int8's per-tensor activation scale then rounds
             the other channels coarsely at fc2, the layer that reads it, and the export WARNs.
"""
import sys

import torch
import torchvision  # noqa: F401  (torchvision::roi_align for the trace)


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


class ChannelScale(torch.nn.Module):
    def __init__(self, channels, channel, scale):
        super().__init__()
        mask = torch.ones(channels)
        mask[channel] = scale
        self.register_buffer("mask", mask)

    def forward(self, x):
        return x * self.mask


class Outlier(torch.nn.Module):
    def __init__(self, scale=200.0):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 64)
        self.features = ChannelScale(64, 7, scale)
        self.fc2 = torch.nn.Linear(64, 64)
        self.fc3 = torch.nn.Linear(64, 8)
        with torch.no_grad():
            self.fc2.weight[:, 7] /= scale

    def forward(self, x):
        return self.fc3(torch.relu(self.fc2(self.features(torch.relu(self.fc1(x))))))


class ViewWrite(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 16)

    def forward(self, x):
        y = self.fc(x) * 2.0
        y[:, 0] = 0.0
        return torch.relu(y) + 1.0


class TiedCut(torch.nn.Module):
    def forward(self, x):
        kept = torch.relu(x).topk(48, dim=1)
        feature = torch.tanh(3.0 * x) + x
        return torch.gather(feature, 1, kept.indices) + kept.values


class RoiDrift(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.near = torch.nn.Linear(512, 32, bias=False)
        self.far = torch.nn.Linear(512, 32, bias=False)
        with torch.no_grad():
            self.far.weight.copy_(self.near.weight * 1.00001)
        yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
        checker = ((yy + xx) % 2).float() * 2000.0 - 1000.0
        self.register_buffer("features", checker.expand(1, 4, 64, 64).clone())

    def forward(self, x):
        corners = 20.0 + 3000.0 * (self.near(x) - self.far(x)).reshape(8, 4)
        boxes = torch.cat([corners[:, :2], corners[:, :2] + 10.0 + corners[:, 2:]], dim=1)
        rois = torch.cat([torch.zeros(8, 1), boxes], dim=1)
        return torchvision.ops.roi_align(self.features, rois, (3, 3), 1.0, 2, False)


def main(folder):
    torch.manual_seed(0)
    example = torch.randn(2, 8)
    with torch.no_grad():
        for name, model in (("mlp", Mlp()), ("overflow", Overflow())):
            torch.jit.trace(model.eval(), example).save(f"{folder}/{name}.pt")
        # The outlier model WARNs with the weights this seed gives it here: keep the order.
        torch.jit.trace(Outlier().eval(), torch.randn(4, 16)).save(f"{folder}/outlier.pt")
        torch.jit.trace(ViewWrite().eval(), example).save(f"{folder}/view_write.pt")
        torch.jit.trace(TiedCut().eval(), torch.randn(2, 64)).save(f"{folder}/tied_cut.pt")
        torch.jit.trace(RoiDrift().eval(), torch.randn(1, 512)).save(f"{folder}/roi_drift.pt")


if __name__ == "__main__":
    main(sys.argv[1])
