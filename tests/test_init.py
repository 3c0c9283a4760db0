"""Initialisers: fans as torch counts them, and the spread each rule promises."""
import numpy as np
import pytest
import torch

from dlbook.nn.init import (fan_in_fan_out, get_initializer, he_normal, lecun_normal, xavier_normal,
                            xavier_uniform)


@pytest.mark.parametrize("shape", [(7, 3), (8, 3, 5, 5), (4, 2, 3, 1), (6, 4, 3), (1, 1)])
def test_fans_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert fan_in_fan_out(shape) == expected


def test_conv_fans_count_the_receptive_field():
    # a 5x5 conv from 3 to 8 channels: each unit sees 3*25 inputs, each input reaches 8*25 units
    assert fan_in_fan_out((8, 3, 5, 5)) == (75, 200)


SHAPE = (800, 500)  # 400,000 draws: the sample std is within ~0.1% of the true one
FAN_IN, FAN_OUT = 500, 800


@pytest.mark.parametrize("init, expected_std", [
    (lambda s, r, d: lecun_normal(s, r, d), np.sqrt(1 / FAN_IN)),
    (lambda s, r, d: he_normal(s, r, d), np.sqrt(2 / FAN_IN)),
    (lambda s, r, d: xavier_normal(s, r, d), np.sqrt(2 / (FAN_IN + FAN_OUT))),
    (lambda s, r, d: xavier_normal(s, r, d, gain=2.0), 2 * np.sqrt(2 / (FAN_IN + FAN_OUT))),
    (lambda s, r, d: xavier_uniform(s, r, d), np.sqrt(6 / (FAN_IN + FAN_OUT)) / np.sqrt(3)),
    (lambda s, r, d: xavier_uniform(s, r, d, gain=0.5), 0.5 * np.sqrt(6 / (FAN_IN + FAN_OUT)) / np.sqrt(3)),
])
def test_empirical_std_matches_the_rule(init, expected_std):
    w = init(SHAPE, np.random.default_rng(0), np.float64)
    assert w.shape == SHAPE
    assert abs(w.std() / expected_std - 1) < 0.01
    assert abs(w.mean()) < 0.01 * expected_std  # the mean of 400k draws is within ~0.002 std of 0


def test_conv_weight_std_uses_the_conv_fan_in():
    w = he_normal((64, 16, 5, 5), np.random.default_rng(1), np.float64)  # fan_in = 400
    assert abs(w.std() / np.sqrt(2 / 400) - 1) < 0.02


def test_xavier_uniform_stays_inside_its_bound():
    gain = 1.5
    bound = gain * np.sqrt(6 / (FAN_IN + FAN_OUT))
    w = xavier_uniform(SHAPE, np.random.default_rng(2), np.float64, gain=gain)
    assert np.max(np.abs(w)) <= bound
    assert np.max(np.abs(w)) > 0.999 * bound


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("init", [lecun_normal, xavier_uniform, xavier_normal, he_normal])
def test_dtype_and_determinism(init, dtype):
    a = init((5, 4), np.random.default_rng(3), dtype)
    b = init((5, 4), np.random.default_rng(3), dtype)
    c = init((5, 4), np.random.default_rng(4), dtype)
    assert a.dtype == dtype
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(init((5, 4)), init((5, 4)))  # the default rng is seeded


def test_get_initializer_names_and_callables():
    assert get_initializer("lecun") is lecun_normal
    assert get_initializer("xavier") is xavier_uniform
    assert get_initializer("he") is he_normal
    ones = get_initializer(lambda shape, rng, dtype: np.ones(shape))
    w = ones((3, 2), np.random.default_rng(0), np.float32)
    assert w.dtype == np.float32 and np.all(w == 1)


@pytest.mark.parametrize("bad", ["kaiming_fancy", "", 3, None])
def test_get_initializer_rejects_unknown(bad):
    with pytest.raises(ValueError, match="init"):
        get_initializer(bad)


def test_callable_returning_the_wrong_shape_is_rejected():
    wrong = get_initializer(lambda shape, rng, dtype: np.ones(3))
    with pytest.raises(ValueError, match="init: the callable returned shape"):
        wrong((3, 2), np.random.default_rng(0), np.float32)


@pytest.mark.parametrize("shape", [(5,), (), (0, 3), (3, -1), (2.5, 3), (True, 2), "ab", 7])
def test_bad_shapes_are_rejected(shape):
    with pytest.raises(ValueError, match="shape"):
        fan_in_fan_out(shape)
    with pytest.raises(ValueError, match="shape"):
        he_normal(shape)


def test_bad_rng_dtype_and_gain_are_rejected():
    with pytest.raises(ValueError, match="rng"):
        lecun_normal((3, 3), rng=0)
    with pytest.raises(ValueError, match="dtype"):
        he_normal((3, 3), np.random.default_rng(0), np.float16)
    with pytest.raises(ValueError, match="dtype"):
        xavier_uniform((3, 3), np.random.default_rng(0), np.int32)
    with pytest.raises(ValueError, match="gain"):
        xavier_normal((3, 3), np.random.default_rng(0), np.float32, gain=0.0)
