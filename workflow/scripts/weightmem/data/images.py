"""Image classification data as plain arrays: ``x`` float32 [N, C, H, W] (normalised), ``y`` int64.

Stored as ``.npz`` (read with ``allow_pickle=False``). Two sources:
  * ``digits``: scikit-learn's 8×8 digits, shipped with the package (no download);
  * ``mnist``: the real MNIST files, downloaded once and verified by MD5 before use.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import struct
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from weightmem.io import atomic_path

# MNIST as published; MD5 sums of the four gzip files. Checked against torchvision's list
# (pytorch/vision, torchvision/datasets/mnist.py, MNIST.resources at commit 01977a18): all four agree.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "http://yann.lecun.com/exdb/mnist/")
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class DataError(ValueError):
    """A dataset file is missing, corrupt, or does not match its checksum."""


@dataclass
class ImageData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)

    @property
    def n_features(self) -> int:
        return int(np.prod(self.x_train.shape[1:]))

    def save(self, path: str | os.PathLike) -> None:
        with atomic_path(path, suffix=".npz") as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, x_train=self.x_train, y_train=self.y_train, x_test=self.x_test,
                         y_test=self.y_test, name=np.array(self.name))


def load_npz(path: str | os.PathLike) -> ImageData:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: dataset file does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            d = ImageData(z["x_train"], z["y_train"], z["x_test"], z["y_test"], str(z["name"]))
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{path}: not a readable dataset archive ({e})") from e
    for split in ("train", "test"):
        x, y = getattr(d, f"x_{split}"), getattr(d, f"y_{split}")
        if len(x) != len(y):
            raise DataError(f"{path}: {split} split has {len(x)} images but {len(y)} labels")
        if not np.isfinite(x).all():
            raise DataError(f"{path}: {split} images contain NaN/inf")
    return d


# ------------------------------------------------------------------------------- digits
def digits(test_fraction: float = 0.2, split_seed: int = 0, image_size: int = 8) -> ImageData:
    """scikit-learn's digits (1,797 8×8 images), stratified split; scaled to [0,1] then
    standardised with the training split's pixel mean/std (as MNIST uses 0.1307/0.3081).
    ``image_size`` > 8 upsamples bilinearly (e.g. 28 for networks built for 28×28 inputs)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"digits.test_fraction must be in (0, 1), got {test_fraction}")
    ds = load_digits()
    x = (ds.images / 16.0).astype(np.float32)[:, None]
    if image_size != 8:
        x = resize(x, image_size)
    y = ds.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction,
                                              random_state=split_seed, stratify=y)
    mean, std = float(x_tr.mean()), float(x_tr.std())
    return ImageData(((x_tr - mean) / std).astype(np.float32), y_tr,
                     ((x_te - mean) / std).astype(np.float32), y_te, "digits")


# ------------------------------------------------------------------------------- MNIST
def md5sum(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def download(url: str, dest: Path, md5: str | None, timeout: float = 60.0) -> Path:
    """Fetch ``url`` to ``dest`` atomically; verify the MD5 before the file is renamed into place."""
    with atomic_path(dest) as tmp:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f)
        if md5 is not None and md5sum(tmp) != md5:
            raise DataError(f"{url}: checksum mismatch (expected MD5 {md5})")
    return dest


def fetch_files(files: dict[str, str], root: str | os.PathLike, mirrors: tuple[str, ...],
                download_ok: bool = True) -> None:
    """Make sure every file of ``files`` (name → MD5) is in ``root`` with the right checksum."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, md5 in files.items():
        dest = root / name
        if dest.is_file():
            if md5sum(dest) != md5:
                raise DataError(f"{dest}: checksum mismatch (expected MD5 {md5}); delete it to "
                                f"download again")
            continue
        if not download_ok:
            raise DataError(f"{dest}: missing and downloads are disabled")
        errors = []
        for base in mirrors:
            try:
                download(base + name, dest, md5)
                break
            except (OSError, DataError) as e:  # try the next mirror
                errors.append(f"{base}: {e}")
        else:
            raise DataError(f"could not download {name}: " + "; ".join(errors))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (MNIST's format), gzip-compressed or not."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise DataError(f"{path}: too short for an IDX header")
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (magic {data[:4].hex()})")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataError(f"{path}: header says {shape} but holds {body.size} bytes")
    return body.reshape(shape)


def write_idx(array: np.ndarray, path: str | os.PathLike) -> None:
    """Write uint8 data in IDX format (used by tests to make MNIST-format files offline)."""
    a = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + a.tobytes())


def mnist(root: str | os.PathLike, download_ok: bool = True,
          files: dict[str, str] = MNIST_FILES, mirrors: tuple[str, ...] = MNIST_MIRRORS) -> ImageData:
    fetch_files(files, root, mirrors, download_ok)
    root = Path(root)
    names = list(files)
    xtr, ytr, xte, yte = (read_idx(root / n) for n in names)
    norm = lambda x: ((x.astype(np.float32) / 255.0 - MNIST_MEAN) / MNIST_STD)[:, None]
    return ImageData(norm(xtr), ytr.astype(np.int64), norm(xte), yte.astype(np.int64), "mnist")


def resize(x: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of [N, C, H, W] float images to size×size (antialiased when shrinking)."""
    import torch

    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    out = torch.nn.functional.interpolate(t, size=(size, size), mode="bilinear",
                                          align_corners=False, antialias=size < x.shape[-1])
    return out.numpy()


# ------------------------------------------------------------------------------- CIFAR-100
# The binary version (docs/pdiff.md §1.1 uses torchvision's copy of the same data). Records are
# 1 coarse-label byte, 1 fine-label byte, 3,072 pixel bytes (R, G, B planes of 32×32, row-major).
# MD5 as the publisher's page (cs.toronto.edu/~kriz/cifar.html) lists it; checked against an
# independent copy: datasets-mila/datasets--cifar100, file md5sums (commit 3efbb5d5) and its
# git-annex key MD5E-s168513733--03b5dce01913d631647c71ecec9e9cb8 (computed from the downloaded
# 168,513,733-byte archive). torchvision reads the python version, so it has no binary MD5.
CIFAR100_FILES = {"cifar-100-binary.tar.gz": "03b5dce01913d631647c71ecec9e9cb8"}
CIFAR100_MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)
CIFAR100_MEAN = (0.5071, 0.4867, 0.4408)
CIFAR100_STD = (0.2675, 0.2565, 0.2761)


def read_cifar_binary(blob: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    rec = 2 + 3 * 32 * 32
    if len(blob) == 0 or len(blob) % rec:
        raise DataError(f"{where}: {len(blob)} bytes is not a whole number of {rec}-byte records")
    a = np.frombuffer(blob, dtype=np.uint8).reshape(-1, rec)
    return a[:, 2:].reshape(-1, 3, 32, 32), a[:, 1].astype(np.int64)  # fine labels


def cifar100(root: str | os.PathLike, download_ok: bool = True,
             files: dict[str, str] = CIFAR100_FILES,
             mirrors: tuple[str, ...] = CIFAR100_MIRRORS) -> ImageData:
    """CIFAR-100 (fine labels), MD5-checked archive, normalised per channel (docs/pdiff.md §1.1)."""
    import tarfile

    fetch_files(files, root, mirrors, download_ok)
    archive = Path(root) / next(iter(files))
    parts = {}
    with tarfile.open(archive, "r:gz") as tar:
        for m in tar.getmembers():
            base = os.path.basename(m.name)
            if m.isfile() and base in ("train.bin", "test.bin"):
                parts[base] = read_cifar_binary(tar.extractfile(m).read(), f"{archive}:{m.name}")
    missing = {"train.bin", "test.bin"} - set(parts)
    if missing:
        raise DataError(f"{archive}: archive lacks {sorted(missing)}")
    mean = np.array(CIFAR100_MEAN, dtype=np.float32)[:, None, None]
    std = np.array(CIFAR100_STD, dtype=np.float32)[:, None, None]
    norm = lambda x: ((x.astype(np.float32) / 255.0 - mean) / std).astype(np.float32)
    (xtr, ytr), (xte, yte) = parts["train.bin"], parts["test.bin"]
    if ytr.max() >= 100 or yte.max() >= 100:
        raise DataError(f"{archive}: fine labels must be < 100")
    return ImageData(norm(xtr), ytr, norm(xte), yte, "cifar100")
