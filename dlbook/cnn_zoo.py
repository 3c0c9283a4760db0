"""The classic convolutional networks of chapter 6 as compact torch modules, and tools to measure them.

The point is to *count*, not to train: the chapter compares LeNet-5, AlexNet, VGG, GoogLeNet and
ResNet by depth, parameters and multiply-adds computed from the architectures themselves, with no
torchvision and no downloaded weights. Build a big model on PyTorch's "meta" device,
``with torch.device("meta"): model = vgg(16)``, and its tensors have shapes but no storage: counting
its 138 million parameters then allocates nothing, and ``profile`` runs the forward pass on meta
tensors, which propagates shapes without computing a single number.

Architectures follow the papers (LeCun et al. 1998 with full C3 connectivity; Krizhevsky et al.
2012; Simonyan & Zisserman 2014; Szegedy et al. 2015 without the auxiliary classifiers, which are
used only in training; He et al. 2016), plus the single-tower AlexNet and the batch-normalised
GoogLeNet that torchvision ships, so that counts can be compared without installing it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "lenet5", "alexnet", "vgg", "googlenet", "googlenet_torchvision", "resnet", "Inception",
    "InceptionBN", "BasicBlock", "Bottleneck",
    "count_parameters", "depth", "profile", "Profile", "VGG_CONFIGS", "RESNET_CONFIGS",
    "GOOGLENET_INCEPTIONS",
]


def _check_choice(value, name: str, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {sorted(allowed)}, got {value!r}")


# ----------------------------------------------------------------------------- LeNet-5
def lenet5(num_classes: int = 10) -> nn.Sequential:
    """LeNet-5 as usually built today: 32x32 input, C1 6@5x5, S2, C3 16@5x5, S4, C5 120, F6 84.

    Differences from the 1998 paper: C3 connects to all six S2 maps (the paper used a sparse
    table), subsampling is plain average pooling (the paper's had a trainable weight and bias per
    map), and the output is a linear layer (the paper's was a layer of radial basis functions).
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),            # C1 28x28, S2 14x14
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),           # C3 10x10, S4 5x5
        nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),            # C5 1x1: a 5x5 conv on 5x5 maps
        nn.Linear(120, 84), nn.Tanh(),                             # F6
        nn.Linear(84, num_classes),
    )


# ----------------------------------------------------------------------------- AlexNet
def alexnet(variant: str = "paper", num_classes: int = 1000) -> nn.Sequential:
    """AlexNet for 227x227 RGB input ("paper") or 224x224 ("torchvision").

    ``"paper"``: Krizhevsky et al. (2012) split the network over two GPUs; conv2, conv4 and conv5
    only see the maps on their own GPU, which is a grouped convolution with ``groups=2``. It uses
    local response normalisation after conv1 and conv2 and overlapping 3x3/2 max pooling.
    ``"torchvision"``: the single-tower variant of Krizhevsky (2014) with 64-192-384-256-256
    channels and no normalisation, as torchvision's ``alexnet`` builds it.
    """
    _check_choice(variant, "variant", {"paper", "torchvision"})
    if variant == "paper":
        features = [
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        ]
    else:
        features = [
            nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        ]
    classifier = [
        nn.Flatten(),                                                  # 256 maps of 6x6
        nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes),
    ]
    return nn.Sequential(*features, *classifier)


# ----------------------------------------------------------------------------- VGG
# Simonyan & Zisserman's configurations A, B, D, E: output channels of 3x3 convs, "M" a 2x2 max pool.
VGG_CONFIGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
         512, 512, 512, 512, "M"],
}


def vgg(layers: int = 16, num_classes: int = 1000) -> nn.Sequential:
    """VGG-11/13/16/19 for 224x224 input: stacks of 3x3 convolutions (stride 1, padding 1), five
    2x2 max pools, then three fully connected layers (4096, 4096, classes)."""
    _check_choice(layers, "layers", VGG_CONFIGS.keys())
    body, channels = [], 3
    for v in VGG_CONFIGS[layers]:
        if v == "M":
            body.append(nn.MaxPool2d(2, 2))
        else:
            body += [nn.Conv2d(channels, v, 3, padding=1), nn.ReLU()]
            channels = v
    return nn.Sequential(
        *body, nn.Flatten(),                                           # 512 maps of 7x7
        nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, num_classes),
    )


# ----------------------------------------------------------------------------- GoogLeNet
def _conv_relu(c_in, c_out, kernel, stride=1, padding=0):
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding), nn.ReLU())


class _FourBranches(nn.Module):
    """What every Inception module does with its four branches: stack their outputs along the
    channels (the subclasses build ``branch1``, ``branch3``, ``branch5`` and ``branch_pool``)."""

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


class Inception(_FourBranches):
    """Four parallel branches whose outputs are stacked along the channels:
    1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | 3x3 max pool -> 1x1. The 1x1 convolutions before the 3x3 and
    5x5 ones cut the number of channels first, which is what keeps the module cheap."""

    def __init__(self, c_in, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        super().__init__()
        self.branch1 = _conv_relu(c_in, c1, 1)
        self.branch3 = nn.Sequential(_conv_relu(c_in, c3_reduce, 1),
                                     _conv_relu(c3_reduce, c3, 3, padding=1))
        self.branch5 = nn.Sequential(_conv_relu(c_in, c5_reduce, 1),
                                     _conv_relu(c5_reduce, c5, 5, padding=2))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                         _conv_relu(c_in, pool_proj, 1))
        self.out_channels = c1 + c3 + c5 + pool_proj


# Table 1 of Szegedy et al. (2015): #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
GOOGLENET_INCEPTIONS = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def googlenet(num_classes: int = 1000) -> nn.Sequential:
    """GoogLeNet (Inception v1) for 224x224 input, as in Table 1 of the paper, at inference time
    (the two auxiliary classifiers only help training). Max pools round up (``ceil_mode``), as
    Caffe did, so that 112 -> 56 -> 28 -> 14 -> 7 as in the paper's table."""
    def pool():
        return nn.MaxPool2d(3, stride=2, ceil_mode=True)

    def lrn():
        return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75)

    layers = [_conv_relu(3, 64, 7, stride=2, padding=3), pool(), lrn(),
              _conv_relu(64, 64, 1), _conv_relu(64, 192, 3, padding=1), lrn(), pool()]
    channels = 192
    for name, widths in GOOGLENET_INCEPTIONS.items():
        if name in ("4a", "5a"):
            layers.append(pool())
        block = Inception(channels, *widths)
        layers.append(block)
        channels = block.out_channels
    layers += [nn.AvgPool2d(7), nn.Flatten(), nn.Dropout(0.4), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)


def _conv_bn_relu(c_in, c_out, kernel, stride=1, padding=0):
    """torchvision's BasicConv2d: a convolution without bias, batch norm (eps 1e-3), ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
                         nn.BatchNorm2d(c_out, eps=0.001), nn.ReLU())


class InceptionBN(_FourBranches):
    """The Inception module as torchvision builds it: every convolution without bias and
    followed by batch norm, and a 3x3 (not 5x5) convolution in the "5x5" branch, a slip kept
    in torchvision so that its published weights still load."""

    def __init__(self, c_in, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        super().__init__()
        self.branch1 = _conv_bn_relu(c_in, c1, 1)
        self.branch3 = nn.Sequential(_conv_bn_relu(c_in, c3_reduce, 1),
                                     _conv_bn_relu(c3_reduce, c3, 3, padding=1))
        self.branch5 = nn.Sequential(_conv_bn_relu(c_in, c5_reduce, 1),
                                     _conv_bn_relu(c5_reduce, c5, 3, padding=1))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                         _conv_bn_relu(c_in, pool_proj, 1))
        self.out_channels = c1 + c3 + c5 + pool_proj


def googlenet_torchvision(num_classes: int = 1000) -> nn.Sequential:
    """GoogLeNet as torchvision's ``googlenet`` builds it for inference (``aux_logits=False``):
    Table 1's widths, but batch norm after every convolution (no conv biases), no LRN, the
    3x3 slip of :class:`InceptionBN`, adaptive average pooling. Built here so that the chapter
    can compare counts without installing torchvision; ``googlenet()`` stays the paper's."""
    def pool():
        return nn.MaxPool2d(3, stride=2, ceil_mode=True)

    layers = [_conv_bn_relu(3, 64, 7, stride=2, padding=3), pool(),
              _conv_bn_relu(64, 64, 1), _conv_bn_relu(64, 192, 3, padding=1), pool()]
    channels = 192
    for name, widths in GOOGLENET_INCEPTIONS.items():
        if name == "4a":
            layers.append(pool())
        elif name == "5a":
            layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
        block = InceptionBN(channels, *widths)
        layers.append(block)
        channels = block.out_channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)


# ----------------------------------------------------------------------------- ResNet
class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch normalisation, plus the shortcut: y = relu(x + F(x)).
    When the block halves the size or changes the width, a 1x1 convolution reshapes x."""

    expansion = 1

    def __init__(self, c_in, width, stride=1):
        super().__init__()
        c_out = width * self.expansion
        self.body = nn.Sequential(
            nn.Conv2d(c_in, width, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out))
        self.shortcut = _projection(c_in, c_out, stride)

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 (reduce) -> 3x3 -> 1x1 (expand 4x), with batch normalisation, plus the shortcut."""

    expansion = 4

    def __init__(self, c_in, width, stride=1):
        super().__init__()
        c_out = width * self.expansion
        self.body = nn.Sequential(
            nn.Conv2d(c_in, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = _projection(c_in, c_out, stride)

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def _projection(c_in, c_out, stride):
    if stride == 1 and c_in == c_out:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))


# He et al. (2016), Table 1: block type and number of blocks in each of the four stages.
RESNET_CONFIGS = {
    18: (BasicBlock, (2, 2, 2, 2)), 34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)), 101: (Bottleneck, (3, 4, 23, 3)), 152: (Bottleneck, (3, 8, 36, 3)),
}


def resnet(layers: int = 18, num_classes: int = 1000) -> nn.Sequential:
    """ResNet-18/34/50/101/152 for 224x224 input (projection shortcuts where the shape changes)."""
    _check_choice(layers, "layers", RESNET_CONFIGS.keys())
    block, counts = RESNET_CONFIGS[layers]
    body = [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1)]
    channels = 64
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), counts)):
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            body.append(block(channels, width, stride))
            channels = width * block.expansion
    return nn.Sequential(*body, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))


# ----------------------------------------------------------------------------- measuring
def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers (works on the meta device: shapes only)."""
    return sum(p.numel() for p in model.parameters())


def depth(model: nn.Module) -> int:
    """Weight layers (Conv2d and Linear) on the longest path from input to output.

    The model is traced symbolically with ``torch.fx`` (no forward pass), so branches (Inception)
    and shortcuts (ResNet) count once along their longest route, as the papers count depth.
    """
    import torch.fx

    if not isinstance(model, nn.Module):
        raise ValueError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    graph = torch.fx.symbolic_trace(model).graph
    weighted = {name for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))}
    longest: dict = {}
    for node in graph.nodes:                      # nodes come in topological order
        before = max((longest[a] for a in node.all_input_nodes), default=0)
        longest[node] = before + (node.op == "call_module" and node.target in weighted)
    return max(longest.values())


@dataclass(frozen=True)
class Profile:
    """What one image costs: multiply-adds of the Conv2d and Linear layers, and their output units."""

    macs: int         # multiply-accumulate operations for one image
    units: int        # output values of all Conv2d and Linear layers ("neurons")
    output_shape: tuple


def profile(model: nn.Module, input_size) -> Profile:
    """Run ``model`` on one meta-device input of shape (C, H, W) and add up what its layers cost.

    A Conv2d output value costs (in_channels / groups) * kh * kw multiply-adds, a Linear output
    value in_features. Nothing is computed: on the meta device the forward pass only works out
    shapes, so this is safe for the largest model. The model is moved to the meta device.
    """
    c, h, w = (int(v) for v in input_size)
    model = model.to("meta").eval()
    totals = {"macs": 0, "units": 0}

    def hook(module, inputs, output):
        per_value = (module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
                     if isinstance(module, nn.Conv2d) else module.in_features)
        totals["macs"] += output.numel() * per_value
        totals["units"] += output.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            out = model(torch.empty(1, c, h, w, device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    return Profile(macs=totals["macs"], units=totals["units"], output_shape=tuple(out.shape))
