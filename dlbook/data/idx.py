"""Reading (and writing) the IDX format that MNIST is distributed in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the values in C order, big-endian. Every part of the
header is checked against the file, so a truncated download or a wrong file gives an
``IDXFormatError`` that names the file and what is wrong, not a NumPy reshape error.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

# type code -> big-endian dtype
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
MAX_DIMS = 32  # NumPy's limit on array dimensions (64 in NumPy 2) is far above any real IDX file


class IDXFormatError(ValueError):
    """The file is not a well-formed IDX file (bad magic number, truncated, wrong size)."""


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as err:
        raise IDXFormatError(f"{path}: the gzip stream is corrupted or truncated ({err}); "
                             "delete the file and download it again") from None


def read_idx(path) -> np.ndarray:
    """Read an IDX file, gzip-compressed or raw, into an array in native byte order."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path: expected the path of an IDX file, got {path!r}")
    path = Path(os.fspath(path))
    if not path.is_file():
        what = "a folder" if path.is_dir() else "no such file"
        raise ValueError(f"path: expected an IDX file, got {str(path)!r} ({what})")
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXFormatError(f"{path}: file is {len(raw)} bytes long, too short for an IDX header")
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise IDXFormatError(f"{path}: bad magic number 0x{raw[:4].hex()}: an IDX file starts with "
                             "two zero bytes; this is not an IDX file")
    if type_code not in IDX_TYPES:
        raise IDXFormatError(f"{path}: bad magic number 0x{raw[:4].hex()}: unknown type code "
                             f"0x{type_code:02x} (expected one of "
                             f"{', '.join(f'0x{c:02x}' for c in IDX_TYPES)})")
    if ndim == 0:
        raise IDXFormatError(f"{path}: bad magic number 0x{raw[:4].hex()}: zero dimensions")
    if ndim > MAX_DIMS:
        raise IDXFormatError(f"{path}: the header claims {ndim} dimensions; an IDX file this "
                             f"reader accepts has at most {MAX_DIMS} (MNIST uses 1 and 3)")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise IDXFormatError(f"{path}: truncated header: {ndim} dimensions need {header_len} bytes, "
                             f"the file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header_len])
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_len
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise IDXFormatError(f"{path}: file {what}: the header says shape {shape} of {dtype.name} "
                             f"({expected} bytes of data), but the file holds {actual} bytes of data")
    data = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def write_idx(path, array) -> None:
    """Write an array as an IDX file (gzip-compressed if the name ends in .gz)."""
    array = np.asarray(array)
    codes = {dt.newbyteorder("=").str: code for code, dt in IDX_TYPES.items()}
    key = array.dtype.newbyteorder("=").str
    if key not in codes:
        raise ValueError(f"array: expected dtype uint8, int8, int16, int32, float32 or float64, "
                         f"got {array.dtype}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"array: expected 1 to 255 dimensions, got shape {array.shape}")
    code = codes[key]
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes()
    path = Path(os.fspath(path))
    if path.suffix == ".gz":
        payload = gzip.compress(payload)
    path.write_bytes(payload)
