"""dlbook.cnn_zoo: parameter counts against published ones, depth, shapes, multiply-adds, bad input."""
import pytest
import torch
from torch import nn

from dlbook import cnn_zoo as zoo


def on_meta(make, *args):
    with torch.device("meta"):
        return make(*args)


# Published parameter counts: AlexNet 60,965,224 is the two-tower network of the 2012 paper (conv2,
# conv4, conv5 grouped); the others are the counts torchvision reports for the same architectures.
KNOWN_COUNTS = [
    (zoo.alexnet, ("paper",), 60_965_224),
    (zoo.alexnet, ("torchvision",), 61_100_840),
    (zoo.vgg, (11,), 132_863_336),
    (zoo.vgg, (16,), 138_357_544),
    (zoo.vgg, (19,), 143_667_240),
    (zoo.resnet, (18,), 11_689_512),
    (zoo.resnet, (34,), 21_797_672),
    (zoo.resnet, (50,), 25_557_032),
    (zoo.resnet, (101,), 44_549_160),
]


@pytest.mark.parametrize("make, args, expected", KNOWN_COUNTS)
def test_parameter_counts_match_the_published_ones(make, args, expected):
    assert zoo.count_parameters(on_meta(make, *args)) == expected


def test_lenet5_count_by_hand():
    # C1 6*(25+1), C3 16*(6*25+1), C5 120*(16*25+1), F6 84*(120+1), output 10*(84+1)
    by_hand = 6 * 26 + 16 * 151 + 120 * 401 + 84 * 121 + 10 * 85
    assert zoo.count_parameters(zoo.lenet5()) == by_hand == 61_706


def test_googlenet_count_from_the_table_of_the_paper():
    def conv(c_in, c_out, k):
        return c_in * c_out * k * k + c_out

    expected = conv(3, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3)
    channels = 192
    for c1, r3, c3, r5, c5, pp in zoo.GOOGLENET_INCEPTIONS.values():
        expected += (conv(channels, c1, 1) + conv(channels, r3, 1) + conv(r3, c3, 3)
                     + conv(channels, r5, 1) + conv(r5, c5, 5) + conv(channels, pp, 1))
        channels = c1 + c3 + c5 + pp
    expected += channels * 1000 + 1000
    assert channels == 1024
    assert zoo.count_parameters(on_meta(zoo.googlenet)) == expected


@pytest.mark.parametrize("make, args, expected", [
    (zoo.lenet5, (), 5), (zoo.alexnet, (), 8), (zoo.vgg, (16,), 16), (zoo.vgg, (19,), 19),
    (zoo.googlenet, (), 22), (zoo.resnet, (18,), 18), (zoo.resnet, (50,), 50),
])
def test_depth_counts_weight_layers_on_the_longest_path(make, args, expected):
    assert zoo.depth(on_meta(make, *args)) == expected


def test_depth_takes_the_longest_branch_not_the_sum():
    class TwoBranches(nn.Module):
        def __init__(self):
            super().__init__()
            self.short = nn.Conv2d(1, 1, 1)
            self.long = nn.Sequential(nn.Conv2d(1, 1, 1), nn.ReLU(), nn.Conv2d(1, 1, 1), nn.Conv2d(1, 1, 1))

        def forward(self, x):
            return self.short(x) + self.long(x)

    assert zoo.depth(TwoBranches()) == 3
    assert zoo.depth(nn.Sequential(nn.ReLU())) == 0


def test_alexnet_first_layer_and_output_sizes():
    model = on_meta(zoo.alexnet)
    conv1 = model[0]
    assert tuple(conv1.weight.shape) == (96, 3, 11, 11) and conv1.weight[0].numel() == 363
    # the paper's "650,000 neurons": output values of all conv and linear layers for one image
    prof = zoo.profile(model, (3, 227, 227))
    assert prof.output_shape == (1, 1000)
    assert prof.units == 55 * 55 * 96 + 27 * 27 * 256 + 2 * 13 * 13 * 384 + 13 * 13 * 256 + 2 * 4096 + 1000


def test_profile_counts_multiply_adds_like_the_formula():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 4, 3, stride=2, groups=2),
                          nn.Flatten(), nn.Linear(4 * 7 * 7, 5))
    prof = zoo.profile(model, (3, 16, 16))
    expected = 16 * 16 * 8 * (3 * 9) + 7 * 7 * 4 * (4 * 9) + 5 * 196
    assert prof.macs == expected
    assert prof.units == 16 * 16 * 8 + 7 * 7 * 4 + 5
    assert prof.output_shape == (1, 5)


def test_profile_allocates_nothing_for_vgg16():
    model = on_meta(zoo.vgg, 16)
    assert all(p.is_meta for p in model.parameters())
    prof = zoo.profile(model, (3, 224, 224))
    assert prof.output_shape == (1, 1000)
    assert 15.4e9 < prof.macs < 15.5e9          # the usual "15.5 GMACs" of VGG-16


def test_googlenet_stage_sizes_follow_table_1():
    model = on_meta(zoo.googlenet)
    sizes = {}

    def record(name):
        return lambda m, i, o: sizes.__setitem__(name, tuple(o.shape[1:]))

    blocks = [m for m in model if isinstance(m, zoo.Inception)]
    for name, block in zip(zoo.GOOGLENET_INCEPTIONS, blocks):
        block.register_forward_hook(record(name))
    zoo.profile(model, (3, 224, 224))
    assert sizes["3a"] == (256, 28, 28) and sizes["3b"] == (480, 28, 28)
    assert sizes["4a"] == (512, 14, 14) and sizes["4e"] == (832, 14, 14)
    assert sizes["5b"] == (1024, 7, 7)


def test_small_models_really_run_on_the_cpu():
    torch.manual_seed(0)
    assert zoo.lenet5()(torch.randn(2, 1, 32, 32)).shape == (2, 10)
    net = zoo.resnet(18, num_classes=7).eval()
    with torch.no_grad():
        out = net(torch.randn(1, 3, 64, 64))
    assert out.shape == (1, 7) and torch.isfinite(out).all()


def test_bad_arguments_raise_value_errors():
    with pytest.raises(ValueError, match="layers"):
        zoo.vgg(15)
    with pytest.raises(ValueError, match="layers"):
        zoo.resnet(20)
    with pytest.raises(ValueError, match="variant"):
        zoo.alexnet("caffe")
    with pytest.raises(ValueError, match="model"):
        zoo.depth("resnet")


def test_googlenet_as_torchvision_builds_it():
    # torchvision's documented count for GoogLeNet (aux_logits=False): batch norm instead of
    # conv biases and a 3x3 convolution in the "5x5" branch; the paper's version is unchanged.
    model = on_meta(zoo.googlenet_torchvision)
    assert zoo.count_parameters(model) == 6_624_904
    assert zoo.count_parameters(on_meta(zoo.googlenet)) == 6_998_552
    assert zoo.depth(model) == 22
    assert zoo.profile(model, (3, 224, 224)).output_shape == (1, 1000)
