"""Data loaders: IDX reading, MNIST search order and failure modes, toy sets."""
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import threading
import urllib.error
from pathlib import Path

import numpy as np
import pytest

import dlbook.data.mnist as mnist_module
from dlbook.data import (IDXFormatError, MNISTNotFoundError, TARGETS_1D, digits, load_mnist, moons,
                         read_idx, sine_1d, target_1d, two_spirals, write_idx, xor)
from dlbook.data.mnist import MD5, locate_mnist, mnist_train_test

# The shared data folder, as CI names it (DLBOOK_DATA, set by .ci/run); else the usual place.
SHARED = Path(os.environ.get("DLBOOK_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
SHIPPED = Path(mnist_module.__file__).parent / "mnist"
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
# The digit frequencies of the official 10,000-image MNIST test set.
TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
# Under CI the shared copy must be there: a test that cannot find its data fails, never skips.
needs_shared = pytest.mark.skipif(not (SHARED / "mnist" / TEST_FILES[0]).exists()
                                  and os.environ.get("CI", "") != "true",
                                  reason=f"the shared MNIST copy is not at {SHARED} (set DLBOOK_DATA)")


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No DLBOOK_DATA, an empty cache, and the shipped copy hidden: nothing to find."""
    monkeypatch.delenv("DLBOOK_DATA", raising=False)
    monkeypatch.setenv("DLBOOK_CACHE", str(tmp_path / "cache"))
    empty = tmp_path / "no-shipped-copy"
    empty.mkdir()
    monkeypatch.setattr(mnist_module, "PACKAGE_DIR", empty)
    return tmp_path


def _labels_by_hand(path: Path) -> np.ndarray:
    """Labels straight from the bytes (8-byte header), independent of read_idx."""
    raw = gzip.decompress(path.read_bytes())
    return np.frombuffer(raw[8:], dtype=np.uint8)


# ----------------------------------------------------------------------------- the real files
def test_files_are_the_official_ones():
    for name in TEST_FILES:
        assert hashlib.md5((SHIPPED / name).read_bytes()).hexdigest() == MD5[name]
        if (SHARED / "mnist" / name).exists():
            assert hashlib.md5((SHARED / "mnist" / name).read_bytes()).hexdigest() == MD5[name]


@needs_shared
@pytest.mark.parametrize("form", ["parent", "folder"])
def test_load_from_dlbook_data(monkeypatch, isolated, form):
    monkeypatch.setenv("DLBOOK_DATA", str(SHARED if form == "parent" else SHARED / "mnist"))
    images_path, labels_path = locate_mnist("test")
    assert images_path.parent == SHARED / "mnist"
    images, labels = load_mnist("test", download=False)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert labels.min() == 0 and labels.max() == 9
    np.testing.assert_array_equal(labels, _labels_by_hand(labels_path))
    assert np.bincount(labels, minlength=10).tolist() == TEST_LABEL_COUNTS
    assert images.max() == 255 and images.min() == 0
    # a digit has ink in the middle and a blank border
    assert images[:, 10:18, 10:18].mean() > 5 * images[:, :2, :].mean()


def test_load_from_the_shipped_copy(monkeypatch, tmp_path):
    monkeypatch.delenv("DLBOOK_DATA", raising=False)
    monkeypatch.setenv("DLBOOK_CACHE", str(tmp_path))
    images_path, labels_path = locate_mnist("test", download=False)
    assert images_path.parent == SHIPPED
    images, labels = load_mnist(download=False)
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    np.testing.assert_array_equal(labels, _labels_by_hand(labels_path))
    assert int(np.bincount(labels).sum()) == 10000
    assert np.bincount(labels, minlength=10).tolist() == TEST_LABEL_COUNTS
    if (SHARED / "mnist" / TEST_FILES[0]).exists():
        monkeypatch.setenv("DLBOOK_DATA", str(SHARED))
        shared_images, _ = load_mnist(download=False)
        np.testing.assert_array_equal(images, shared_images)


def test_data_dir_comes_first_and_raw_files_work(monkeypatch, isolated):
    folder = isolated / "mine"
    folder.mkdir()
    images = np.zeros((10000, 28, 28), dtype=np.uint8)
    images[:, 14, 14] = 7
    labels = (np.arange(10000) % 10).astype(np.uint8)
    write_idx(folder / "t10k-images-idx3-ubyte", images)        # raw, not gzip
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels)
    monkeypatch.setattr(mnist_module, "PACKAGE_DIR", SHIPPED)   # the shipped copy is there too
    got_images, got_labels = load_mnist(data_dir=folder, download=False)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_mnist_train_test_split(monkeypatch, tmp_path):
    monkeypatch.delenv("DLBOOK_DATA", raising=False)
    monkeypatch.delenv("DLBOOK_SCALE", raising=False)
    monkeypatch.setenv("DLBOOK_CACHE", str(tmp_path))
    x_train, y_train, x_test, y_test = mnist_train_test(500, 200, seed=3)
    assert x_train.shape == (500, 784) and x_test.shape == (200, 784)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() == 1.0
    assert y_train.dtype == np.int64 and set(np.unique(y_train)) <= set(range(10))
    again = mnist_train_test(500, 200, seed=3)
    np.testing.assert_array_equal(again[0], x_train)
    other = mnist_train_test(500, 200, seed=4)
    assert not np.array_equal(other[0], x_train)
    # the two parts are disjoint pieces of the test set
    images, _ = load_mnist(download=False)
    flat = images.reshape(10000, -1).astype(np.float32) / 255
    rows = {r.tobytes(): i for i, r in enumerate(flat)}
    train_ids = {rows[r.tobytes()] for r in x_train}
    test_ids = {rows[r.tobytes()] for r in x_test}
    assert len(train_ids) == 500 and not train_ids & test_ids
    # default sizes, images and one-hot labels
    x_train, y_train, x_test, y_test = mnist_train_test(seed=0, flatten=False, one_hot=True)
    assert x_train.shape == (8000, 1, 28, 28) and x_test.shape == (2000, 1, 28, 28)
    assert y_train.shape == (8000, 10) and np.all(y_train.sum(axis=1) == 1)
    with pytest.raises(ValueError, match="n_test"):
        mnist_train_test(9000, 2000)


def test_full_scale_needs_the_training_set(monkeypatch, isolated):
    monkeypatch.setattr(mnist_module, "PACKAGE_DIR", SHIPPED)
    monkeypatch.setenv("DLBOOK_SCALE", "full")
    with pytest.raises(MNISTNotFoundError, match="train"):
        mnist_train_test(100, 100, download=False)


# ----------------------------------------------------------------------------- broken files
@pytest.mark.parametrize("how", ["truncated-gz", "truncated-raw", "wrong-magic", "trailing", "short"])
def test_corrupted_files_give_a_clear_error_naming_the_file(tmp_path, how):
    raw = gzip.decompress((SHIPPED / TEST_FILES[1]).read_bytes())
    path = tmp_path / ("t10k-labels-idx1-ubyte.gz" if how == "truncated-gz" else "t10k-labels-idx1-ubyte")
    if how == "truncated-gz":
        data = gzip.compress(raw)
        path.write_bytes(data[: len(data) // 2])
        message = "corrupted or truncated"
    elif how == "truncated-raw":
        path.write_bytes(raw[:-100])
        message = r"truncated.*\(10000,\).*9900 bytes"
    elif how == "wrong-magic":
        path.write_bytes(b"\x12\x34" + raw[2:])
        message = "magic number"
    elif how == "trailing":
        path.write_bytes(raw + b"\x00")
        message = "trailing bytes"
    else:
        path.write_bytes(raw[:2])
        message = "too short"
    with pytest.raises(IDXFormatError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_corrupted_copy_in_data_dir_is_reported_not_skipped(isolated):
    folder = isolated / "broken"
    folder.mkdir()
    shutil.copy(SHIPPED / TEST_FILES[0], folder)
    data = (SHIPPED / TEST_FILES[1]).read_bytes()
    (folder / TEST_FILES[1]).write_bytes(data[:-50])
    with pytest.raises(IDXFormatError, match=TEST_FILES[1]):
        load_mnist(data_dir=folder, download=False)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, array)
    got = read_idx(path)
    assert got.dtype == array.dtype and got.dtype.isnative
    np.testing.assert_array_equal(got, array)
    with pytest.raises(ValueError, match="dtype"):
        write_idx(tmp_path / "b.idx", np.zeros(3, dtype=np.int64))


# ----------------------------------------------------------------------------- nothing to find
def test_no_data_and_download_disabled(isolated):
    with pytest.raises(MNISTNotFoundError) as info:
        load_mnist("test", download=False)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "DLBOOK_DATA" in message and "internet" in message and "download=False" in message
    assert str(isolated / "no-shipped-copy") in message and str(isolated / "cache") in message


def test_no_network_gives_a_helpful_error_not_a_urllib_traceback(monkeypatch, isolated):
    tried = []

    def offline(url, dest, timeout=30.0):
        tried.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist_module, "_download_file", offline)
    with pytest.raises(MNISTNotFoundError) as info:
        load_mnist("train")
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "URLError" in message
    assert "DLBOOK_DATA" in message and "internet" in message
    assert len(tried) == len(mnist_module.MIRRORS) and all("train-images" in u for u in tried)
    assert not list((isolated / "cache" / "mnist").glob("*.part"))  # no half-written files left


def test_download_is_verified_by_md5(monkeypatch, isolated):
    """A local 'mirror' stands in for the network: good bytes are kept, bad bytes rejected."""
    served = []

    def from_local_mirror(url, dest, timeout=30.0):
        served.append(url)
        Path(dest).write_bytes((SHIPPED / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(mnist_module, "_download_file", from_local_mirror)
    images, labels = load_mnist("test")
    assert images.shape == (10000, 28, 28) and len(served) == 2
    cache = isolated / "cache" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(TEST_FILES)
    load_mnist("test")  # found in the cache now: no second download
    assert len(served) == 2

    for p in cache.iterdir():
        p.unlink()

    def corrupting_mirror(url, dest, timeout=30.0):
        data = bytearray((SHIPPED / url.rsplit("/", 1)[1]).read_bytes())
        data[100] ^= 0xFF
        Path(dest).write_bytes(bytes(data))

    monkeypatch.setattr(mnist_module, "_download_file", corrupting_mirror)
    with pytest.raises(MNISTNotFoundError, match="does not match the official 9fb629c4"):
        load_mnist("test")
    assert not list(cache.iterdir())


def test_bad_split_is_a_value_error():
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation")


# ----------------------------------------------------------------------------- toy sets
def test_xor():
    X, y = xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [int(a) ^ int(b) for a, b in X]


@pytest.mark.parametrize("make", [two_spirals, moons])
def test_2d_sets_are_deterministic_and_balanced(make):
    X, y = make(101, noise=0.05, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float32 and y.shape == (101,)
    assert sorted(np.bincount(y).tolist()) == [50, 51]
    X2, y2 = make(101, noise=0.05, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(101, noise=0.05, seed=4)
    assert not np.array_equal(X, X3)
    assert make(10, noise=0.0, seed=0, dtype=np.float64)[0].dtype == np.float64
    with pytest.raises(ValueError, match="noise"):
        make(10, noise=-1.0, seed=0)
    with pytest.raises(ValueError, match="seed"):
        make(10, noise=0.1, seed=-1)


def test_spirals_are_point_reflections_without_noise():
    X, y = two_spirals(200, noise=0.0, seed=1, dtype=np.float64)
    assert np.abs(X).max() <= 1.0 + 1e-12
    radius_0 = np.sort(np.linalg.norm(X[y == 0], axis=1))
    assert radius_0[-1] > 0.9 and radius_0[0] < 0.2  # the arm runs from the centre outwards


def test_1d_targets():
    x, y = sine_1d(50, seed=2, noise=0.0, dtype=np.float64)
    assert x.shape == y.shape == (50, 1)
    assert np.all(np.diff(x[:, 0]) >= 0) and 0 <= x.min() and x.max() <= 1
    np.testing.assert_allclose(y, np.sin(2 * np.pi * x))
    np.testing.assert_array_equal(sine_1d(50, seed=2, noise=0.1)[1], sine_1d(50, seed=2, noise=0.1)[1])
    assert not np.array_equal(sine_1d(50, seed=2, noise=0.1)[1], sine_1d(50, seed=3, noise=0.1)[1])
    kinds = {kind for _, kind in TARGETS_1D.values()}
    assert kinds == {"smooth", "piecewise"}
    xs, ys = target_1d("step", 11, grid=True, dtype=np.float64)
    np.testing.assert_allclose(xs[:, 0], np.linspace(0, 1, 11))
    assert ys[:5, 0].tolist() == [0.0] * 5 and ys[5:, 0].tolist() == [1.0] * 6
    _, ya = target_1d("abs", 3, grid=True, dtype=np.float64)
    assert ya[:, 0].tolist() == [1.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="name"):
        target_1d("wiggle")


def test_digits():
    x_train, y_train, x_test, y_test = digits(seed=0)
    assert x_train.shape[1] == 64 and len(x_train) + len(x_test) == 1797
    assert len(x_test) == round(0.25 * 1797)
    assert x_train.dtype == np.float32 and x_train.min() == 0.0 and x_train.max() == 1.0
    assert set(np.unique(y_train)) == set(range(10))
    again = digits(seed=0)
    np.testing.assert_array_equal(again[0], x_train)
    assert not np.array_equal(digits(seed=1)[0], x_train)
    images = digits(seed=0, flatten=False)[0]
    assert images.shape[1:] == (1, 8, 8)


# ------------------------------------------------------------- bad input and quiet fallbacks
def test_read_idx_rejects_what_is_not_an_idx_file(tmp_path):
    with pytest.raises(ValueError, match="path: expected the path of an IDX file, got None"):
        read_idx(None)
    with pytest.raises(ValueError, match="path: expected an IDX file.*a folder"):
        read_idx(tmp_path)
    with pytest.raises(ValueError, match="no such file"):
        read_idx(tmp_path / "missing.idx")
    many = tmp_path / "many-dims.idx"
    many.write_bytes(bytes([0, 0, 0x08, 255]) + b"\x00\x00\x00\x01" * 255 + b"\x07")
    with pytest.raises(IDXFormatError, match="claims 255 dimensions"):
        read_idx(many)


def test_labels_above_nine_are_refused(isolated):
    folder = isolated / "bad-labels"
    folder.mkdir()
    write_idx(folder / TEST_FILES[0], np.zeros((10000, 28, 28), np.uint8))
    labels = (np.arange(10000) % 10).astype(np.uint8)
    labels[1234] = 10
    write_idx(folder / TEST_FILES[1], labels)
    with pytest.raises(ValueError, match="labels must be digits 0..9, found 10"):
        load_mnist(data_dir=folder, download=False)


def test_a_named_data_dir_never_falls_back_to_another_copy(isolated, monkeypatch):
    monkeypatch.setattr(mnist_module, "PACKAGE_DIR", SHIPPED)   # a copy exists elsewhere
    empty = isolated / "empty"
    empty.mkdir()
    with pytest.raises(MNISTNotFoundError, match="not found in data_dir"):
        load_mnist(data_dir=empty, download=False)
    a_file = isolated / "a-file"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="data_dir: expected an existing folder.*a file"):
        load_mnist(data_dir=a_file)
    with pytest.raises(ValueError, match="data_dir: expected a folder path or None"):
        load_mnist(data_dir=3)
    with pytest.raises(ValueError, match="download: expected True or False"):
        load_mnist(download="no")


def test_the_small_split_leaves_a_test_part(monkeypatch, tmp_path):
    monkeypatch.delenv("DLBOOK_DATA", raising=False)
    monkeypatch.delenv("DLBOOK_SCALE", raising=False)
    monkeypatch.setenv("DLBOOK_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match=r"n_train: expected an integer in \[1, 9999\]"):
        mnist_train_test(n_train=10000)
    x_train, _, x_test, _ = mnist_train_test(n_train=9999)
    assert len(x_train) == 9999 and len(x_test) == 1


def test_moons_lie_on_their_two_half_circles_without_noise():
    X, y = moons(400, noise=0.0, seed=5, dtype=np.float64)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    assert upper[:, 1].min() >= -1e-12                    # class 0 is the upper arc
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert lower[:, 1].max() <= 0.5 + 1e-12               # class 1 opens upwards, below
    # The arcs interleave: each one reaches into the other's half circle.
    assert lower[:, 0].min() < 1e-12 and upper[:, 0].max() > 1 - 1e-12


def test_both_spiral_arms_lie_on_the_curve_and_class_1_is_reflected():
    turns = 1.5
    X, y = two_spirals(300, noise=0.0, seed=2, turns=turns, dtype=np.float64)

    def off_arm(points):
        """Distance of each point from the arm r = t / (2 pi turns) at angle t."""
        r = np.hypot(points[:, 0], points[:, 1])
        t = r * turns * 2 * np.pi
        return np.hypot(points[:, 0] - r * np.cos(t), points[:, 1] - r * np.sin(t))

    assert off_arm(X[y == 0]).max() < 1e-12
    assert off_arm(-X[y == 1]).max() < 1e-12   # class 1 is the point reflection of the arm
    assert np.median(off_arm(X[y == 1])) > 0.1  # ...and not the arm itself


class _MirrorHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def local_mirror(monkeypatch):
    """The shipped test files served over http on 127.0.0.1, as a download mirror."""
    handler = lambda *a, **k: _MirrorHandler(*a, directory=str(SHIPPED), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(mnist_module, "MIRRORS", (f"http://127.0.0.1:{server.server_port}/",))
    yield server
    server.shutdown()
    server.server_close()


def test_the_real_download_fetches_and_verifies_over_http(isolated, local_mirror):
    images, labels = load_mnist("test")
    assert images.shape == (10000, 28, 28)
    assert np.bincount(labels).tolist() == TEST_LABEL_COUNTS
    cache = isolated / "cache" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(TEST_FILES)
    for name in TEST_FILES:
        assert mnist_module.md5sum(cache / name) == MD5[name]


def test_a_server_that_never_answers_times_out_with_a_clear_error(isolated, tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)   # accepts connections, never sends a byte
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/t10k-labels-idx1-ubyte.gz"
        with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
            mnist_module._download_file(url, tmp_path / "x.part", timeout=0.5)
    finally:
        silent.close()
