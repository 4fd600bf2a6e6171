"""Table of small per-op test cases for the op tests (testing tier 2).

Each Case names a small torch.nn.Module (built by `make`), the inputs it takes
(described, not stored: make_op_cases.py draws them from a per-case seed), and
how strictly the exporter's output must match eager PyTorch.

Runs under Debian's /usr/bin/python3 (torch 1.13). Nothing here is committed
output: make_op_cases.py writes the fixtures into the build tree.

Conventions
- Images are N x C x 8 x 8 with N = 2, every dim <= 32.
- `dynamic_batch=True` (the default) means dim `batch_dim` (default 0) of every
  input with a batch dim is free; make_op_cases.py checks this by running the
  traced module on a second batch size and comparing with eager.
- Modules are wrapped in `Fn(f, **children)`; `f(m, *inputs)` gets the wrapper
  as `m`, so parameters and buffers registered as children are reachable as
  `m.<name>` and become graph attributes (frozen constants), not trace
  constants.
"""

from dataclasses import dataclass
from typing import Callable, List, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------------
# Op kinds every full run must cover (each at least once in some case's "ops",
# i.e. the kinds of the frozen, inlined graph).
# --------------------------------------------------------------------------
REQUIRED_OPS = [
    # elementwise arithmetic
    "aten::add", "aten::add_", "aten::sub", "aten::sub_", "aten::mul", "aten::mul_",
    "aten::div", "aten::div_", "aten::neg", "aten::rsub",
    "aten::floor_divide", "aten::remainder",
    # comparisons, selection
    "aten::eq", "aten::ne", "aten::lt", "aten::le", "aten::gt", "aten::ge", "aten::where",
    # matrix products
    "aten::matmul", "aten::bmm", "aten::linear", "aten::addmm",
    # convolution (traced modules give aten::_convolution; scripted ones the named forms)
    "aten::_convolution", "aten::_convolution_mode",
    "aten::conv1d", "aten::conv2d", "aten::conv3d",
    "aten::conv_transpose1d", "aten::conv_transpose2d",
    # normalization
    "aten::batch_norm", "aten::layer_norm", "aten::group_norm", "aten::instance_norm",
    # pooling
    "aten::max_pool1d", "aten::max_pool2d", "aten::max_pool2d_with_indices",
    "aten::avg_pool1d", "aten::avg_pool2d",
    "aten::adaptive_avg_pool1d", "aten::adaptive_avg_pool2d", "aten::adaptive_max_pool2d",
    # activations
    "aten::relu", "aten::relu_", "aten::relu6", "aten::leaky_relu", "aten::leaky_relu_",
    "aten::elu", "aten::selu", "aten::celu", "aten::gelu", "aten::silu", "aten::mish",
    "aten::hardswish", "aten::hardsigmoid", "aten::hardtanh", "aten::sigmoid", "aten::tanh",
    "aten::softplus", "aten::prelu", "aten::clamp", "aten::clamp_min", "aten::clamp_max",
    "aten::softmax", "aten::log_softmax",
    # shape
    "aten::view", "aten::reshape", "aten::flatten", "aten::permute", "aten::transpose",
    "aten::contiguous", "aten::squeeze", "aten::unsqueeze", "aten::expand", "aten::expand_as",
    "aten::repeat",
    "aten::cat", "aten::stack", "aten::split", "aten::split_with_sizes", "aten::chunk",
    "aten::slice", "aten::select", "aten::narrow", "aten::index_select", "aten::gather",
    # padding
    "aten::pad", "aten::constant_pad_nd", "aten::reflection_pad2d", "aten::replication_pad2d",
    "aten::pixel_shuffle",
    # interpolation
    "aten::upsample_nearest2d", "aten::upsample_bilinear2d",
    # reductions
    "aten::mean", "aten::sum", "aten::max", "aten::min", "aten::amax", "aten::argmax",
    "aten::norm", "aten::linalg_vector_norm",
    # unary
    "aten::exp", "aten::log", "aten::sqrt", "aten::rsqrt", "aten::abs", "aten::erf",
    "aten::pow", "aten::reciprocal", "aten::floor", "aten::ceil", "aten::sin", "aten::cos",
    # dropout in eval (kept by the tracer as a no-op with train=False)
    "aten::dropout", "aten::feature_dropout",
    "aten::embedding", "aten::masked_fill", "aten::arange",
    "aten::zeros", "aten::ones", "aten::full", "aten::zeros_like", "aten::ones_like",
    "aten::full_like",
    "aten::to", "aten::type_as",
    "prim::ListConstruct", "prim::TupleConstruct", "prim::ListUnpack",
    "aten::size", "prim::NumToTensor", "aten::Int",
    # attention: MultiheadAttention's fast path (eval, no grad, need_weights=False)
    "aten::_native_multi_head_attention",
    # recurrent layers (the cells only appear in scripted modules; traced ones decompose)
    "aten::lstm", "aten::gru", "aten::rnn_tanh", "aten::rnn_relu",
    "aten::lstm_cell", "aten::gru_cell", "aten::rnn_tanh_cell", "aten::rnn_relu_cell",
    # transformer language models: causal masks and the encoder's nested fast path
    "aten::triu", "aten::tril", "aten::_transformer_encoder_layer_fwd",
    "aten::_nested_tensor_from_mask", "aten::to_padded_tensor",
]


# --------------------------------------------------------------------------
# Input descriptions
# --------------------------------------------------------------------------
@dataclass
class Inp:
    shape: Sequence[int]
    dist: str = "normal"  # normal | uniform | randint | bool
    scale: float = 1.0  # normal: std
    low: float = 0.0  # uniform [low, high), randint [low, high)
    high: float = 1.0
    # Which dim is the batch: "auto" = 0 if the case has dynamic_batch else None;
    # an int; or None (this input does not change with the batch size).
    batch_dim: Union[str, int, None] = "auto"

    @property
    def dtype(self) -> torch.dtype:
        return {"normal": torch.float32, "uniform": torch.float32,
                "randint": torch.int64, "bool": torch.bool}[self.dist]

    def make(self, gen: torch.Generator, shape=None) -> torch.Tensor:
        shape = list(self.shape if shape is None else shape)
        if self.dist == "normal":
            return torch.randn(shape, generator=gen) * self.scale
        if self.dist == "uniform":
            return torch.rand(shape, generator=gen) * (self.high - self.low) + self.low
        if self.dist == "randint":
            return torch.randint(int(self.low), int(self.high), shape, generator=gen,
                                 dtype=torch.int64)
        if self.dist == "bool":
            return torch.rand(shape, generator=gen) < 0.5
        raise ValueError(self.dist)


def randn(*shape, scale=1.0, batch_dim="auto"):
    return Inp(shape, "normal", scale=scale, batch_dim=batch_dim)


def uniform(*shape, low=0.0, high=1.0, batch_dim="auto"):
    return Inp(shape, "uniform", low=low, high=high, batch_dim=batch_dim)


def randint(*shape, low=0, high=10, batch_dim="auto"):
    return Inp(shape, "randint", low=low, high=high, batch_dim=batch_dim)


def boolmask(*shape, batch_dim="auto"):
    return Inp(shape, "bool", batch_dim=batch_dim)


IMG = (2, 3, 8, 8)


def img(c=3, h=8, w=8, n=2, scale=1.0, batch_dim="auto"):
    return randn(n, c, h, w, scale=scale, batch_dim=batch_dim)


# --------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------
class Fn(nn.Module):
    """forward(*inputs) = f(self, *inputs); children become submodules,
    parameters or buffers."""

    def __init__(self, f: Callable, **children):
        super().__init__()
        self.f = f
        for k, v in children.items():
            if isinstance(v, nn.Module):
                self.add_module(k, v)
            elif isinstance(v, nn.Parameter):
                self.register_parameter(k, v)
            elif isinstance(v, torch.Tensor):
                self.register_buffer(k, v)
            else:
                raise TypeError(f"child {k}: {type(v)}")

    def forward(self, *inputs):
        return self.f(self, *inputs)


def P(*shape, scale=1.0):
    """A parameter drawn from the (already seeded) global generator."""
    return nn.Parameter(torch.randn(*shape) * scale)


def seq(*mods):
    return nn.Sequential(*mods)


# Modules for the scripted cases (script needs real classes, not lambdas).
class ScriptConv2dStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        y = self.up(y)
        return self.fc(y.mean((2, 3)))


class ScriptConv1dStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 3, padding=2, dilation=2, groups=2)
        self.bn = nn.BatchNorm1d(6)
        self.up = nn.ConvTranspose1d(6, 3, 4, stride=2, padding=1)

    def forward(self, x):
        return self.up(F.leaky_relu(self.bn(self.conv(x)), 0.1))


class ScriptConv3d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(2, 4, 3, padding=1, stride=(1, 2, 2))

    def forward(self, x):
        return torch.sigmoid(self.conv(x))


class ScriptControlFlow(nn.Module):
    """Data-dependent prim::If and a counted prim::Loop."""

    def forward(self, x):
        if bool(x.sum() > 0):
            y = x * 2.0
        else:
            y = x - 1.0
        for i in range(3):
            y = y + float(i) * x
        return y


class ScriptLSTMCellSteps(nn.Module):
    """Two steps of an LSTMCell from a given (h, c)."""

    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(4, 6)

    def forward(self, x, h, c):
        h1, c1 = self.cell(x, (h, c))
        return self.cell(x * 0.5, (h1, c1))


class ScriptLSTMCellNoState(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(4, 6, bias=False)

    def forward(self, x):
        return self.cell(x)


class ScriptCell(nn.Module):
    """A cell called with a given state (a scripted cell alone branches on `hx is None`)."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x, h):
        return self.cell(x, h)


class ScriptCellNoState(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x):
        return self.cell(x)


class ScriptShapes(nn.Module):
    """Scripted size arithmetic: aten::size yields ints directly (no NumToTensor)."""

    def forward(self, x):
        n = x.size(0)
        c = x.size(1)
        return x.reshape(n, c, -1).mean(-1), x.view(n, -1)


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    family: str
    make: Callable[[], nn.Module]
    inputs: List[Inp]
    script: bool = False
    atol: float = 1e-4
    rtol: float = 1e-4
    dynamic_batch: bool = True
    note: str = ""


CASES: List[Case] = []


def case(name, family, make, inputs, **kw):
    CASES.append(Case(name, family, make, list(inputs), **kw))


def fn(f, **children_factories):
    """Case.make for Fn. Children are zero-arg factories, called after the
    per-case seed is set (so random weights are reproducible), or plain values."""

    def make():
        ch = {k: (v() if callable(v) and not isinstance(v, nn.Module) else v)
              for k, v in children_factories.items()}
        return Fn(f, **ch)

    return make


# ---- elementwise arithmetic -------------------------------------------------
A = "arith"
case("add_tensor_broadcast", A,
     fn(lambda m, x, y: (x + y, x.add(y, alpha=2.0), y + x)),
     [img(), randn(1, 3, 1, 8, batch_dim=None)])
case("add_scalar", A, fn(lambda m, x: (x + 1, 1 + x, x + 2.5, x.add(-0.25))), [img()])
case("add_param_broadcast", A, fn(lambda m, x: x + m.b, b=lambda: torch.randn(3, 1, 1)), [img()])
case("add_inplace", A,
     fn(lambda m, x, y: (x.clone().add_(y), x.clone().add_(1.5), x.clone().add_(y, alpha=-1))),
     [img(), randn(3, 1, 1, batch_dim=None)])
case("sub_variants", A,
     fn(lambda m, x, y: (x - y, x - 0.5, x.sub(y, alpha=0.5), x.clone().sub_(y))),
     [img(), randn(2, 3, 8, 8)])
case("rsub_scalar_tensor", A,
     fn(lambda m, x, y: (2 - x, 1.5 - x, torch.rsub(x, y), torch.rsub(x, 3.0))),
     [img(), randn(1, 1, 1, 8, batch_dim=None)])
case("mul_variants", A,
     fn(lambda m, x, y: (x * y, x * 2.5, 3 * x, x * m.w, x.clone().mul_(y), x.clone().mul_(0.5)),
        w=lambda: torch.randn(1, 3, 1, 1)),
     [img(), randn(8, batch_dim=None)])
case("div_variants", A,
     fn(lambda m, x, y: (x / y, x / 3, x.clone().div_(y), x.clone().div_(4.0),
                         torch.div(x, y, rounding_mode="floor"),
                         torch.div(x, y, rounding_mode="trunc"))),
     [img(scale=3.0), uniform(2, 3, 8, 8, low=0.5, high=2.0)])
case("reciprocal_scalar_div", A, fn(lambda m, y: (3 / y, 1.0 / y)),
     [uniform(2, 3, 8, 8, low=0.5, high=2.0)])
case("neg", A, fn(lambda m, x: (-x, torch.neg(x), x.neg() * 2)), [img()])
case("broadcast_both_sides", A,
     fn(lambda m, x, y: (x - y, x * y, x / (y.abs() + 1))),
     [randn(2, 1, 8, 8), randn(2, 3, 1, 1)])
case("int64_arith", A,
     fn(lambda m, a, b: (a + b, a - b, a * 3, a * b, a + 1, -a, 2 - a,
                         a // b, torch.div(a, b, rounding_mode="trunc"),
                         torch.div(a, b, rounding_mode="floor"), a % b, a / b,
                         (a * b).sum(1))),
     [randint(2, 6, low=-10, high=10), randint(2, 6, low=1, high=5)])
case("int_float_promotion", A,
     fn(lambda m, a, x: (a + x, a * 0.5, x * a.float(), a.float() / 2)),
     [randint(2, 6, low=-5, high=5), randn(2, 6)])

# ---- comparisons / where / logical -----------------------------------------
C = "compare"
case("compare_int_tensor", C,
     fn(lambda m, a, b: (a == b, a != b, a < b, a <= b, a > b, a >= b)),
     [randint(2, 8, low=0, high=3), randint(2, 8, low=0, high=3)])
case("compare_float_scalar", C,
     fn(lambda m, x: (x > 0.5, x <= 0, x == 0, x != 1, x < -0.2, x >= 0.1,
                      torch.eq(x, x), x.ne(x * 2))),
     [img()])
case("compare_float_broadcast", C,
     fn(lambda m, x, y: (x < y, x.ge(y), torch.gt(x, y), torch.le(x, y))),
     [img(), randn(1, 3, 1, 1, batch_dim=None)])
case("where_variants", C,
     fn(lambda m, x, y, c: (torch.where(x > 0, x, y), torch.where(c, x, y),
                            torch.where(x > 0, x, 0.0), torch.where(c, 1.0, y))),
     [img(), img(), boolmask(2, 3, 8, 8)])
case("logical_ops", C,
     fn(lambda m, x, c: (torch.logical_and(x > 0, c), torch.logical_or(x > 1, c),
                         torch.logical_not(c), ~c, (x > 0) & c, (x > 0) | c)),
     [img(), boolmask(2, 3, 8, 8)])

# ---- matrix products --------------------------------------------------------
MM = "matmul"
case("matmul_2d", MM, fn(lambda m, x: x @ m.w, w=lambda: P(8, 6)), [randn(4, 8)])
case("matmul_3d_3d", MM, fn(lambda m, x, y: torch.matmul(x, y)), [randn(2, 5, 8), randn(2, 8, 6)])
case("matmul_broadcast", MM,
     fn(lambda m, x, y, v: (x @ m.w, torch.matmul(x, y), x @ v, x @ x.transpose(-1, -2)),
        w=lambda: P(8, 6)),
     [randn(2, 5, 8), randn(8, 4, batch_dim=None), randn(8, batch_dim=None)])
case("matmul_4d", MM, fn(lambda m, q, k: torch.matmul(q, k.transpose(-2, -1))),
     [randn(2, 3, 5, 8), randn(2, 3, 7, 8)])
case("bmm", MM, fn(lambda m, x, y: torch.bmm(x, y)), [randn(2, 5, 8), randn(2, 8, 4)])
case("linear_2d", MM, lambda: nn.Linear(8, 6), [randn(4, 8)])
case("linear_3d_nobias", MM, lambda: nn.Linear(8, 6, bias=False), [randn(2, 5, 8)])
case("linear_4d", MM, lambda: nn.Linear(8, 4), [randn(2, 3, 5, 8)])
case("linear_functional", MM,
     fn(lambda m, x: F.linear(x, m.w, m.b), w=lambda: P(6, 8), b=lambda: P(6)), [randn(4, 8)])
case("addmm", MM,
     fn(lambda m, x: (torch.addmm(m.b, x, m.w), torch.addmm(m.b, x, m.w, beta=0.5, alpha=2.0)),
        w=lambda: P(8, 6), b=lambda: P(6)),
     [randn(4, 8)])
case("addmm_matrix_bias", MM,
     fn(lambda m, c, x: torch.addmm(c, x, m.w), w=lambda: P(8, 6)),
     [randn(4, 6), randn(4, 8)])
case("einsum", MM, fn(lambda m, x, y: torch.einsum("bik,bkj->bij", x, y)),
     [randn(2, 5, 8), randn(2, 8, 4)])

# ---- convolution ------------------------------------------------------------
CV = "conv"
case("conv1d_basic", CV, lambda: nn.Conv1d(3, 8, 3, padding=1), [randn(2, 3, 16)])
case("conv1d_stride_dil_groups_nobias", CV,
     lambda: nn.Conv1d(4, 6, 3, stride=2, dilation=2, padding=2, groups=2, bias=False),
     [randn(2, 4, 16)])
case("conv2d_basic", CV, lambda: nn.Conv2d(3, 8, 3, padding=1), [img()])
case("conv2d_stride2_nobias", CV, lambda: nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
     [img()])
case("conv2d_dilation", CV, lambda: nn.Conv2d(3, 4, 3, dilation=2, padding=2), [img()])
case("conv2d_depthwise", CV, lambda: nn.Conv2d(4, 4, 3, padding=1, groups=4), [img(c=4)])
case("conv2d_grouped_rect", CV,
     lambda: nn.Conv2d(4, 6, (3, 1), stride=(2, 1), padding=(1, 0), groups=2), [img(c=4)])
case("conv2d_1x1_nopad", CV, lambda: nn.Conv2d(3, 5, 1), [img()])
case("conv2d_padding_same", CV, lambda: nn.Conv2d(3, 4, 3, padding="same", dilation=2),
     [img()], note="padding='same' traces to aten::_convolution_mode")
case("conv2d_padding_mode_reflect", CV,
     lambda: nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), [img()])
case("conv3d", CV, lambda: nn.Conv3d(2, 4, 3, padding=1, stride=(1, 2, 2)),
     [randn(2, 2, 4, 6, 6)])
case("conv_transpose1d", CV,
     lambda: nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1),
     [randn(2, 4, 8)])
case("conv_transpose1d_groups_nobias", CV,
     lambda: nn.ConvTranspose1d(4, 6, 4, stride=2, padding=1, groups=2, bias=False),
     [randn(2, 4, 8)])
case("conv_transpose2d", CV,
     lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1),
     [img(c=4)])
case("conv_transpose2d_groups_nobias", CV,
     lambda: nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1, groups=2, bias=False),
     [img(c=4)])
case("conv_transpose2d_dilation", CV,
     lambda: nn.ConvTranspose2d(3, 4, 3, dilation=2, padding=1), [img()])
case("conv2d_bn_relu", CV,
     lambda: seq(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU()),
     [img()], note="conv+bn folding target")
case("conv1d_bn", CV, lambda: seq(nn.Conv1d(3, 6, 3), nn.BatchNorm1d(6)), [randn(2, 3, 16)])
case("conv_transpose2d_bn", CV,
     lambda: seq(nn.ConvTranspose2d(3, 4, 2, stride=2), nn.BatchNorm2d(4)), [img()])
case("conv2d_functional", CV,
     fn(lambda m, x: F.conv2d(x, m.w, m.b, stride=1, padding=1),
        w=lambda: P(4, 3, 3, 3, scale=0.3), b=lambda: P(4)),
     [img()])

# scripted: the named conv kinds (aten::conv2d etc.) instead of aten::_convolution
S = "script"
case("script_conv2d_stack", S, ScriptConv2dStack, [img()], script=True)
case("script_conv1d_stack", S, ScriptConv1dStack, [randn(2, 4, 16)], script=True)
case("script_conv3d", S, ScriptConv3d, [randn(2, 2, 4, 6, 6)], script=True)
case("script_shapes", S, ScriptShapes, [img()], script=True)
case("script_control_flow", S, ScriptControlFlow, [img()], script=True,
     note="data-dependent prim::If and prim::Loop; sign of x.sum() picks the branch")

# ---- normalization ----------------------------------------------------------
N = "norm"
case("batch_norm1d_2d", N, lambda: seq(nn.Linear(8, 6), nn.BatchNorm1d(6)), [randn(4, 8)])
case("batch_norm1d_3d", N, lambda: nn.BatchNorm1d(4), [randn(2, 4, 10)])
case("batch_norm2d", N, lambda: nn.BatchNorm2d(3), [img()])
case("batch_norm2d_noaffine", N, lambda: nn.BatchNorm2d(3, affine=False, eps=1e-3), [img()])
case("layer_norm_last", N, lambda: nn.LayerNorm(8), [randn(2, 5, 8)])
case("layer_norm_last2_noaffine", N, lambda: nn.LayerNorm([5, 8], elementwise_affine=False),
     [randn(2, 5, 8)])
case("layer_norm_image", N, lambda: nn.LayerNorm([3, 8, 8], eps=1e-6), [img()])
case("group_norm", N, lambda: nn.GroupNorm(2, 4), [img(c=4)])
case("group_norm_one_group", N, lambda: nn.GroupNorm(1, 4, affine=False), [img(c=4)])
case("group_norm_per_channel", N, lambda: nn.GroupNorm(4, 4), [randn(2, 4, 10)])
case("instance_norm2d", N, lambda: nn.InstanceNorm2d(3, affine=True), [img()])
case("instance_norm2d_noaffine", N, lambda: nn.InstanceNorm2d(3), [img()])
case("instance_norm1d", N, lambda: nn.InstanceNorm1d(4, affine=True), [randn(2, 4, 10)])
case("instance_norm2d_running_stats", N,
     lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), [img()],
     note="eval with running stats: instance_norm with use_input_stats=False")

# ---- pooling ----------------------------------------------------------------
PL = "pool"
case("max_pool1d", PL, lambda: nn.MaxPool1d(3, stride=2, padding=1), [randn(2, 3, 16)])
case("max_pool1d_ceil", PL, lambda: nn.MaxPool1d(2, stride=2, ceil_mode=True),
     [randn(2, 3, 15)])
case("max_pool2d_k2", PL, lambda: nn.MaxPool2d(2), [img()])
case("max_pool2d_k3s2p1", PL, lambda: nn.MaxPool2d(3, stride=2, padding=1), [img()])
case("max_pool2d_ceil", PL, lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), [img()])
case("max_pool2d_dilation", PL, lambda: nn.MaxPool2d(2, stride=1, dilation=2), [img()])
case("max_pool2d_with_indices", PL, lambda: nn.MaxPool2d(2, return_indices=True), [img()])
case("avg_pool1d", PL,
     lambda: nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False), [randn(2, 3, 16)])
case("avg_pool1d_ceil_pad", PL,
     lambda: nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True), [randn(2, 3, 15)])
case("avg_pool2d_k2", PL, lambda: nn.AvgPool2d(2), [img()])
case("avg_pool2d_pad_include", PL,
     lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=True), [img()])
case("avg_pool2d_pad_exclude", PL,
     lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), [img()])
case("avg_pool2d_ceil", PL, lambda: nn.AvgPool2d(3, stride=2, ceil_mode=True), [img()])
case("avg_pool2d_ceil_pad_exclude", PL,
     lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     [img(h=9, w=9)])
case("adaptive_avg_pool1d", PL, lambda: nn.AdaptiveAvgPool1d(4), [randn(2, 3, 16)])
case("adaptive_avg_pool1d_uneven", PL, lambda: nn.AdaptiveAvgPool1d(3), [randn(2, 3, 16)],
     note="output size does not divide input size")
case("adaptive_avg_pool2d_global", PL, lambda: nn.AdaptiveAvgPool2d(1), [img()])
case("adaptive_avg_pool2d_2x2", PL, lambda: nn.AdaptiveAvgPool2d((2, 2)), [img()])
case("adaptive_avg_pool2d_uneven", PL, lambda: nn.AdaptiveAvgPool2d((3, 5)), [img()],
     note="output size does not divide input size")
case("adaptive_max_pool2d", PL, lambda: nn.AdaptiveMaxPool2d((2, 2)), [img()])
case("adaptive_max_pool2d_global", PL, lambda: nn.AdaptiveMaxPool2d(1), [img()])

# ---- activations ------------------------------------------------------------
AC = "activation"
case("relu", AC, lambda: nn.ReLU(), [img()])
case("relu_inplace", AC,
     fn(lambda m, x: (x.clone().relu_(), F.relu(x * 2, inplace=True))), [img()])
case("relu_module_inplace", AC, lambda: seq(nn.Conv2d(3, 4, 1), nn.ReLU(inplace=True)), [img()])
case("relu6_module", AC, lambda: nn.ReLU6(), [img(scale=5.0)],
     note="nn.ReLU6 traces to aten::hardtanh(0, 6)")
case("relu6_functional", AC, fn(lambda m, x: F.relu6(x)), [img(scale=5.0)])
case("leaky_relu", AC, lambda: nn.LeakyReLU(0.2), [img()])
case("leaky_relu_inplace", AC, fn(lambda m, x: F.leaky_relu(x.clone(), 0.05, inplace=True)),
     [img()])
case("elu", AC, lambda: nn.ELU(alpha=0.5), [img(scale=2.0)])
case("selu", AC, lambda: nn.SELU(), [img(scale=2.0)])
case("celu", AC, lambda: nn.CELU(alpha=1.5), [img(scale=2.0)])
case("gelu", AC, lambda: nn.GELU(), [img(scale=2.0)])
case("gelu_tanh", AC, lambda: nn.GELU(approximate="tanh"), [img(scale=2.0)])
case("silu", AC, lambda: nn.SiLU(), [img(scale=3.0)])
case("mish", AC, lambda: nn.Mish(), [img(scale=3.0)])
case("hardswish", AC, lambda: nn.Hardswish(), [img(scale=4.0)])
case("hardsigmoid", AC, lambda: nn.Hardsigmoid(), [img(scale=4.0)])
case("hardtanh", AC, lambda: nn.Hardtanh(-1.5, 2.0), [img(scale=3.0)])
case("sigmoid", AC, lambda: nn.Sigmoid(), [img(scale=3.0)])
case("tanh", AC, lambda: nn.Tanh(), [img(scale=2.0)])
case("softplus_default", AC, lambda: nn.Softplus(), [img(scale=8.0)])
case("softplus_beta_threshold", AC, lambda: nn.Softplus(beta=2.0, threshold=5.0),
     [img(scale=3.0)], note="beta*x > threshold switches to identity")
case("prelu_shared", AC, lambda: nn.PReLU(), [img()])
case("prelu_per_channel", AC, lambda: nn.PReLU(3), [img()])
case("clamp_variants", AC,
     fn(lambda m, x: (x.clamp(min=-0.5), x.clamp(max=0.5), x.clamp(-1.0, 1.0),
                      torch.clamp(x, min=0.0, max=6.0))),
     [img(scale=3.0)])
case("clamp_min_max", AC, fn(lambda m, x: (x.clamp_min(0.1), x.clamp_max(-0.1))), [img()])
case("clamp_tensor_bounds", AC, fn(lambda m, x, lo: x.clamp(min=lo)),
     [img(), randn(1, 3, 1, 1, batch_dim=None)])
case("log_sigmoid_softsign", AC, fn(lambda m, x: (F.logsigmoid(x), F.softsign(x))),
     [img(scale=3.0)])
case("softmax", AC, fn(lambda m, x: (F.softmax(x, dim=-1), x.softmax(1))), [img(scale=2.0)])
case("softmax_module_2d", AC, lambda: nn.Softmax(dim=1), [randn(4, 10, scale=3.0)])
case("log_softmax", AC, fn(lambda m, x: (F.log_softmax(x, dim=1), x.log_softmax(-1))),
     [img(scale=2.0)])

# ---- shape ------------------------------------------------------------------
SH = "shape"
case("view_size0_flatten", SH, fn(lambda m, x: x.view(x.size(0), -1)), [img()],
     note="size(0) -> NumToTensor -> Int in the traced graph; freezing folds the pair away")
case("chunk_split_batch_axis", SH,
     fn(lambda m, x: (*torch.chunk(torch.cat([x, -x]), 2),
                      *torch.split(torch.cat([x, x * 3]), [x.shape[0], x.shape[0]]),
                      *torch.split(x, [x.shape[1] - 1, 1], dim=1))),
     [img()], note="pieces along the dynamic batch axis (RAFT's chunk of its two frames); sizes "
                   "computed from the shape")
case("view_size_arith", SH, fn(lambda m, x: x.view(x.size(0), x.size(1) * x.size(2), -1)),
     [img()], note="keeps aten::size / prim::NumToTensor / aten::Int / aten::mul after freezing")
case("view_static", SH, fn(lambda m, x: x.view(2, 3, 64)), [img()], dynamic_batch=False,
     note="batch baked into the view shape")
case("view_minus1_first", SH, fn(lambda m, x: x.view(-1, 8)), [img()])
case("reshape_variants", SH,
     fn(lambda m, x: (x.reshape(x.shape[0], 3, -1), x.reshape(-1), x.reshape(x.size(0), 6, 32))),
     [img()])
case("flatten_variants", SH,
     fn(lambda m, x: (torch.flatten(x, 1), x.flatten(2, 3), x.flatten(), x.flatten(-3, -2))),
     [img()])
case("flatten_module", SH, lambda: nn.Flatten(), [img()])
case("permute", SH, fn(lambda m, x: (x.permute(0, 2, 3, 1), x.permute(0, -1, 1, 2))), [img()])
case("transpose", SH,
     fn(lambda m, x: (x.transpose(1, 2), x.transpose(-1, -2), torch.transpose(x, 1, 3))), [img()])
case("transpose_2d_t", SH, fn(lambda m, x: (x.t(), x.T)), [randn(4, 6)])
case("permute_contiguous_view", SH,
     fn(lambda m, x: x.permute(0, 2, 3, 1).contiguous().view(x.size(0), -1, 3)), [img()])
case("channel_shuffle", SH,
     fn(lambda m, x: x.view(x.size(0), 2, 3, 8, 8).transpose(1, 2).contiguous()
        .view(x.size(0), -1, 8, 8)),
     [img(c=6)])
case("squeeze_variants", SH, fn(lambda m, x: (x.squeeze(1), x.squeeze(-1), x.squeeze(3))),
     [randn(2, 1, 8, 1)])
case("squeeze_all", SH, fn(lambda m, x: x.squeeze()), [randn(2, 1, 8, 1)], dynamic_batch=False,
     note="squeeze() without dim: result rank depends on the batch being 1")
case("unsqueeze_variants", SH,
     fn(lambda m, x: (x.unsqueeze(1), x.unsqueeze(-1), x[:, None], torch.unsqueeze(x, 0))),
     [randn(2, 5, 6)])
case("expand_variants", SH,
     fn(lambda m, x, y: (x.expand(-1, 4, -1), x.expand(x.size(0), 4, 8), y.expand_as(x * 0 + 1))),
     [randn(2, 1, 8), randn(1, 1, 8, batch_dim=None)])
case("expand_as_broadcast", SH, fn(lambda m, x, y: y.expand_as(x) + x),
     [img(), randn(1, 3, 1, 1, batch_dim=None)])
case("repeat", SH, fn(lambda m, x: (x.repeat(1, 2, 1, 1), x.repeat(1, 1, 2, 3))), [img()])
case("repeat_new_dims", SH, fn(lambda m, x: x.repeat(2, 1, 1)), [randn(3, 4)],
     dynamic_batch=False, note="repeat adds a leading dim")
case("cat", SH,
     fn(lambda m, x, y: (torch.cat([x, y], 1), torch.cat((x, y, x), dim=-1),
                         torch.cat([x, x], 0))),
     [img(), img()])
case("stack", SH,
     fn(lambda m, x, y: (torch.stack([x, y], 1), torch.stack([x, y, x], dim=-1),
                         torch.stack((x, y)))),
     [randn(2, 5, 6), randn(2, 5, 6)])
case("split_equal", SH, fn(lambda m, x: x.split(2, dim=1)), [img(c=5)],
     note="5 channels split by 2 -> 2,2,1")
case("split_with_sizes", SH,
     fn(lambda m, x: (x.split([1, 3, 1], dim=1), torch.split(x, [3, 5], dim=-1))),
     [img(c=5)])
case("chunk", SH, fn(lambda m, x: (x.chunk(2, dim=1), torch.chunk(x, 4, dim=-1))), [img(c=5)],
     note="uneven chunk 5 -> 3,2")
case("unbind", SH, fn(lambda m, x: x.unbind(1)), [randn(2, 3, 4)])
case("list_unpack_consumed", SH,
     fn(lambda m, x: (lambda a, b: a * torch.sigmoid(b))(*x.chunk(2, dim=1))), [img(c=6)],
     note="GLU-style gating; chunk + prim::ListUnpack feeding compute")
case("slice_variants", SH,
     fn(lambda m, x: (x[:, 1:3], x[..., ::2], x[:, -2:], x[:, :, 1:-1, 2:], x[:, :, ::3],
                      x[:, :, 2:7:2])),
     [img()])
case("select_variants", SH, fn(lambda m, x: (x[:, 0], x[:, -1], x.select(2, 3), x[:, :, :, -2])),
     [img()])
case("narrow", SH, fn(lambda m, x: (x.narrow(1, 1, 2), x.narrow(-1, 2, 4))), [img()])
case("index_select_input", SH, fn(lambda m, x, i: torch.index_select(x, 1, i)),
     [img(c=5), randint(4, low=0, high=5, batch_dim=None)])
case("index_select_const", SH, fn(lambda m, x: x.index_select(-1, m.i),
                                   i=lambda: torch.tensor([7, 0, 3, 3])),
     [img()])
case("gather", SH, fn(lambda m, x, i: (torch.gather(x, 2, i), x.gather(-1, i))),
     [randn(2, 5, 6), randint(2, 5, 3, low=0, high=6)])
case("gather_dim1", SH, fn(lambda m, x, i: torch.gather(x, 1, i)),
     [randn(2, 5, 6), randint(2, 3, 6, low=0, high=5)])
case("advanced_index", SH, fn(lambda m, x, i: (x[:, i], x[:, [0, 2]])),
     [img(c=5), randint(3, low=0, high=5, batch_dim=None)])
case("advanced_index_pairs", SH,
     fn(lambda m, x, i, j: (x[:, i, j], x[:, :, i, j], x[:, [0, 2], [1, 3]])),
     [img(c=5), randint(3, low=0, high=5, batch_dim=None), randint(3, low=0, high=8, batch_dim=None)])
case("masked_fill", SH,
     fn(lambda m, x, c: (x.masked_fill(c, -1.0), x.masked_fill(x < 0, 0.5),
                         x.clone().masked_fill_(c, 2.0), x.masked_fill(c, -1e4))),
     [img(), boolmask(2, 3, 8, 8)])
case("masked_fill_broadcast", SH, fn(lambda m, x, c: x.masked_fill(c, 0.0)),
     [randn(2, 4, 5, 5), boolmask(2, 1, 1, 5)])

# ---- padding / pixel shuffle --------------------------------------------------
PD = "pad"
case("pad_constant_functional", PD,
     fn(lambda m, x: (F.pad(x, (1, 2, 0, 1)), F.pad(x, (1, 1, 1, 1, 1, 0), value=0.5))), [img()],
     note="F.pad traces to aten::pad in torch 1.13")
case("pad_negative_crop", PD, fn(lambda m, x: F.pad(x, (-1, -2, 1, 0))), [img()])
case("pad_reflect_functional", PD, fn(lambda m, x: F.pad(x, (1, 2, 2, 1), mode="reflect")),
     [img()])
case("pad_replicate_functional", PD, fn(lambda m, x: F.pad(x, (2, 1, 1, 3), mode="replicate")),
     [img()])
case("pad_modules", PD,
     fn(lambda m, x: (m.z(x), m.r(x), m.p(x), m.c(x)), z=nn.ZeroPad2d((1, 0, 2, 1)),
        r=nn.ReflectionPad2d(2), p=nn.ReplicationPad2d((1, 2, 0, 1)),
        c=nn.ConstantPad2d(1, -0.5)),
     [img()])
case("constant_pad_nd", PD,
     fn(lambda m, x: (torch.constant_pad_nd(x, [1, 1, 2, 2]), torch.constant_pad_nd(x, [0, 1], 0.25))),
     [img()])
case("reflection_pad2d", PD, fn(lambda m, x: torch._C._nn.reflection_pad2d(x, [1, 2, 2, 1])),
     [img()])
case("replication_pad2d", PD, fn(lambda m, x: torch._C._nn.replication_pad2d(x, [2, 1, 1, 3])),
     [img()])
case("reflection_replication_pad1d", PD,
     fn(lambda m, x: (torch._C._nn.reflection_pad1d(x, [2, 1]),
                      torch._C._nn.replication_pad1d(x, [1, 3]))),
     [randn(2, 3, 10)])
case("pixel_shuffle", PD, lambda: nn.PixelShuffle(2), [randn(2, 8, 4, 4)])
case("pixel_unshuffle", PD, lambda: nn.PixelUnshuffle(2), [randn(2, 2, 8, 8)])

# ---- interpolation ------------------------------------------------------------
IN = "interp"
case("nearest_scale2", IN, fn(lambda m, x: F.interpolate(x, scale_factor=2, mode="nearest")),
     [img()])
case("nearest_scale_fractional", IN,
     fn(lambda m, x: (F.interpolate(x, scale_factor=1.5, mode="nearest"),
                      F.interpolate(x, scale_factor=0.5, mode="nearest"))),
     [img()])
case("nearest_size", IN, fn(lambda m, x: F.interpolate(x, size=(12, 16), mode="nearest")),
     [img()])
case("nearest_size_down", IN, fn(lambda m, x: F.interpolate(x, size=(5, 3))), [img()])
case("upsample_nearest_module", IN, lambda: nn.Upsample(scale_factor=2), [img()])
case("bilinear_scale2", IN,
     fn(lambda m, x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)),
     [img()])
case("bilinear_scale2_align", IN,
     fn(lambda m, x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)),
     [img()])
case("bilinear_size", IN,
     fn(lambda m, x: F.interpolate(x, size=(5, 11), mode="bilinear", align_corners=False)),
     [img()])
case("bilinear_size_align", IN,
     fn(lambda m, x: F.interpolate(x, size=(12, 10), mode="bilinear", align_corners=True)),
     [img()])
case("bilinear_module", IN,
     lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), [img()])
# PyTorch's own source positions and weights: exact to float rounding where ONNX Resize's
# coordinate arithmetic differs by ~1e-5 at these sizes.
case("bilinear_fractional_exact", IN,
     fn(lambda m, x: (F.interpolate(x, size=(150, 160), mode="bilinear", align_corners=False),
                      F.interpolate(x, scale_factor=2.5, mode="bilinear",
                                    recompute_scale_factor=True),
                      F.interpolate(x, scale_factor=0.7, mode="bilinear"),
                      F.interpolate(x, size=(47, 91), mode="bilinear", align_corners=True),
                      F.interpolate(x[:, :, 0], scale_factor=1.7, mode="linear"),
                      F.interpolate(x[:, :, None], size=(3, 70, 40), mode="trilinear"))),
     [img(c=2, h=64, w=64)], atol=2e-6, rtol=1e-6)
case("bicubic_scale2", IN,
     fn(lambda m, x: F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)),
     [img()])
case("linear1d_nearest1d", IN,
     fn(lambda m, x: (F.interpolate(x, scale_factor=2, mode="linear"),
                      F.interpolate(x, size=20, mode="nearest"))),
     [randn(2, 3, 10)])

# ---- reductions -------------------------------------------------------------
R = "reduce"
case("mean_variants", R,
     fn(lambda m, x: (x.mean(dim=(2, 3), keepdim=True), x.mean(-1), x.mean(), torch.mean(x, 1))),
     [img()])
case("sum_variants", R,
     fn(lambda m, x: (x.sum(1), x.sum(dim=(-1, -2), keepdim=True), x.sum(), torch.sum(x, -1))),
     [img()])
case("sum_int64", R, fn(lambda m, a: (a.sum(1), a.sum())), [randint(2, 6, low=-5, high=5)])
case("max_full_and_dim", R,
     fn(lambda m, x: (x.max(), x.max(dim=1), x.max(-1, keepdim=True)[0])), [img()])
case("max_min_binary", R, fn(lambda m, x, y: (torch.max(x, y), torch.min(x, y), x.maximum(y))),
     [img(), img()])
case("min_full_and_dim", R,
     fn(lambda m, x: (x.min(), x.min(dim=2)[0], torch.min(x, -1, keepdim=True))), [img()])
case("amax_amin", R,
     fn(lambda m, x: (x.amax(dim=(2, 3)), x.amax(-1, keepdim=True), x.amin(1))), [img()])
case("argmax_argmin", R,
     fn(lambda m, x: (x.argmax(dim=1), x.argmax(-1, keepdim=True), x.argmin(1), x.argmax())),
     [img()], note="argmax() without dim flattens; ties are improbable with randn")
case("norm_p", R,
     fn(lambda m, x: (torch.norm(x, p=2, dim=1), x.norm(p=1, dim=-1, keepdim=True),
                      torch.norm(x, dim=(2, 3)))),
     [img()])
case("linalg_vector_norm", R,
     fn(lambda m, x: (torch.linalg.vector_norm(x, ord=2, dim=(2, 3)),
                      torch.linalg.vector_norm(x, ord=1, dim=-1, keepdim=True))),
     [img()])
case("normalize", R, fn(lambda m, x: F.normalize(x, dim=1)), [img()],
     note="F.normalize = norm / clamp_min / expand_as / div")
case("reduce_stats", R,
     fn(lambda m, x: (x.var(1), x.std(-1, unbiased=False), x.prod(1), torch.logsumexp(x, dim=1))),
     [uniform(2, 3, 8, 8, low=0.5, high=1.5)])

# ---- unary math -------------------------------------------------------------
U = "unary"
case("exp_log", U, fn(lambda m, x, p: (torch.exp(x), torch.log(p), p.log())),
     [img(), uniform(2, 3, 8, 8, low=0.1, high=3.0)])
case("sqrt_rsqrt", U, fn(lambda m, p: (torch.sqrt(p), torch.rsqrt(p), p.sqrt() * 2)),
     [uniform(2, 3, 8, 8, low=0.2, high=4.0)])
case("abs_neg_sign", U, fn(lambda m, x: (x.abs(), torch.abs(-x), torch.sign(x))), [img()])
case("erf", U, fn(lambda m, x: torch.erf(x)), [img(scale=2.0)])
case("pow_scalar_exponent", U,
     fn(lambda m, x, p: (x ** 2, x.pow(3), p ** 0.5, torch.pow(p, -1.5), x.square())),
     [img(), uniform(2, 3, 8, 8, low=0.5, high=2.0)])
case("pow_tensor_exponent", U,
     fn(lambda m, p, e: (torch.pow(p, e), p ** e, 2 ** e)),
     [uniform(2, 3, 8, 8, low=0.5, high=2.0), randn(2, 3, 8, 8)])
case("reciprocal", U, fn(lambda m, p: (p.reciprocal(), torch.reciprocal(-p))),
     [uniform(2, 3, 8, 8, low=0.5, high=2.0)])
case("floor_ceil_round", U, fn(lambda m, x: (x.floor(), torch.ceil(x), x.round(), x.trunc())),
     [img(scale=3.0)])
case("sin_cos", U, fn(lambda m, x: (torch.sin(x), x.cos())), [img(scale=3.0)])

# ---- dropout (eval) -----------------------------------------------------------
D = "dropout"
case("dropout_module_eval", D, lambda: seq(nn.Linear(8, 8), nn.Dropout(0.5)), [randn(4, 8)],
     note="eval nn.Dropout is kept in the traced graph as aten::dropout(x, p, train=False)")
case("dropout_functional_eval", D, fn(lambda m, x: F.dropout(x, 0.3, training=False) * 2),
     [randn(4, 8)])
case("dropout2d_eval", D, lambda: nn.Dropout2d(0.2), [img()],
     note="nn.Dropout2d traces to aten::feature_dropout")
case("alpha_dropout_eval", D, lambda: nn.AlphaDropout(0.2), [randn(4, 8)],
     note="traces to aten::alpha_dropout")

# ---- embedding ----------------------------------------------------------------
E = "embedding"
case("embedding", E, lambda: nn.Embedding(20, 8), [randint(2, 5, low=0, high=20)])
case("embedding_padding_idx", E, lambda: nn.Embedding(10, 4, padding_idx=0),
     [randint(2, 7, low=0, high=10)])
case("embedding_plus_pos", E,
     fn(lambda m, i: m.tok(i) + m.pos(torch.arange(i.size(1))), tok=lambda: nn.Embedding(16, 8),
        pos=lambda: nn.Embedding(12, 8)),
     [randint(2, 6, low=0, high=16)], note="positions from arange(size(1))")

# ---- factories ----------------------------------------------------------------
FA = "factory"
case("arange_dynamic", FA,
     fn(lambda m, x: (x + torch.arange(x.size(-1)),
                      torch.arange(0, x.size(1), 2, dtype=torch.float32),
                      torch.arange(x.size(2)).view(1, 1, -1, 1) * x)),
     [img()], note="constant-argument arange is folded away by freezing; these depend on sizes")
case("zeros_ones_full", FA,
     fn(lambda m, x: (torch.zeros(x.size(0), 4) + x.sum(), torch.ones(x.size(0), 3, 2) * 2,
                      torch.full((x.size(0), 4), 3.5), torch.full((x.size(0), 2), 7,
                                                                 dtype=torch.int64))),
     [img()])
case("like_factories", FA,
     fn(lambda m, x: (torch.zeros_like(x) + 1, torch.ones_like(x) * x, torch.full_like(x, 7.0),
                      torch.zeros_like(x, dtype=torch.int64))),
     [img()])
case("new_factories", FA,
     fn(lambda m, x: (x.new_zeros(x.size(0), 2), x.new_ones((x.size(0), 3)),
                      x.new_full((x.size(0),), 2.0))),
     [img()])

# ---- casts --------------------------------------------------------------------
CA = "cast"
case("to_dtype", CA,
     fn(lambda m, x: (x.to(torch.float64), x.to(torch.int64), (x > 0).to(torch.float32),
                      x.long(), x.double(), x.to(dtype=torch.bool))),
     [img(scale=3.0)], note="float->int truncates toward zero")
case("int_to_float", CA, fn(lambda m, a: (a.float() / 2, a.to(torch.float32) * 1.5, a.bool())),
     [randint(2, 6, low=-5, high=5)])
case("type_as", CA, fn(lambda m, a, x: (a.type_as(x), x.type_as(a) + a)),
     [randint(2, 6, low=-5, high=5), randn(2, 6, scale=3.0)])

# ---- prim / tuples / dynamic sizes -----------------------------------------------
PR = "prim"
case("tuple_outputs", PR, fn(lambda m, x: (x + 1, x * 2, x.sum(1))), [img()])
case("nested_tuple_outputs", PR, fn(lambda m, x: (x.relu(), (x.sigmoid(), x.tanh()))), [img()],
     note="expected_<k> is the flattened nested tuple: relu, sigmoid, tanh")
case("size_ops", PR,
     fn(lambda m, x: x.view(x.size(0), x.size(1), x.size(2) * x.size(3)).mean(-1) *
        (x.size(1) + 0.0)),
     [img()])
case("size_arith_on_tensor", PR, fn(lambda m, x: x / x.size(-1) + x.size(0)),
     [img()], note="sizes used as tensors: prim::NumToTensor feeding aten::div / aten::add")
case("shape_attr_view", PR, fn(lambda m, x: x.reshape(x.shape[0], x.shape[1], -1).transpose(1, 2)),
     [img()])

# ---- attention --------------------------------------------------------------------
AT = "attention"
case("mha_need_weights", AT,
     fn(lambda m, q, k, v: m.mha(q, k, v), mha=lambda: nn.MultiheadAttention(16, 4)),
     [randn(5, 2, 16, batch_dim=1), randn(7, 2, 16, batch_dim=1), randn(7, 2, 16, batch_dim=1)],
     note="batch_first=False and cross-attention: slow path, decomposed into "
          "linear/bmm/softmax; returns (out, head-averaged weights)")
case("mha_fast_path", AT,
     fn(lambda m, x: m.mha(x, x, x, need_weights=False)[0],
        mha=lambda: nn.MultiheadAttention(16, 4, batch_first=True)),
     [randn(2, 5, 16)],
     note="eval + no_grad + batch_first + self-attention (same tensor) + even heads: "
          "aten::_native_multi_head_attention")
case("mha_key_padding_mask", AT,
     fn(lambda m, x, kpm: m.mha(x, x, x, key_padding_mask=kpm & m.keep0),
        mha=lambda: nn.MultiheadAttention(16, 2, batch_first=True),
        keep0=lambda: torch.tensor([False, True, True, True, True])),
     [randn(2, 5, 16), Inp((2, 5), "bool")],
     note="fast path with a key padding mask and need_weights=True (out, averaged weights); "
          "the random mask is ANDed with a constant that keeps key 0 unmasked")
case("mha_batch_first_odd_heads", AT,
     fn(lambda m, x: m.mha(x, x, x)[0], mha=lambda: nn.MultiheadAttention(12, 3, batch_first=True)),
     [randn(2, 5, 12)], note="odd head count: slow path even with batch_first")
case("transformer_encoder_layer", AT,
     lambda: nn.TransformerEncoderLayer(16, 4, 32, batch_first=True),
     [randn(2, 5, 16)], note="eval fast path: aten::_transformer_encoder_layer_fwd")
case("attention_manual", AT,
     fn(lambda m, q, k, v: torch.softmax(q @ k.transpose(-2, -1) / 8 ** 0.5, dim=-1) @ v),
     [randn(2, 4, 5, 8), randn(2, 4, 6, 8), randn(2, 4, 6, 8)])

# ---- recurrent layers ---------------------------------------------------------------
RN = "recurrent"
SEQ = 5  # sequence length; the batch (2) is dim 1 unless batch_first


def rnn_case(name, make, inputs, note=""):
    """Case for a module m.rnn called as m.rnn(x, *states); LSTM states are a tuple."""
    def call(m, x, *states):
        if not states:
            return m.rnn(x)
        return m.rnn(x, tuple(states) if len(states) == 2 else states[0])
    case(name, RN, fn(call, rnn=make), inputs, note=note)


rnn_case("lstm_one_layer", lambda: nn.LSTM(4, 6), [randn(SEQ, 2, 4, batch_dim=1)],
         note="h0/c0 omitted: zeros sized from the input's batch")
rnn_case("lstm_two_layers_bidirectional_batch_first",
         lambda: nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True),
         [randn(2, SEQ, 4)])
rnn_case("lstm_given_state", lambda: nn.LSTM(4, 6, num_layers=2),
         [randn(SEQ, 2, 4, batch_dim=1), randn(2, 2, 6, batch_dim=1),
          randn(2, 2, 6, batch_dim=1)])
rnn_case("lstm_no_bias", lambda: nn.LSTM(4, 6, bias=False), [randn(SEQ, 2, 4, batch_dim=1)])
rnn_case("lstm_proj_size", lambda: nn.LSTM(4, 6, proj_size=3, bidirectional=True),
         [randn(SEQ, 2, 4, batch_dim=1), randn(2, 2, 3, batch_dim=1),
          randn(2, 2, 6, batch_dim=1)],
         note="no ONNX equivalent: unrolled over the sequence length fixed at export")
rnn_case("lstm_proj_size_two_layers_batch_first",
         lambda: nn.LSTM(4, 6, num_layers=2, proj_size=2, batch_first=True), [randn(2, SEQ, 4)])
rnn_case("gru_one_layer", lambda: nn.GRU(4, 6), [randn(SEQ, 2, 4, batch_dim=1)])
rnn_case("gru_two_layers_bidirectional_batch_first_h0",
         lambda: nn.GRU(4, 6, num_layers=2, bidirectional=True, batch_first=True),
         [randn(2, SEQ, 4), randn(4, 2, 6, batch_dim=1)])
rnn_case("rnn_tanh_two_layers", lambda: nn.RNN(4, 6, num_layers=2),
         [randn(SEQ, 2, 4, batch_dim=1)])
rnn_case("rnn_relu_bidirectional_batch_first_h0",
         lambda: nn.RNN(4, 6, nonlinearity="relu", bidirectional=True, batch_first=True),
         [randn(2, SEQ, 4), randn(2, 2, 6, batch_dim=1)])
case("lstm_cell_steps", RN, ScriptLSTMCellSteps, [randn(2, 4), randn(2, 6), randn(2, 6)],
     script=True, note="scripted: aten::lstm_cell (traced cells decompose into linear/chunk)")
case("lstm_cell_no_state_no_bias", RN, ScriptLSTMCellNoState, [randn(2, 4)], script=True)
case("gru_cell", RN, lambda: ScriptCell(nn.GRUCell(4, 6)), [randn(2, 4), randn(2, 6)],
     script=True)
case("gru_cell_no_bias_no_state", RN, lambda: ScriptCellNoState(nn.GRUCell(4, 6, bias=False)),
     [randn(2, 4)], script=True)
case("rnn_tanh_cell", RN, lambda: ScriptCell(nn.RNNCell(4, 6)), [randn(2, 4), randn(2, 6)],
     script=True)
case("rnn_relu_cell", RN, lambda: ScriptCell(nn.RNNCell(4, 6, nonlinearity="relu")),
     [randn(2, 4), randn(2, 6)], script=True)
case("lstm_cell_traced", RN,
     fn(lambda m, x, h, c: m.cell(x, (h, c)), cell=lambda: nn.LSTMCell(4, 6)),
     [randn(2, 4), randn(2, 6), randn(2, 6)], note="traced: decomposed by the tracer")


# ---- transformer: masks, MultiheadAttention variants, encoder/decoder stacks -------
TR = "transformer"


def causal(n):
    """The causal mask of nn.Transformer.generate_square_subsequent_mask, on a computed size."""
    return torch.triu(torch.full((n, n), float("-inf")), diagonal=1)


def lengths_mask(lengths, n):
    """Key padding mask (true = padded) of right-padded sequences of the given lengths."""
    return torch.arange(n).unsqueeze(0) >= lengths.unsqueeze(1)


case("triu_causal_computed", TR,
     fn(lambda m, x: (x + causal(x.size(1))).softmax(-1)), [randn(2, 6, 6)],
     note="triu of torch.full((n, n), -inf) with n = x.size(1): the mask is computed in the file")
case("triu_tril_diagonals", TR,
     fn(lambda m, x: (torch.triu(x), torch.triu(x, 2), torch.triu(x, -1), torch.tril(x),
                      torch.tril(x, -1), torch.tril(x, 3))),
     [randn(2, 3, 5, 7)], note="rectangular, rank 4, positive and negative diagonals")
case("triu_tril_inplace_bool", TR,
     fn(lambda m, x, c: (x.clone().triu_(1), x.clone().tril_(-2), torch.tril(c), torch.triu(c, 1))),
     [randn(2, 4, 6), Inp((2, 4, 6), "bool")])
case("tril_masked_fill_inf", TR,
     fn(lambda m, x: x.masked_fill(
         torch.tril(torch.ones(x.size(-2), x.size(-1), dtype=torch.bool)).logical_not(),
         float("-inf")).softmax(-1)),
     [randn(2, 3, 5, 5)], note="bool causal mask from tril on computed sizes, masked_fill -inf")
case("mha_attn_mask_bool", TR,
     fn(lambda m, x: m.mha(x, x, x, attn_mask=torch.triu(
         torch.ones(x.size(1), x.size(1), dtype=torch.bool), 1)),
        mha=lambda: nn.MultiheadAttention(16, 4, batch_first=True)),
     [randn(2, 6, 16)], note="bool attn_mask: slow path (masked_fill_ with -inf); out and weights")
case("mha_attn_mask_float_seq_first", TR,
     fn(lambda m, x: m.mha(x, x, x, attn_mask=causal(x.size(0)), average_attn_weights=False),
        mha=lambda: nn.MultiheadAttention(16, 2)),
     [randn(6, 2, 16, batch_dim=1)],
     note="float (-inf) attn_mask, batch_first=False, per-head weights (baddbmm)")
case("mha_kdim_vdim", TR,
     fn(lambda m, q, k, v: (m.mha(q, k, v)[0], m.mha(q, k, v, need_weights=False)[0]),
        mha=lambda: nn.MultiheadAttention(16, 4, kdim=8, vdim=12, batch_first=True)),
     [randn(2, 5, 16), randn(2, 7, 8), randn(2, 7, 12)],
     note="separate key/value dims: q/k/v projection weights, slow path")
case("mha_bias_kv_zero_attn", TR,
     fn(lambda m, q, k, v, lens: m.mha(q, k, v, key_padding_mask=lengths_mask(lens, k.size(0))),
        mha=lambda: nn.MultiheadAttention(16, 4, add_bias_kv=True, add_zero_attn=True)),
     [randn(5, 2, 16, batch_dim=1), randn(7, 2, 16, batch_dim=1), randn(7, 2, 16, batch_dim=1),
      randint(2, low=1, high=8, batch_dim=0)],
     note="add_bias_kv (cat + pad of the mask), add_zero_attn (zeros + cat), key padding mask "
          "from int64 lengths, batch_first=False")
case("mha_fast_path_padding", TR,
     fn(lambda m, x, lens: m.mha(x, x, x, key_padding_mask=lengths_mask(lens, x.size(1)),
                                 need_weights=False)[0],
        mha=lambda: nn.MultiheadAttention(16, 4, batch_first=True)),
     [randn(3, 6, 16), randint(3, low=1, high=7)],
     note="aten::_native_multi_head_attention with a key padding mask from lengths (no row is "
          "fully padded: eager gives NaN there, on both paths)")
case("encoder_nested_padding", TR,
     fn(lambda m, x, lens: m.enc(x, src_key_padding_mask=lengths_mask(lens * m.keep, x.size(1))),
        enc=lambda: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, activation="gelu"), 2),
        keep=lambda: torch.tensor([0, 1, 1, 1])),
     [randn(4, 7, 16), randint(4, low=1, high=6)], dynamic_batch=False,
     note="fast path: _nested_tensor_from_mask -> _transformer_encoder_layer_fwd x2 -> "
          "to_padded_tensor; row 0 is fully padded (eager gives zeros), lengths < 6 so the "
          "output is shorter than the input (the longest sequence)")
case("encoder_nested_padding_dynamic", TR,
     fn(lambda m, x, lens: m.enc(x, src_key_padding_mask=lengths_mask(lens, x.size(1))),
        enc=lambda: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 1)),
     [randn(3, 6, 16), randint(3, low=1, high=7)],
     note="nested fast path (relu) at a second batch size with other lengths")
case("encoder_layer_norm_first_causal_gelu_tanh", TR,
     fn(lambda m, x: m.layer(x, src_mask=causal(x.size(1))),
        layer=lambda: nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, norm_first=True,
                                                 activation=nn.GELU(approximate="tanh"))),
     [randn(2, 6, 16)], note="GPT-style block: pre-norm, causal mask, tanh GELU (slow path)")
case("decoder_causal", TR,
     fn(lambda m, t, mem, lens: m.dec(t, mem, tgt_mask=causal(t.size(1)),
                                      memory_key_padding_mask=lengths_mask(lens, mem.size(1))),
        dec=lambda: nn.TransformerDecoder(
            nn.TransformerDecoderLayer(16, 4, 32, batch_first=True), 2)),
     [randn(2, 5, 16), randn(2, 7, 16), randint(2, low=1, high=8)],
     note="nn.TransformerDecoder: causal self-attention, cross-attention with memory padding")
case("transformer_seq2seq", TR,
     fn(lambda m, s, t: m.tr(s, t, tgt_mask=nn.Transformer.generate_square_subsequent_mask(
         t.size(1))),
        tr=lambda: nn.Transformer(16, 4, 1, 1, 32, batch_first=True)),
     [randn(2, 7, 16), randn(2, 5, 16)],
     note="nn.Transformer with tgt_mask from generate_square_subsequent_mask (encoder fast "
          "path, decoder slow path, final norms)")


# ---- activations and math without an ONNX op of their own -------------------------
REQUIRED_OPS += [
    "aten::glu", "aten::hardshrink", "aten::softshrink", "aten::rrelu", "aten::positive",
    "aten::logaddexp", "aten::lgamma", "aten::atan2", "aten::asinh", "aten::acosh",
    "aten::atanh",
    "aten::topk", "aten::sort", "aten::argsort", "aten::kthvalue", "aten::cumsum",
    "aten::cumprod", "aten::logcumsumexp", "aten::masked_select", "aten::index_put",
    "aten::index_put_", "aten::scatter", "aten::scatter_add", "aten::scatter_reduce",
    "aten::repeat_interleave", "aten::tensor_split", "aten::diag", "aten::cross",
    "aten::linalg_cross", "aten::mv", "aten::meshgrid",
    "aten::bitwise_and", "aten::bitwise_or", "aten::bitwise_xor", "aten::bitwise_not",
    "aten::__and__", "aten::__or__", "aten::__xor__", "aten::__lshift__", "aten::__rshift__",
    "aten::grid_sampler", "aten::affine_grid_generator", "aten::im2col", "aten::col2im",
    "aten::channel_shuffle", "aten::pairwise_distance",
]
case("glu", AC, fn(lambda m, x: (F.glu(x), F.glu(x, 1), nn.GLU(-1)(x * 2))), [randn(2, 4, 6)])
case("shrink", AC,
     fn(lambda m, x: (F.hardshrink(x), F.hardshrink(x, 0.3), F.softshrink(x),
                      F.softshrink(x, 1.0), nn.Softshrink(0.2)(x))),
     [img(scale=1.5)])
case("rrelu_eval", AC,
     fn(lambda m, x: (F.rrelu(x, training=False), F.rrelu(x, 0.1, 0.3, training=False),
                      m.r(x)), r=lambda: nn.RReLU(0.2, 0.4)),
     [img()], note="eval: leaky relu with slope (lower + upper) / 2")
case("positive", U, fn(lambda m, x: torch.positive(x) * 2), [img()])
case("logaddexp", U,
     fn(lambda m, a, b: (torch.logaddexp(a, b), torch.logaddexp(a * 40, b))),
     [img(scale=3.0), img(scale=3.0)], note="a * 40 reaches |a - b| where exp would overflow")
case("lgamma", U, fn(lambda m, x, p: (torch.lgamma(x), torch.lgamma(p))),
     [uniform(2, 3, 8, 8, low=-4.5, high=12.0), uniform(2, 3, 8, 8, low=0.05, high=60.0)],
     note="negative inputs take the reflection branch, small ones the shift, large ones Stirling")
case("atan2", U,
     fn(lambda m, y, x, a, b: (torch.atan2(y, x), torch.atan2(a.float(), b.float()))),
     [img(), img(), randint(2, 3, 8, 8, low=-2, high=3), randint(2, 3, 8, 8, low=-2, high=3)],
     note="small integers hit every quadrant, both axes and (0, 0)")
case("inverse_hyperbolic", U,
     fn(lambda m, x, p, u: (torch.asinh(x), torch.acosh(p), torch.atanh(u))),
     [img(scale=3.0), uniform(2, 3, 8, 8, low=1.0, high=5.0),
      uniform(2, 3, 8, 8, low=-0.9, high=0.9)])
case("cross_mv", U,
     fn(lambda m, a, b, v: (torch.cross(a, b, dim=1), torch.linalg.cross(a.transpose(1, 2),
                                                                       b.transpose(1, 2)),
                            torch.mv(m.w, v)),
        w=lambda: torch.randn(4, 5)),
     [randn(2, 3, 4), randn(2, 3, 4), randn(5, batch_dim=None)])

# ---- sorting, selection, scans, scatters --------------------------------------
SE = "select"
case("topk", SE,
     fn(lambda m, x: (x.topk(3), x.topk(2, dim=1, largest=False), torch.topk(x, 1, dim=-1))),
     [randn(2, 5, 8)], note="randn has no ties, so the order is unique")
case("sort_argsort", SE,
     fn(lambda m, x: (x.sort(), x.sort(1, descending=True), torch.sort(x, stable=True, dim=-1),
                      x.argsort(-1), x.argsort(1, descending=True))),
     [randn(2, 5, 8)])
case("kthvalue", SE,
     fn(lambda m, x: (x.kthvalue(2), x.kthvalue(3, 1, keepdim=True))), [randn(2, 5, 8)])
case("cumsum_cumprod", SE,
     fn(lambda m, x, a: (x.cumsum(-1), x.cumprod(-1), x.cumprod(1), a.cumprod(1), a.cumsum(1))),
     [randn(2, 5, 9), randint(2, 7, low=-3, high=4)],
     note="9 and 7 long axes: the log-step scan's last step is partial; int64 is exact")
case("logcumsumexp", SE,
     fn(lambda m, x: (x.logcumsumexp(-1), torch.logcumsumexp(x * 60, dim=1))),
     [randn(2, 5, 9)], note="x * 60 spans exp's range: an unstable form would give inf or -inf")
case("masked_select", SE,
     fn(lambda m, x, c: (x.masked_select(x > 0.3), torch.masked_select(x, c),
                         x.masked_select(m.keep)),
        keep=lambda: torch.rand(3, 1, 8) > 0.5),
     [img(), boolmask(2, 3, 8, 8)], note="output length depends on the data; m.keep broadcasts")
case("index_put", SE,
     fn(lambda m, x, v, w: (torch.index_put(x, (m.i,), v), x.index_put((m.i, m.j), w[0]),
                            x.index_put((m.neg,), torch.tensor(0.5))),
        i=lambda: torch.tensor([4, 0, 2]), j=lambda: torch.tensor([1, 2, 0]),
        neg=lambda: torch.tensor([-1, 1])),
     [randn(5, 3, batch_dim=None), randn(3, 3, batch_dim=None), randn(1, 3, batch_dim=None)],
     dynamic_batch=False, note="distinct indices: without accumulate duplicates are undefined")
case("index_put_leading_none_mask", SE,
     fn(lambda m, x, v, c: (torch.ops.aten.index_put(x, [None, m.i], v),
                            x.index_put((c,), torch.tensor(-1.0)),
                            _set_rows(x, m.k)),
        i=lambda: torch.tensor([4, 0, 2]), k=lambda: torch.tensor([1])),
     [randn(2, 5, 3), randn(3, 3, batch_dim=None), boolmask(2, 5, 3)],
     note="index_put with indices [None, i] (Python's Tensor.index_put takes no None), "
          "x[mask] = -1, and y[i] = 0.5 on a clone (aten::index_put_)")
case("index_put_accumulate", SE,
     fn(lambda m, x, i, v: x.index_put((i,), v, accumulate=True)),
     [randn(5, 3, batch_dim=None), randint(6, low=0, high=5, batch_dim=None),
      randn(6, 3, batch_dim=None)],
     dynamic_batch=False, note="duplicate indices add up: ScatterND reduction=add, opset 16")
case("scatter_src_value", SE,
     fn(lambda m, x, s: (x.scatter(1, m.idx, s), x.scatter(1, m.idx, 2.5),
                         torch.scatter(x, 1, m.idx[:, :2], s)),
        idx=lambda: torch.stack([torch.randperm(5)[:3] for _ in range(2)])),
     [randn(2, 5, batch_dim=None), randn(2, 3, batch_dim=None)],
     dynamic_batch=False, note="distinct indices per row; the last src is cut to the index")
case("scatter_add_reduce", SE,
     fn(lambda m, x, i, s: (x.scatter_add(1, i, s), x.scatter_reduce(1, i, s, "sum"),
                            x.scatter_reduce(1, i, s, "sum", include_self=False),
                            x.scatter_reduce(1, i, s, "prod"),
                            x.scatter_reduce(1, i, s, "mean"),
                            x.scatter_reduce(1, i, s, "mean", include_self=False))),
     [randn(2, 5, batch_dim=None), randint(2, 4, low=0, high=5, batch_dim=None),
      randn(2, 4, batch_dim=None)],
     dynamic_batch=False, note="duplicate indices reduce; ScatterElements reduction, opset 16")
case("repeat_interleave_split", SE,
     fn(lambda m, x: (x.repeat_interleave(2, dim=1), torch.repeat_interleave(x, m.r, dim=-1),
                      x.repeat_interleave(3), x.tensor_split(3, dim=-1),
                      x.tensor_split([1, 3], dim=1)),
        r=lambda: torch.tensor([1, 0, 2, 3, 1])),
     [randn(2, 4, 5)])
case("diag", SE,
     fn(lambda m, v, a: (torch.diag(v), torch.diag(v, 1), torch.diag(v, -2), torch.diag(a),
                         torch.diag(a, 1), torch.diag(a, -2))),
     [randn(4, batch_dim=None), randn(4, 5, batch_dim=None)], dynamic_batch=False)
case("meshgrid", SE,
     fn(lambda m, a, b, c: (torch.meshgrid(a, b, indexing="ij"),
                            torch.meshgrid(a, b, c, indexing="xy"))),
     [randn(3, batch_dim=None), randn(4, batch_dim=None), randn(2, batch_dim=None)],
     dynamic_batch=False)

# ---- bitwise ops and shifts -------------------------------------------------------
BW = "bitwise"
case("bitwise_bool", BW,
     fn(lambda m, a, b: (a & b, a | b, a ^ b, ~a, torch.bitwise_and(a, b), torch.bitwise_or(a, b),
                         torch.bitwise_xor(a, b), torch.bitwise_not(b))),
     [boolmask(2, 6), boolmask(2, 6)])
case("bitwise_not_int", BW, fn(lambda m, a: (~a, torch.bitwise_not(a * 7))),
     [randint(2, 6, low=-50, high=50)])
case("shifts_int64", BW,
     fn(lambda m, a, s: (a << 2, a >> 1, a << s, a >> s, (a * 1000) >> 3)),
     [randint(2, 6, low=-50, high=50), randint(2, 6, low=0, high=5)],
     note="negative values: >> rounds toward -inf")
case("shifts_uint8", BW,
     fn(lambda m, a, s: ((a.to(torch.uint8) << s.to(torch.uint8)).long(),
                         (a.to(torch.uint8) >> s.to(torch.uint8)).long(),
                         (a.to(torch.uint8) << 3).long())),
     [randint(2, 6, low=0, high=256), randint(2, 6, low=0, high=8)],
     note="uint8 shifts are ONNX BitShift; bits shifted past bit 7 are dropped")
case("bitwise_int", BW, fn(lambda m, a, b: (a & b, a | b, a ^ b)),
     [randint(2, 6, low=-50, high=50), randint(2, 6, low=0, high=50)],
     note="integer and/or/xor below opset 18: bit planes (Mod/Div/Mul/ReduceSum)")
case("bitwise_int_widths", BW,
     fn(lambda m, a, b: tuple(
         f(a.to(t), b.to(t)).long() for t in (torch.int8, torch.uint8, torch.int16, torch.int32)
         for f in (torch.bitwise_and, torch.bitwise_or, torch.bitwise_xor))),
     [randint(2, 6, low=-128, high=128), randint(2, 6, low=-128, high=128)],
     note="every integer width; int8 and uint8 wrap as PyTorch's casts do")
case("bitwise_int64_extremes", BW,
     fn(lambda m, a: (a & m.c, a | m.c, a ^ m.c, m.c & 0x7F0F, m.c ^ -1),
        c=lambda: torch.tensor([-2 ** 63, 2 ** 63 - 1, -1, 0, 123456789012345, -98765432109876])),
     [randint(6, low=-2 ** 62, high=2 ** 62)], dynamic_batch=False,
     note="int64 in two 32-bit halves: the extremes, -1 and values past 2^32")

# ---- sampling, patches ---------------------------------------------------------------
SA = "sampling"
case("grid_sample", SA,
     fn(lambda m, x, g: (F.grid_sample(x, g, align_corners=False),
                         F.grid_sample(x, g, mode="nearest", padding_mode="border",
                                       align_corners=True),
                         F.grid_sample(x, g, padding_mode="reflection", align_corners=False),
                         F.grid_sample(x, g, padding_mode="reflection", align_corners=True))),
     [img(), uniform(2, 5, 6, 2, low=-1.3, high=1.3)], note="grid reaches past the border")
case("affine_grid", SA,
     fn(lambda m, t, t3: (F.affine_grid(t, (2, 3, 5, 6), align_corners=False),
                          F.affine_grid(t, (2, 1, 4, 3), align_corners=True),
                          F.affine_grid(t3, (2, 1, 3, 4, 5), align_corners=False))),
     [randn(2, 2, 3), randn(2, 3, 4)], dynamic_batch=False,
     note="the size argument fixes the batch")
case("unfold_fold", SA,
     fn(lambda m, x, c: (F.unfold(x, 3, padding=1, stride=2), F.unfold(x, (2, 3), dilation=(1, 2)),
                         F.fold(c, (8, 8), 2, stride=2),
                         F.fold(c[:, :, :9], (4, 4), 2, stride=2, padding=1))),
     [img(), randn(2, 12, 16)])
case("fold_overlap", SA, fn(lambda m, c: F.fold(c, (5, 5), 3, padding=1)),
     [randn(2, 18, 25)], note="3x3 patches with stride 1 overlap and add up")
case("channel_shuffle_pairwise", SA,
     fn(lambda m, x, a, b: (m.cs(x), F.pairwise_distance(a, b), F.pairwise_distance(a, b, p=1.0),
                            F.pairwise_distance(a, b, p=3.0, keepdim=True),
                            F.pairwise_distance(a, b, p=float("inf"))),
        cs=lambda: nn.ChannelShuffle(3)),
     [randn(2, 6, 4, 4), randn(2, 5, 8), randn(2, 5, 8)])


# ---- Fourier transforms (ONNX DFT, opset 17) and complex values ------------------------------
REQUIRED_OPS += ["aten::fft_fft", "aten::fft_ifft", "aten::fft_rfft", "aten::fft_irfft",
                 "aten::fft_fft2", "aten::fft_rfftn", "aten::fft_irfftn", "aten::stft",
                 "aten::istft", "aten::view_as_real", "aten::view_as_complex", "aten::complex",
                 "aten::real", "aten::imag", "aten::angle"]
SP = "spectral"


def _vr(z):
    """view_as_real; ifft of a real signal is a lazy conjugate, which must be resolved first."""
    return torch.view_as_real(z.resolve_conj())


def _hann(n):
    return lambda: torch.hann_window(n)


def _as_complex(x):
    """A real [..., 2k] tensor read as k complex values (the way complex inputs enter)."""
    return torch.view_as_complex(x.reshape(x.shape[:-1] + (-1, 2)))


case("rfft_abs", SP, fn(lambda m, x, y: (torch.fft.rfft(x).abs(), torch.fft.rfft(y, dim=1).abs())),
     [randn(2, 16), randn(2, 7, 5)], note="even and odd lengths, a middle axis")
case("fft_view_as_real", SP,
     fn(lambda m, x: (_vr(torch.fft.fft(x)), _vr(torch.fft.ifft(x)), _vr(torch.fft.rfft(x)))),
     [randn(2, 3, 12)])
case("fft_norms", SP,
     fn(lambda m, x: tuple(
         _vr(f(x, norm=nm)) for f in (torch.fft.fft, torch.fft.ifft, torch.fft.rfft)
         for nm in ("backward", "ortho", "forward")) + tuple(
         torch.fft.irfft(torch.fft.rfft(x), norm=nm) for nm in ("backward", "ortho", "forward"))),
     [randn(2, 10)], note="each PyTorch norm over ONNX DFT's own scaling (1/n on the inverse)")
case("fft_n_longer_shorter", SP,
     fn(lambda m, x: (_vr(torch.fft.fft(x, n=20)), _vr(torch.fft.fft(x, n=9)),
                      _vr(torch.fft.rfft(x, n=13)), _vr(torch.fft.rfft(x, n=6)),
                      _vr(torch.fft.ifft(x, n=17, norm="ortho")),
                      torch.fft.irfft(torch.fft.rfft(x), n=9),
                      torch.fft.irfft(torch.fft.rfft(x), n=30))),
     [randn(2, 16)], note="n pads with zeros or cuts the signal; irfft's n cuts or pads bins")
case("irfft_roundtrip", SP,
     fn(lambda m, x, y: (torch.fft.irfft(torch.fft.rfft(x), n=16), torch.fft.irfft(torch.fft.rfft(y)),
                         torch.fft.irfft(torch.fft.rfft(y), n=15))),
     [randn(2, 16), randn(2, 15)], note="default n = 2 (m - 1) of an odd signal is not a roundtrip")
case("irfft_complex_input", SP,
     fn(lambda m, x: (torch.fft.irfft(_as_complex(x)), torch.fft.irfft(_as_complex(x), n=11),
                      torch.fft.hfft(_as_complex(x)), _vr(torch.fft.ihfft(x)))),
     [randn(2, 3, 18)],
     note="spectra that are not Hermitian: PyTorch ignores the imaginary DC and Nyquist parts")
case("fft_dim0", SP,
     fn(lambda m, x: (_vr(torch.fft.fft(x, dim=0)), _vr(torch.fft.rfft(x, dim=0, norm="ortho")),
                      torch.fft.irfft(torch.fft.fft(x, dim=0), dim=0, n=6))),
     [randn(6, 4, batch_dim=None)], dynamic_batch=False,
     note="axis 0 is DFT's batch axis: a leading dim is added")
case("fft2_fftn", SP,
     fn(lambda m, x: (_vr(torch.fft.fft2(x)), _vr(torch.fft.ifft2(x, norm="ortho")),
                      _vr(torch.fft.fftn(x, dim=(1, 3))), _vr(torch.fft.ifftn(x, s=(5, 8))),
                      _vr(torch.fft.fftn(x, s=(3, -1), dim=(-1, 1))))),
     [randn(2, 3, 6, 7)])
case("rfft2_irfftn", SP,
     fn(lambda m, x: (torch.fft.rfft2(x).abs(), _vr(torch.fft.rfftn(x, dim=(1, 2))),
                      torch.fft.irfft2(torch.fft.rfft2(x), s=(6, 8)),
                      torch.fft.irfftn(torch.fft.rfftn(x, dim=(1, 2, 3), norm="forward"),
                                       norm="forward", s=(3, 6, 8), dim=(1, 2, 3)),
                      torch.fft.irfftn(torch.fft.rfftn(x, s=(4, 5), dim=(1, 2)), dim=(1, 2)))),
     [randn(2, 3, 6, 8)])
case("irfft2_size_from_input", SP,
     fn(lambda m, x: torch.fft.irfft2(torch.fft.rfft2(x) * m.h, s=x.shape[-2:]),
        h=lambda: torch.view_as_complex(torch.randn(6, 5, 2))),
     [randn(2, 3, 6, 8)], dynamic_batch=False,
     note="Fourier-neural-operator style: s read from x.shape (a fixed shape folds it; with a "
          "dynamic batch a computed s is refused)")
case("fft_over_dynamic_batch", SP,
     fn(lambda m, x: (torch.fft.rfftn(x).abs(), _vr(torch.fft.fft(x, dim=0, norm="ortho")),
                      _vr(torch.fft.ifft(torch.fft.rfft(x, dim=0, norm="forward"), dim=0)),
                      _vr(torch.fft.fftn(x, dim=(0, 2))))),
     [randn(2, 3, 8)], note="transforms over the dynamic batch axis: the length and norm factors "
                            "are computed from the batch")
case("irfft_over_dynamic_batch", SP, fn(lambda m, x: torch.fft.irfft(_as_complex(x), dim=0)),
     [randn(3, 4, 8)], note="an inverse real transform along the dynamic batch axis is refused")
case("complex_input_fft", SP,
     fn(lambda m, x: (_vr(torch.fft.fft(_as_complex(x))), _vr(torch.fft.ifft(_as_complex(x), n=5)),
                      _vr(torch.fft.fft2(_as_complex(x))))),
     [randn(2, 4, 12)], note="complex inputs given as (real, imag) pairs")
case("stft_spectrogram", SP,
     fn(lambda m, x: (torch.stft(x, 16, hop_length=4, window=m.w, return_complex=True).abs(),
                      torch.stft(x, 16, hop_length=4, window=m.w, return_complex=True).abs().pow(2),
                      _vr(torch.stft(x, 16, window=m.w, center=False, return_complex=True))),
        w=_hann(16)),
     [randn(2, 64)], note="a Hann window, center reflect padding, default hop n_fft / 4")
case("stft_variants", SP,
     fn(lambda m, x: (_vr(torch.stft(x, 12, hop_length=5, win_length=8, window=m.w,
                                     return_complex=True)),
                      _vr(torch.stft(x, 8, hop_length=3, normalized=True, onesided=False,
                                     pad_mode="constant", return_complex=True)),
                      torch.stft(x, 10, hop_length=3, pad_mode="replicate",
                                 return_complex=False)),
        w=_hann(8)),
     [randn(2, 40)],
     note="window shorter than n_fft (centred), no window, normalized, two-sided, other pads, "
          "the old real output")
case("stft_unbatched", SP,
     fn(lambda m, x: torch.stft(x, 16, hop_length=4, window=m.w, return_complex=True).abs(),
        w=_hann(16)),
     [randn(50, batch_dim=None)], dynamic_batch=False)
case("istft_roundtrip", SP,
     fn(lambda m, x: (torch.istft(torch.stft(x, 16, hop_length=4, window=m.w, return_complex=True),
                                  16, hop_length=4, window=m.w),
                      torch.istft(torch.stft(x, 16, hop_length=4, window=m.w, return_complex=True),
                                  16, hop_length=4, window=m.w, length=64),
                      torch.istft(torch.stft(x, 12, hop_length=5, center=False,
                                             return_complex=True),
                                  12, hop_length=5, center=False),
                      torch.istft(torch.stft(x, 8, hop_length=3, normalized=True, onesided=False,
                                             return_complex=True),
                                  8, hop_length=3, normalized=True, onesided=False, length=70)),
        w=_hann(16)),
     [randn(2, 64)],
     note="overlap-add with hop dividing n_fft and not, center off, a length past the signal")
case("istft_spectrum_input", SP,
     fn(lambda m, x: torch.istft(_as_complex(x), 8, hop_length=2, window=m.w),
        w=_hann(8)),
     [randn(2, 5, 14)], note="a spectrum given as real pairs, not one stft made")

CX = "complex"
case("complex_parts", CX,
     fn(lambda m, x: (_as_complex(x).real, _as_complex(x).imag, _as_complex(x).abs(),
                      _as_complex(x).angle(), x.real)),
     [randn(2, 4, 8)], note="angle of every quadrant; real() of a real tensor is itself")
case("complex_construct", CX,
     fn(lambda m, a, b, r, t: (_vr(torch.complex(a, b)), _vr(torch.complex(a, m.im)),
                               torch.complex(a, b).abs(), _vr(torch.polar(r, t))),
        im=lambda: torch.randn(6)),
     [randn(2, 6), randn(2, 6), uniform(2, 6, low=0.1, high=2.0), uniform(2, 6, low=-3, high=3)])
case("complex_arith", CX,
     fn(lambda m, x, y, r: (_vr(_as_complex(x) * _as_complex(y)), _vr(_as_complex(x) * r),
                            _vr(_as_complex(x) / _as_complex(y)), _vr(_as_complex(x) / 2),
                            _vr(_as_complex(x) + _as_complex(y)), _vr(_as_complex(x) - r),
                            _vr(r - _as_complex(x)), _vr(1.5 - _as_complex(x)),
                            _vr(-_as_complex(x)),
                            _vr(_as_complex(x).conj() * _as_complex(y)),
                            _vr(_as_complex(x) * 1j), _vr(_as_complex(x).add(_as_complex(y),
                                                                             alpha=2)))),
     [randn(2, 3, 8), randn(2, 3, 8), randn(2, 3, 4)])
case("complex_shape_ops", CX,
     fn(lambda m, x: tuple(_vr(z) for z in (
         _as_complex(x)[:, 1:3], _as_complex(x)[:, :, ::2], _as_complex(x).select(1, 2),
         _as_complex(x).narrow(2, 1, 3), _as_complex(x).flip(-1), _as_complex(x).unsqueeze(-1),
         _as_complex(x)[:, :1].squeeze(1), torch.cat([_as_complex(x), _as_complex(x) * 2], -1),
         torch.stack([_as_complex(x), -_as_complex(x)], -1), torch.roll(_as_complex(x), 3, -1),
         _as_complex(x).index_select(1, m.i)))
        + (_as_complex(x)[..., -1].real, _as_complex(x).imag * _as_complex(x).shape[-1]),
        i=lambda: torch.tensor([3, 0, 0])),
     [randn(2, 4, 16)], note="ops that name their axes act on the pairs' complex axes")
case("fftshift", SP,
     fn(lambda m, x: (_vr(torch.fft.fftshift(torch.fft.fft(x), dim=-1)),
                      _vr(torch.fft.ifftshift(torch.fft.fft2(x), dim=(-2, -1))),
                      torch.fft.fftshift(x, dim=(1, 2)), torch.fft.ifftshift(x, dim=1))),
     [randn(2, 5, 6)], note="odd and even lengths: the shifts differ by one")
case("complex_filter", CX,
     fn(lambda m, x: torch.fft.irfft(torch.fft.rfft(x) * m.h, n=32),
        h=lambda: torch.view_as_complex(torch.randn(17, 2))),
     [randn(2, 32)], note="a complex constant (a frequency response) times a spectrum")
case("complex_unsupported_op", CX, fn(lambda m, x: torch.view_as_real(torch.sin(_as_complex(x)))),
     [randn(2, 8)], note="sin of a complex tensor has no rule: refused, never run on the pairs")
case("complex_products_exp", CX,
     fn(lambda m, x, y: (_vr(_as_complex(x) @ _as_complex(y)),
                         _vr(torch.einsum("bij,jk->bik", _as_complex(x), m.w)),
                         _vr(torch.einsum("bii->bi", _as_complex(x)[:, :, :4])),
                         _vr(torch.exp(_as_complex(x))), _vr(torch.bmm(_as_complex(x),
                                                                       _as_complex(y)))),
        w=lambda: torch.randn(5, 3, dtype=torch.cfloat)),
     [randn(2, 4, 10), randn(2, 5, 6)],
     note="complex products (PyTorch refuses to mix real and complex operands); a complex "
          "weight; a one-operand einsum (a diagonal)")
case("spectral_conv", CX,
     fn(lambda m, x: _spectral_conv(x, m.w1, m.w2),
        w1=lambda: torch.randn(3, 4, 3, 3, dtype=torch.cfloat) / 12,
        w2=lambda: torch.randn(3, 4, 3, 3, dtype=torch.cfloat) / 12),
     [img()], note="a Fourier neural operator layer: complex weights mix the lowest modes, "
                   "written into a zero spectrum sized from the input, then irfft2 back")
case("complex_output", CX, fn(lambda m, x: torch.fft.fft(x)), [randn(2, 8)],
     note="a complex model output is refused: return view_as_real of it")


def _spectral_conv(x, w1, w2, modes=3):
    spectrum = torch.fft.rfft2(x)
    out = torch.zeros(x.shape[0], w1.shape[1], x.size(-2), x.size(-1) // 2 + 1,
                      dtype=torch.cfloat, device=x.device)
    out[:, :, :modes, :modes] = torch.einsum("bixy,ioxy->boxy", spectrum[:, :, :modes, :modes], w1)
    out[:, :, -modes:, :modes] = torch.einsum("bixy,ioxy->boxy", spectrum[:, :, -modes:, :modes],
                                              w2)
    return torch.fft.irfft2(out, s=(x.size(-2), x.size(-1)))


def _set_rows(x, i):
    y = x.clone()
    y[i] = 0.5
    return y


# ---- pooling attributes, adaptive pooling, nearest rules, computed arguments -----------------
case("max_pool1d_default_dilation", PL, fn(lambda m, x: (F.max_pool1d(x, 3), F.max_pool1d(x, 2, 1, 1, 2))),
     [randn(2, 3, 16)])
case("max_pool3d", PL, lambda: nn.MaxPool3d(2), [randn(2, 2, 6, 8, 8)])
case("max_pool3d_dilation_indices", PL,
     fn(lambda m, x: (F.max_pool3d(x, 2, stride=1, dilation=2),
                      F.max_pool3d(x, (1, 2, 2), return_indices=True))),
     [randn(2, 2, 6, 8, 8)])
case("avg_pool3d_default_stride", PL,
     fn(lambda m, x: (F.avg_pool3d(x, 2), F.avg_pool3d(x, (1, 3, 2), padding=(0, 1, 1)))),
     [randn(2, 2, 6, 8, 8)])
case("avg_pool2d_default_stride", PL, fn(lambda m, x: (F.avg_pool2d(x, 3), F.avg_pool2d(x, (2, 1)))),
     [img()])
case("pool_unbatched", PL,
     fn(lambda m, x, y: (F.max_pool2d(x, 2), F.avg_pool2d(x, 3, stride=1), F.max_pool1d(y, 2),
                         F.adaptive_avg_pool2d(x, 3))),
     [randn(3, 8, 8), randn(3, 10)], dynamic_batch=False,
     note="unbatched [C, spatial...] inputs, which PyTorch pools as a batch of one")
case("adaptive_max_pool2d_uneven", PL, lambda: nn.AdaptiveMaxPool2d((3, 5)), [img()])
case("adaptive_max_pool2d_indices", PL,
     fn(lambda m, x: (F.adaptive_max_pool2d(x, 4, return_indices=True),
                      F.adaptive_max_pool2d(x, (3, 5), return_indices=True))),
     [img()], note="equal cells (MaxPool) and unequal cells (ArgMax per cell)")
case("adaptive_max_pool1d_indices", PL,
     fn(lambda m, x: (F.adaptive_max_pool1d(x, 4, return_indices=True),
                      F.adaptive_max_pool1d(x, 3, return_indices=True))),
     [randn(2, 3, 10)])
case("adaptive_avg_pool3d", PL,
     fn(lambda m, x: (F.adaptive_avg_pool3d(x, (2, 4, 4)), F.adaptive_avg_pool3d(x, (4, 3, 5)),
                      F.adaptive_avg_pool3d(x, 1))),
     [randn(2, 2, 6, 8, 8)])
case("adaptive_max_pool3d", PL,
     fn(lambda m, x: (F.adaptive_max_pool3d(x, (3, 4, 4)),
                      F.adaptive_max_pool3d(x, (4, 3, 5), return_indices=True))),
     [randn(2, 2, 6, 8, 8)])
case("adaptive_pool_computed_size", PL,
     fn(lambda m, x: (F.adaptive_avg_pool2d(x, (x.shape[2] // 3, x.shape[3] // 2)),
                      F.adaptive_max_pool2d(x, (x.shape[-2] - 3, x.shape[-1] - 2)))),
     [img()], note="output sizes computed from x.shape")
case("nearest_scale_rounding", IN,
     fn(lambda m, x, y, z: (F.interpolate(x, scale_factor=0.6, mode="nearest"),
                            F.interpolate(x, scale_factor=(1.7, 2.0), mode="nearest"),
                            F.interpolate(y, scale_factor=0.6, mode="nearest"),
                            F.interpolate(z, scale_factor=(0.6, 1.5, 2.0), mode="nearest"))),
     [randn(2, 3, 20, 20), randn(2, 3, 20), randn(2, 2, 10, 7, 5)],
     note="scale 0.6: PyTorch reads source 14 for output 9 where Resize's own rounding reads 15")
case("nearest_exact", IN,
     fn(lambda m, x, y, z: (F.interpolate(x, scale_factor=0.6, mode="nearest-exact"),
                            F.interpolate(x, scale_factor=2, mode="nearest-exact"),
                            F.interpolate(x, size=(7, 13), mode="nearest-exact"),
                            F.interpolate(y, scale_factor=1.7, mode="nearest-exact"),
                            F.interpolate(z, size=(4, 9, 11), mode="nearest-exact"))),
     [randn(2, 3, 20, 20), randn(2, 3, 9), randn(2, 2, 6, 7, 5)])
case("interpolate_computed_size", IN,
     fn(lambda m, x: (F.interpolate(x, size=(x.shape[2] * 2 - 1, x.shape[3] + 3), mode="bilinear",
                                    align_corners=False),
                      F.interpolate(x, size=(x.shape[2] + 5, x.shape[3] // 2), mode="nearest"))),
     [img()], note="output sizes computed from x.shape")


def _swin_window_partition(m, x, ws=4):
    # Swin: pad H and W up to a multiple of the window, then cut windows (B, H, W, C layout).
    B, H, W, C = x.shape
    pad_b = (ws - H % ws) % ws
    pad_r = (ws - W % ws) % ws
    x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
    Hp, Wp = x.shape[1], x.shape[2]
    x = x.view(B, Hp // ws, ws, Wp // ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, C)
    return m.proj(x)


case("pad_computed_swin_window", PD, fn(_swin_window_partition, proj=lambda: nn.Linear(8, 6)),
     [randn(2, 6, 7, 8)], note="pads computed from H and W (Swin window attention)")
case("pad_computed_modes", PD,
     fn(lambda m, x: (F.pad(x, (0, x.shape[-1] % 3, 1, x.shape[-2] // 4), value=0.5),
                      F.pad(x, (x.shape[-1] // 4, 1, 0, x.shape[-2] % 3), mode="reflect"),
                      F.pad(x, (x.shape[-1] // 4, 0, 1, 1), mode="replicate"))),
     [randn(2, 3, 7, 9)])
case("pixel_shuffle_ranks", PD,
     fn(lambda m, x, y: (F.pixel_shuffle(x, 2), F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2),
                         F.pixel_shuffle(y, 2), F.pixel_unshuffle(y, 2))),
     [randn(2, 3, 8, 4, 6), randn(8, 4, 6, batch_dim=None)],
     note="5-D input (two leading dims) and an unbatched 3-D one")


def validate_table():
    names = [c.name for c in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate case names: {sorted(dup)}")


# ---- torchvision detection ops (registered by torchvision's operator library) ------------------
import torchvision  # noqa: E402  (registers torchvision:: ops for tracing)
import torchvision.ops as tvo  # noqa: E402

REQUIRED_OPS += ["torchvision::nms", "torchvision::roi_align", "torchvision::roi_pool"]
DE = "detection"


def _xyxy(xy, wh):
    return torch.cat([xy, xy + wh], 1)


def _rois(m, xy, wh):
    """rois [K, 5]: the image index (a constant column), then x1, y1, x2, y2."""
    return torch.cat([m.image[:, None], _xyxy(xy, wh)], 1)


case("nms", DE,
     fn(lambda m, xy, wh, s: (tvo.nms(_xyxy(xy, wh), s, 0.5), tvo.nms(_xyxy(xy, wh), s, 0.2))),
     [uniform(16, 2, low=0.0, high=3.0), uniform(16, 2, low=2.0, high=5.0),
      uniform(16, low=0.0, high=1.0)],
     dynamic_batch=False,
     note="16 random boxes crowded into an 8 x 8 field overlap heavily; uniform scores are "
          "distinct; the kept count depends on the data")
case("batched_nms", DE,
     fn(lambda m, xy, wh, s, label: tvo.batched_nms(_xyxy(xy, wh), s, label, 0.3)),
     [uniform(16, 2, low=0.0, high=10.0), uniform(16, 2, low=1.0, high=5.0),
      uniform(16, low=0.0, high=1.0), randint(16, low=0, high=3)],
     dynamic_batch=False,
     note="as traced: boxes offset by label times (max coordinate + 1), then one nms")


def _offset_nms(boxes, scores, label, iou):
    """The body of torchvision's batched NMS (its coordinate trick) without its emptiness check."""
    offsets = label.to(boxes) * (boxes.max() + torch.tensor(1).to(boxes))
    return tvo.nms(boxes + offsets[:, None], scores, iou)


case("batched_nms_offsets", DE,
     fn(lambda m, xy, wh, s, label: _offset_nms(_xyxy(xy, wh), s, label, 0.3)),
     [uniform(16, 2, low=0.0, high=3.0), uniform(16, 2, low=2.0, high=5.0),
      uniform(16, low=0.0, high=1.0), randint(16, low=0, high=3)],
     dynamic_batch=False, note="per-label NMS: boxes of different labels never overlap")
case("roi_align", DE,
     fn(lambda m, x, xy, wh: (tvo.roi_align(x, _rois(m, xy, wh), (3, 3), 0.5, 2, False),
                              tvo.roi_align(x, _rois(m, xy, wh), (2, 4), 0.5, -1, False),
                              tvo.roi_align(x, _rois(m, xy, wh), (3, 3), 0.5, 2, True),
                              tvo.roi_align(x, _rois(m, xy, wh), 2, 0.5, -1, True)),
        image=lambda: torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0])),
     [img(), uniform(5, 2, low=0.0, high=10.0), uniform(5, 2, low=0.2, high=6.0)],
     dynamic_batch=False,
     note="aligned and not, sampling_ratio 2 and adaptive; boxes reach past the 16 x 16 image "
          "at scale 0.5 and some are narrower than a pixel")
case("roi_align_unaligned", DE,
     fn(lambda m, x, xy, wh: tvo.roi_align(x, _rois(m, xy, wh), (3, 3), 0.25, 2, False),
        image=lambda: torch.tensor([1.0, 0.0, 1.0])),
     [img(), uniform(3, 2, low=0.0, high=20.0), uniform(3, 2, low=1.0, high=12.0)],
     dynamic_batch=False, note="aligned=False only: expressible at every opset")
case("roi_pool", DE,
     fn(lambda m, x, xy, wh: (tvo.roi_pool(x, _rois(m, xy, wh), (3, 3), 0.5),
                              tvo.roi_pool(x, _rois(m, xy, wh), 2, 1.0)),
        image=lambda: torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0])),
     [img(), uniform(5, 2, low=0.0, high=10.0), uniform(5, 2, low=0.2, high=6.0)],
     dynamic_batch=False)
REQUIRED_OPS += ["aten::_shape_as_tensor"]
case("shape_as_tensor", DE,
     fn(lambda m, x: (torch._shape_as_tensor(x)[-2:] * 2, x * torch._shape_as_tensor(x)[0])),
     [img()], note="how torchvision's detection transform reads the image size when traced")

# ---- in-place writes through views ------------------------------------------------
# The IR has value semantics: a write into a view must reach the tensor it views (and older
# views of it that are read later).
VW = "view_write"
REQUIRED_OPS += ["aten::copy_"]


def _add_into_corner(q, k, bias):
    attn = q @ k.transpose(-2, -1)
    attn[:, :, 1:, 1:] += bias  # MViT's relative position term: add_ into a slice, then copy_
    return attn.softmax(-1)


def _assign_row_and_column(x, v):
    y = x * 2
    y[:, 0] = v  # copy_ into a select
    y[:, :, -1] = 0.5  # fill_ of a select at a negative index
    y[..., 2:4, 1:3] = y[..., 2:4, 1:3] * -1
    return y


def _window_mask(x):
    # Swin's shifted-window mask: zeros of a computed size, filled by slices.
    h, w = x.shape[-2], x.shape[-1]
    mask = torch.zeros((1, h, w, 1), device=x.device)
    count = 0
    for hs in (slice(0, -4), slice(-4, -2), slice(-2, None)):
        for ws in (slice(0, -4), slice(-4, -2), slice(-2, None)):
            mask[:, hs, ws, :] = count
            count += 1
    return x + mask.permute(0, 3, 1, 2)


def _through_reshape_and_transpose(x):
    y = x + 1
    y.view(x.shape[0], -1)[:, :5] = 0.0  # a slice of a view: written back through both
    y.transpose(2, 3)[:, :, 0] *= 3.0  # a select of a transpose
    return y


def _older_view_read_later(x):
    y = x - 0.5
    top = y[:, :2]  # taken before the write into y[:, 1:], read after it
    y[:, 1:].clamp_(min=0.0)
    return top * 2, y


case("add_into_slice", VW,
     fn(lambda m, q, k, b: _add_into_corner(q, k, b)),
     [randn(2, 2, 9, 4), randn(2, 2, 6, 4), randn(1, 2, 8, 5, batch_dim=None)],
     note="attn[:, :, 1:, 1:] += bias: add_ on a slice chain, then copy_ into the same slices")
case("assign_select_and_slices", VW,
     fn(lambda m, x, v: _assign_row_and_column(x, v)),
     [img(), randn(2, 8, 8)], note="copy_ into a select, fill_ of a select at -1, copy_ into slices")
case("window_mask_fill", VW, fn(lambda m, x: _window_mask(x)), [img()],
     note="a zero mask of computed size filled slice by slice (Swin); dynamic batch")
case("write_through_reshape_transpose", VW,
     fn(lambda m, x: _through_reshape_and_transpose(x)), [img()],
     note="a slice of a view, a select of a transpose: written back through both")
case("older_view_read_after_write", VW, fn(lambda m, x: _older_view_read_later(x)), [img()],
     note="a view taken before an in-place clamp_ of another view sees the write")
