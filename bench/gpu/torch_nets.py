"""BVLC CaffeNet and GoogLeNet (deploy nets) as torch.nn modules, layer for layer as src/zoo/caffenet.ts
and src/zoo/googlenet.ts build them: Caffe's pooling that rounds up (ceil_mode), its across-channel LRN
(local_size 5, alpha 1e-4, beta 0.75, k 1), grouped convolutions, dropout (the identity in eval mode)
and a softmax at the end. Weights are PyTorch's default random initialisation: the benchmark measures
speed, not accuracy.

    python3 bench/gpu/torch_nets.py    # builds both, checks parameter counts and output shapes
"""

import torch
from torch import nn

# What BVLC's deploy nets hold, and what joule's zoo builds (src/zoo).
CAFFENET_PARAMETERS = 60_965_224
GOOGLENET_PARAMETERS = 6_998_552


def lrn() -> nn.Module:
    # Caffe's LRN across channels: x / (1 + alpha/n * sum over n channels of x^2)^beta.
    return nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=1.0)


def max_pool(kernel: int, stride: int, padding: int = 0) -> nn.Module:
    return nn.MaxPool2d(kernel, stride, padding, ceil_mode=True)


class CaffeNet(nn.Module):
    """bvlc_reference_caffenet: conv, relu, pool, then norm (AlexNet normalises before pooling). Input 227."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), max_pool(3, 2), lrn(),  # conv1 .. norm1
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), max_pool(3, 2), lrn(),  # conv2 .. norm2
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),  # conv3
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),  # conv4
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True), max_pool(3, 2),  # conv5, pool5
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),  # fc6
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),  # fc7
            nn.Linear(4096, 1000),  # fc8
            nn.Softmax(dim=1),  # prob
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def conv_relu(cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding), nn.ReLU(inplace=True))


class Inception(nn.Module):
    """Branches 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | 3x3 max pool (stride 1, pad 1) -> 1x1, concatenated."""

    def __init__(self, cin: int, n1x1: int, n3x3r: int, n3x3: int, n5x5r: int, n5x5: int, proj: int) -> None:
        super().__init__()
        self.b1 = conv_relu(cin, n1x1, 1)
        self.b3 = nn.Sequential(conv_relu(cin, n3x3r, 1), conv_relu(n3x3r, n3x3, 3, padding=1))
        self.b5 = nn.Sequential(conv_relu(cin, n5x5r, 1), conv_relu(n5x5r, n5x5, 5, padding=2))
        self.bp = nn.Sequential(max_pool(3, 1, 1), conv_relu(cin, proj, 1))
        self.out_channels = n1x1 + n3x3 + n5x5 + proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], 1)


# Branch widths as in src/zoo/googlenet.ts: 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection.
INCEPTIONS = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


class GoogLeNet(nn.Module):
    """bvlc_googlenet's deploy net (no auxiliary classifiers). Input 224."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            conv_relu(3, 64, 7, stride=2, padding=3), max_pool(3, 2), lrn(),  # conv1/7x7_s2, pool1, norm1
            conv_relu(64, 64, 1), conv_relu(64, 192, 3, padding=1), lrn(), max_pool(3, 2),  # conv2, norm2, pool2
        ]
        channels = 192
        for name, widths in INCEPTIONS.items():
            if name in ("4a", "5a"):
                layers.append(max_pool(3, 2))  # pool3/3x3_s2, pool4/3x3_s2
            block = Inception(channels, *widths)
            layers.append(block)
            channels = block.out_channels
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.AvgPool2d(7, stride=1, ceil_mode=True),  # pool5/7x7_s1: global at 224
            nn.Flatten(),
            nn.Dropout(0.4),
            nn.Linear(channels, 1000),  # loss3/classifier
            nn.Softmax(dim=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


NETS = {
    "caffenet": (CaffeNet, 227, CAFFENET_PARAMETERS),
    "googlenet": (GoogLeNet, 224, GOOGLENET_PARAMETERS),
}


def build(name: str) -> tuple[nn.Module, int]:
    """The network in eval mode and its input size; asserts the parameter count of BVLC's definition."""
    cls, size, expected = NETS[name]
    net = cls().eval()
    count = sum(p.numel() for p in net.parameters())
    assert count == expected, f"{name}: {count:,} parameters, BVLC's has {expected:,}"
    return net, size


if __name__ == "__main__":
    for model in NETS:
        net, size = build(model)
        with torch.no_grad():
            y = net(torch.randn(2, 3, size, size))
        assert y.shape == (2, 1000), y.shape
        assert torch.allclose(y.sum(1), torch.ones(2)), "softmax rows must sum to 1"
        print(f"{model}: {sum(p.numel() for p in net.parameters()):,} parameters, output {tuple(y.shape)}: ok")
