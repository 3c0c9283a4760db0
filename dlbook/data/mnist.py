"""MNIST from the official IDX files: found locally when possible, downloaded (and verified) if not.

Search order for a split's two files:

1. the ``data_dir`` argument;
2. the folder named by the environment variable ``DLBOOK_DATA``;
3. the copy of the 10,000-image test set shipped inside the package (``dlbook/data/mnist``);
4. the download cache (``~/.cache/dlbook/mnist``, or ``$DLBOOK_CACHE/mnist``);
5. a download into that cache from a standard mirror, checked against the official MD5 sums.

A folder counts if it holds the IDX files itself or has a ``mnist/`` (or ``MNIST/raw/``)
subfolder that does; each file may be gzip-compressed (``.gz``) or raw.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from .idx import read_idx

DATA_ENV = "DLBOOK_DATA"
CACHE_ENV = "DLBOOK_CACHE"
PACKAGE_DIR = Path(__file__).resolve().parent / "mnist"   # the shipped test set
SPLITS = ("train", "test")
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
SIZES = {"train": 60000, "test": 10000}


class MNISTNotFoundError(FileNotFoundError):
    """No copy of the requested MNIST split was found and none could be downloaded."""


def md5sum(path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_dir() -> Path:
    """Where downloads go: ``$DLBOOK_CACHE/mnist`` or ``~/.cache/dlbook/mnist``."""
    root = os.environ.get(CACHE_ENV, "").strip()
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "dlbook"
    return base / "mnist"


def _find_file(folder: Path, gz_name: str) -> Path | None:
    for name in (gz_name, gz_name[:-3]):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _find_split(root: Path, split: str) -> tuple[Path, Path] | None:
    """The (images, labels) files of ``split`` in ``root`` or its mnist/ subfolder, if both exist."""
    for folder in (root, root / "mnist", root / "MNIST" / "raw"):
        found = [_find_file(folder, name) for name in FILES[split]]
        if all(found):
            return found[0], found[1]
    return None


def _download_file(url: str, dest: Path, timeout: float = 30.0) -> None:
    """Fetch ``url`` into ``dest`` (the one function that touches the network)."""
    request = urllib.request.Request(url, headers={"User-Agent": "dlbook"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as f:
        shutil.copyfileobj(response, f)


def _download_split(split: str, folder: Path) -> tuple[tuple[Path, Path] | None, list[str]]:
    """Download both files of ``split`` into ``folder``; returns (paths or None, problems)."""
    problems: list[str] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return None, [f"cannot create the cache folder {folder}: {err}"]
    paths = []
    for name in FILES[split]:
        dest = folder / name
        if dest.is_file() and md5sum(dest) == MD5[name]:
            paths.append(dest)
            continue
        for mirror in MIRRORS:
            url = mirror + name
            fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=name + ".", suffix=".part")
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                _download_file(url, tmp)
                got = md5sum(tmp)
                if got != MD5[name]:
                    problems.append(f"{url}: MD5 {got} does not match the official {MD5[name]}")
                    continue
                os.replace(tmp, dest)
                paths.append(dest)
                break
            except (urllib.error.URLError, socket.timeout, TimeoutError, OSError, ValueError) as err:
                reason = getattr(err, "reason", err)
                problems.append(f"{url}: {type(err).__name__}: {reason}")
            finally:
                if tmp.exists():
                    tmp.unlink()
        else:
            return None, problems
    return (paths[0], paths[1]), problems


def _read_split(images_path: Path, labels_path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: expected uint8 images of shape (N, 28, 28), "
                         f"got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                         f"{len(labels)} labels: the two files do not belong together")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: labels must be digits 0..9, found {int(labels.max())}")
    if len(images) != SIZES[split]:
        raise ValueError(f"{images_path}: the MNIST {split} split has {SIZES[split]} images, "
                         f"this file has {len(images)}")
    return images, labels


def locate_mnist(split: str = "test", data_dir=None, download: bool = True) -> tuple[Path, Path]:
    """The paths of the (images, labels) IDX files of ``split``; see the module docstring."""
    if split not in SPLITS:
        raise ValueError(f"split: expected 'train' or 'test', got {split!r}")
    if not isinstance(download, bool):
        raise ValueError(f"download: expected True or False, got {download!r}")
    looked: list[str] = []
    candidates: list[tuple[str, Path]] = []
    if data_dir is not None:
        # A folder the caller names is the one they mean: never fall back to another copy.
        if not isinstance(data_dir, (str, os.PathLike)):
            raise ValueError(f"data_dir: expected a folder path or None, got {data_dir!r}")
        root = Path(os.fspath(data_dir)).expanduser()
        if not root.is_dir():
            raise ValueError(f"data_dir: expected an existing folder holding the MNIST IDX files, "
                             f"got {str(root)!r} ({'a file' if root.exists() else 'no such folder'})")
        found = _find_split(root, split)
        if found:
            return found
        raise MNISTNotFoundError(
            f"MNIST {split} split not found in data_dir {root}: need "
            f"{' and '.join(FILES[split])} (gzip-compressed or raw) there or in its mnist/ "
            "subfolder. Pass data_dir=None to use DLBOOK_DATA, the shipped copy or a download.")
    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        candidates.append((f"${DATA_ENV}", Path(env).expanduser()))
    if split == "test":
        candidates.append(("copy shipped with dlbook", PACKAGE_DIR))
    cache = cache_dir()
    candidates.append(("download cache", cache))
    for label, root in candidates:
        found = _find_split(root, split)
        if found:
            return found
        looked.append(f"{label}: {root}")

    problems: list[str] = []
    if download:
        found, problems = _download_split(split, cache)
        if found:
            return found
    names = " and ".join(FILES[split])
    lines = [f"MNIST {split} split not found: need {names} (gzip-compressed or raw).",
             "Looked in:"]
    lines += [f"  - {where}" for where in looked]
    if download:
        lines.append("Download failed:")
        lines += [f"  - {p}" for p in problems]
    else:
        lines.append("Download disabled (download=False).")
    lines.append(f"To fix: set {DATA_ENV} to a folder holding the IDX files (or to its parent with "
                 "a mnist/ subfolder), pass data_dir=..., or enable internet access and call "
                 f"load_mnist(..., download=True) to fetch them into {cache}.")
    raise MNISTNotFoundError("\n".join(lines))


def load_mnist(split: str = "test", data_dir=None, download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images (uint8, shape (N, 28, 28)) and labels (uint8, shape (N,)).

    ``split="test"`` (10,000 images) is always available offline: a copy ships with dlbook.
    ``split="train"`` (60,000 images) is looked up locally and downloaded if needed.
    """
    images_path, labels_path = locate_mnist(split, data_dir, download)
    return _read_split(images_path, labels_path, split)


def _prepare(images: np.ndarray, labels: np.ndarray, flatten: bool, one_hot: bool):
    x = images.astype(np.float32) / np.float32(255.0)
    if flatten:
        x = x.reshape(len(x), -1)
    if one_hot:
        y = np.zeros((len(labels), 10), dtype=np.float32)
        y[np.arange(len(labels)), labels] = 1.0
    else:
        y = labels.astype(np.int64)
    return x, y


def _check_count(value, name: str, available: int):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= available:
        raise ValueError(f"{name}: expected an integer in [1, {available}] or None, got {value!r}")
    return int(value)


def mnist_train_test(n_train=None, n_test=None, seed: int = 0, data_dir=None, flatten: bool = True,
                     one_hot: bool = False, full: bool | None = None, download: bool = True):
    """``(x_train, y_train, x_test, y_test)``: float32 images in [0, 1], labels int64 or one-hot.

    By default (``full=None`` and ``DLBOOK_SCALE`` unset or ``small``) both parts come from the
    10,000-image test set, shuffled with ``seed`` and split into disjoint pieces of ``n_train``
    and ``n_test`` images (``None``: 8,000 and the rest). With ``full=True`` (or
    ``DLBOOK_SCALE=full``) the training part comes from the real 60,000-image training set and
    the test part from the test set (``None``: all of them). Images are flattened to 784 values
    unless ``flatten=False`` (then shape (N, 1, 28, 28), NCHW as the conv layers expect).
    """
    if full is None:
        from dlbook.device import scale
        full = scale() == "full"
    rng = np.random.default_rng(seed)
    test_images, test_labels = load_mnist("test", data_dir, download)
    if full:
        train_images, train_labels = load_mnist("train", data_dir, download)
        n_train = _check_count(n_train, "n_train", len(train_images))
        n_test = _check_count(n_test, "n_test", len(test_images))
        train_idx = rng.permutation(len(train_images))[:n_train]
        test_idx = rng.permutation(len(test_images))[:n_test]
        if n_train is None:
            train_idx = np.arange(len(train_images))
        if n_test is None:
            test_idx = np.arange(len(test_images))
    else:
        total = len(test_images)
        n_train = _check_count(n_train, "n_train", total - 1)
        n_train = 8000 if n_train is None else n_train
        n_test = _check_count(n_test, "n_test", total - n_train)
        n_test = total - n_train if n_test is None else n_test
        order = rng.permutation(total)
        train_images, train_labels = test_images, test_labels
        train_idx, test_idx = order[:n_train], order[n_train:n_train + n_test]
    x_train, y_train = _prepare(train_images[train_idx], train_labels[train_idx], flatten, one_hot)
    x_test, y_test = _prepare(test_images[test_idx], test_labels[test_idx], flatten, one_hot)
    if not flatten:
        x_train, x_test = x_train[:, None], x_test[:, None]
    return x_train, y_train, x_test, y_test
