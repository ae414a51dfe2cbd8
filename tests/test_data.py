import numpy as np
import pytest

from weightmem.data import images
from weightmem.data.images import DataError, md5sum, mnist, read_idx, write_idx


def fake_mnist(folder, n_train=12, n_test=5):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        write_idx(a, folder / name)
    return arrays, {name: md5sum(folder / name) for name in arrays}


def test_idx_round_trip(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(a, tmp_path / "x.gz")
    assert np.array_equal(read_idx(tmp_path / "x.gz"), a)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04\x00\x00\x00\x01")
    with pytest.raises(DataError, match="bad"):
        read_idx(tmp_path / "bad")


def test_mnist_from_local_files(tmp_path):
    arrays, sums = fake_mnist(tmp_path)
    d = mnist(tmp_path, download_ok=False, files=sums)
    assert d.x_train.shape == (12, 1, 28, 28) and d.x_test.shape == (5, 1, 28, 28)
    expect = (arrays["train-images-idx3-ubyte.gz"][0, 3, 5] / 255 - 0.1307) / 0.3081
    assert d.x_train[0, 0, 3, 5] == pytest.approx(expect, rel=1e-5)
    assert np.array_equal(d.y_test, arrays["t10k-labels-idx1-ubyte.gz"])


def test_mnist_download_path_verifies_checksums(tmp_path):
    """The real download code, pointed at a file:// mirror the test writes (no network)."""
    _, sums = fake_mnist(tmp_path / "mirror")
    mirror = ((tmp_path / "mirror").as_uri() + "/",)
    d = mnist(tmp_path / "cache", files=sums, mirrors=mirror)
    assert len(d.y_train) == 12
    assert all((tmp_path / "cache" / n).is_file() for n in sums)
    wrong = dict(sums, **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    with pytest.raises(DataError, match="checksum"):
        mnist(tmp_path / "cache2", files=wrong, mirrors=mirror)
    assert not (tmp_path / "cache2" / "t10k-labels-idx1-ubyte.gz").exists()  # nothing half-kept


def test_corrupted_cached_file_is_reported(tmp_path):
    _, sums = fake_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"junk")
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: checksum mismatch"):
        mnist(tmp_path, download_ok=False, files=sums)


def test_digits_split_and_archive(tmp_path):
    d = images.digits(test_fraction=0.25, split_seed=1)
    assert d.x_train.shape[1:] == (1, 8, 8) and d.n_classes == 10
    assert len(d.x_test) == pytest.approx(0.25 * 1797, abs=2)
    assert abs(d.x_train.mean()) < 1e-4
    d.save(tmp_path / "d.npz")
    back = images.load_npz(tmp_path / "d.npz")
    assert np.array_equal(back.x_test, d.x_test) and back.name == "digits"
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="bad.npz"):
        images.load_npz(tmp_path / "bad.npz")
