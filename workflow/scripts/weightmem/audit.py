"""Audit any generator's weights: read training / generated / held-out models from a researcher's
files into WeightSets, streaming, with every problem named (``weightmem audit``; docs in README
"Audit your own generator"). A folder of float32 ``.safetensors`` state dicts is linked in place
(:func:`write_link`: a WeightSet whose rows are byte ranges of the files, nothing copied); other
inputs are copied (:func:`write_set`), as is everything with ``import: copy``.

A set is given as one path:

* a folder of ``.safetensors`` state dicts, or of ``.pt`` / ``.pth`` state dicts loaded with
  ``torch.load(weights_only=True)`` only (a file that needs pickle is refused, with how to
  convert it); one file = one model, files in name order;
* one ``.safetensors`` file: a weightmem WeightSet, or any file whose single tensor is [N, D].

Only floating-point tensors are weights (e.g. BatchNorm's integer ``num_batches_tracked`` is
left out); ``keys`` (comma-separated globs, e.g. ``layer4.1.bn*``) keeps matching names. Every
file must have the first file's layout — names in sorted order, shapes — (else an error naming both files and
the first differing key or shape). A file's run is its name up to a trailing ``_step12`` / ``-epoch3`` / ``_7`` (so
``run3_step100.pt`` is run ``run3``); a WeightSet's is its ``run`` row column.
"""
from __future__ import annotations

import fnmatch
import json
import math
import re
from pathlib import Path

import torch

from weightmem.io import (FORMAT_VERSION, Layout, WeightFormatError, atomic_path, layout_size,
                          normalise_layout, weightset_file_header)

SUFFIXES = (".safetensors", ".pt", ".pth")
CUSTOM = "custom"  # arch family of layouts without a network in weightmem.nets
_RUN = re.compile(r"^(.+?)[_\-.](?:step|epoch|ckpt|checkpoint|iter|it|e|s)?\d+$", re.IGNORECASE)

CONVERT = ("convert it once, in an environment where you trust the file: python -c \"import "
           "torch; from safetensors.torch import save_file; sd = torch.load('{p}', "
           "weights_only=False); sd = sd.get('state_dict', sd); save_file({{k: v.contiguous() "
           "for k, v in sd.items() if torch.is_tensor(v)}}, '{p}.safetensors')\" and audit the "
           ".safetensors files")


class AuditInputError(ValueError):
    """An audit input that cannot be used; the message names the file and what to do."""


def run_of(path: Path) -> str:
    m = _RUN.match(path.stem)
    return m.group(1) if m else path.stem


def _keep(name: str, keys: list[str] | None) -> bool:
    return not keys or any(fnmatch.fnmatchcase(name, k) for k in keys)


def parse_keys(keys: str | None) -> list[str] | None:
    return [k.strip() for k in keys.split(",") if k.strip()] if keys else None


def _load_pt(path: Path) -> dict:
    import pickle

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except (pickle.UnpicklingError, RuntimeError, AttributeError, TypeError) as e:
        if "weights_only" in str(e) or isinstance(e, pickle.UnpicklingError):
            raise AuditInputError(f"{path}: needs pickle to load (refused: only "
                                  f"torch.load(weights_only=True) is used); "
                                  f"{CONVERT.format(p=path)}") from e
        raise AuditInputError(f"{path}: not a readable PyTorch file ({e})") from e
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not any(torch.is_tensor(v) for v in obj.values()):
        raise AuditInputError(f"{path}: not a state dict (a dict of tensors); got "
                              f"{type(obj).__name__}")
    return obj


_FLOATS = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32,
           "F64": torch.float64}
_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2,
             "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def safetensors_header(path: Path) -> tuple[dict, int]:
    """(entries {name: {dtype, shape, data_offsets}}, byte offset of the data section) of a
    safetensors file, read and checked without mapping the file (every entry's bytes inside the
    file and matching its shape)."""
    def bad(why: str) -> AuditInputError:
        return AuditInputError(f"{path}: not a readable safetensors file ({why})")

    size = path.stat().st_size
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) < 8:
            raise bad("shorter than its 8-byte header length")
        n = int.from_bytes(raw, "little")
        if n > size - 8 or n > 100_000_000:
            raise bad(f"header length {n} does not fit in the file of {size} bytes")
        try:
            header = json.loads(f.read(n))
        except (ValueError, UnicodeDecodeError) as e:
            raise bad(f"header is not JSON: {e}") from e
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    start, entries = 8 + n, {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (a, b) = e["dtype"], [int(x) for x in e["shape"]], e["data_offsets"]
        except (TypeError, KeyError, ValueError) as err:
            raise bad(f"entry '{name}' is malformed") from err
        want = math.prod(shape) * _ITEMSIZE.get(dtype, 0)
        if not (0 <= a <= b and start + b <= size) or (dtype in _ITEMSIZE and b - a != want):
            raise bad(f"entry '{name}' ({dtype} {shape}) has data offsets {[a, b]} outside the "
                      f"file or not matching its shape")
        entries[name] = {"dtype": dtype, "shape": tuple(shape), "offsets": (start + a, start + b)}
    return entries, start


def _pread_into(fd: int, buf: torch.Tensor, offset: int, path) -> None:
    """Fill the contiguous tensor ``buf`` with the file's bytes from ``offset`` (no mapping: the
    bytes are copied once, from the page cache into ``buf``)."""
    import os

    view = memoryview(buf.view(torch.uint8).numpy())
    got = 0
    while got < len(view):
        n = os.preadv(fd, [view[got:]], offset + got)
        if n <= 0:
            raise AuditInputError(f"{path}: truncated (wanted {len(view)} bytes at {offset})")
        got += n


class _File:
    """One state-dict file: its float tensors' names and shapes; its values read into a
    caller's float32 row (:meth:`read_into`)."""

    def __init__(self, path: Path, keys: list[str] | None):
        self.path = path
        self._pt = self._entries = None
        if path.suffix == ".safetensors":
            self._entries, _ = safetensors_header(path)
            self.layout = sorted((k, e["shape"]) for k, e in self._entries.items()
                                 if e["dtype"] in _FLOATS and _keep(k, keys))
        else:
            self._pt = _load_pt(path)
            self.layout = sorted((k, tuple(v.shape)) for k, v in self._pt.items()
                                 if torch.is_tensor(v) and v.is_floating_point()
                                 and _keep(k, keys))
        self.layout = normalise_layout(self.layout)

    def plan(self, layout: Layout) -> list[list]:
        """Where a safetensors file's values in ``layout`` order lie: [row start, row stop, file
        offset, dtype] per run, float32 tensors back to back in the file and the row merged."""
        plan, pos = [], 0
        for k, shape in layout:
            e = self._entries[k]
            n = math.prod(shape)
            a = e["offsets"][0]
            if (plan and e["dtype"] == "F32" and plan[-1][3] == "F32"
                    and plan[-1][2] + 4 * (plan[-1][1] - plan[-1][0]) == a):
                plan[-1][1] = pos + n
            else:
                plan.append([pos, pos + n, a, e["dtype"]])
            pos += n
        return plan

    def read_into(self, layout: Layout, out: torch.Tensor, scratch: list) -> None:
        """The model as float32 values in ``layout`` order, written into ``out`` [D]. A
        safetensors file is read with positioned reads straight into ``out`` (float32 tensors
        that lie back to back in the file and in ``out`` in one read); other dtypes go through
        ``scratch`` (a one-element list holding a reusable byte buffer) and are converted as
        ``Tensor.to(torch.float32)`` converts them."""
        if self._pt is not None:
            pos = 0
            for k, shape in layout:
                n = math.prod(shape)
                out[pos:pos + n].copy_(self._pt[k].reshape(-1))
                pos += n
            return
        import os

        fd = os.open(self.path, os.O_RDONLY)
        try:
            for lo, hi, offset, dtype in self.plan(layout):
                if dtype == "F32":
                    _pread_into(fd, out[lo:hi], offset, self.path)
                    continue
                nbytes = (hi - lo) * _ITEMSIZE[dtype]
                if scratch[0] is None or scratch[0].numel() < nbytes:
                    scratch[0] = torch.empty(nbytes, dtype=torch.uint8)
                raw = scratch[0][:nbytes]
                _pread_into(fd, raw, offset, self.path)
                out[lo:hi].copy_(raw.view(_FLOATS[dtype]))
        finally:
            os.close(fd)


def _differ(a: Layout, b: Layout) -> str:
    for (ka, sa), (kb, sb) in zip(a, b):
        if ka != kb:
            return f"key '{ka}' vs '{kb}'"
        if sa != sb:
            return f"'{ka}' has shape {list(sa)} vs {list(sb)}"
    if len(a) != len(b):
        longer, first = (a, "first") if len(a) > len(b) else (b, "second")
        return f"key '{longer[min(len(a), len(b))][0]}' only in the {first} file"
    return ""


class FolderSet:
    """A folder of state dicts as rows (one file = one model)."""

    def __init__(self, folder: Path, keys: list[str] | None, role: str):
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES)
        if not files:
            raise AuditInputError(f"{role} set {folder}: no .safetensors/.pt/.pth files in it")
        first = _File(files[0], keys)
        if not first.layout:
            raise AuditInputError(f"{files[0]}: no floating-point tensor"
                                  + (f" matches --keys {','.join(keys)}" if keys else ""))
        self.files, self.layout, self.keys = files, first.layout, keys
        self.n, self.dim = len(files), layout_size(first.layout)
        self.runs = [run_of(p) for p in files]
        self._first = first
        self._scratch = [None]

    def file(self, i: int) -> _File:
        """File ``i``, checked to have the set's layout."""
        f = self._first if i == 0 else _File(self.files[i], self.keys)
        if sorted(f.layout) != sorted(self.layout):
            raise AuditInputError(f"layouts differ: {self.files[0]} and {self.files[i]}: "
                                  f"{_differ(self.layout, f.layout)}")
        return f

    def row(self, i: int, out: torch.Tensor | None = None) -> torch.Tensor:
        """Model ``i`` as float32 [D] in ``self.layout`` order (into ``out`` when given)."""
        out = torch.empty(self.dim) if out is None else out
        self.file(i).read_into(self.layout, out, self._scratch)
        return out


class MatrixSet:
    """One safetensors file holding N models as an [N, D] matrix (a WeightSet or any file whose
    only tensor is 2-D), read by rows or column ranges without loading it whole."""

    def __init__(self, path: Path, keys: list[str] | None, role: str):
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt") as f:
                names, meta = list(f.keys()), f.metadata() or {}
                shapes = {k: tuple(f.get_slice(k).get_shape()) for k in names}
        except Exception as e:  # noqa: BLE001
            raise AuditInputError(f"{path}: not a readable safetensors file ({e})") from e
        from weightmem.io import LINK_KEY, read_weightset_header

        self.path, self.arch, self.rows = path, CUSTOM, {}
        self._linked = None
        if meta.get("weightmem.format") == FORMAT_VERSION and LINK_KEY in meta:
            head = read_weightset_header(path)  # a linked WeightSet: rows read through the link
            self._linked = FileSource(path, head)
            self.key, self.layout, self.arch, self.rows = "weights", head.layout, head.arch, \
                head.rows
            shapes = {"weights": (head.n, head.dim)}
        elif meta.get("weightmem.format") == FORMAT_VERSION and "weights" in names:
            self.key = "weights"
            self.layout = normalise_layout(json.loads(meta["weightmem.layout"]))
            self.arch = meta.get("weightmem.arch", CUSTOM)
            self.rows = json.loads(meta.get("weightmem.rows", "{}"))
        else:
            two_d = [k for k in names if len(shapes[k]) == 2]
            if len(names) != 1 or not two_d:
                raise AuditInputError(f"{role} set {path}: a single file must be a weightmem "
                                      f"WeightSet or hold exactly one [N, D] tensor (it has "
                                      f"{len(names)}: {names[:5]}); for one model per file give "
                                      f"a folder")
            self.key = two_d[0]
            self.layout = [(self.key, (shapes[self.key][1],))]
        self.n = shapes[self.key][0]
        self.full_dim = layout_size(self.layout)
        if shapes[self.key] != (self.n, self.full_dim):
            raise AuditInputError(f"{path}: the layout adds up to {self.full_dim} values but the "
                                  f"matrix is {list(shapes[self.key])}")
        self._cols = None
        if keys:  # keep the columns of the matching layout entries
            spans, kept, start = [], [], 0
            for name, shape in self.layout:
                size = math.prod(shape)
                if _keep(name, keys):
                    spans.append((start, start + size))
                    kept.append((name, shape))
                start += size
            if not kept and self.key != "weights":
                kept, spans = self.layout, [(0, self.full_dim)]  # a bare matrix has no names
            if not kept:
                raise AuditInputError(f"{path}: no parameter matches --keys {','.join(keys)}")
            self._cols = torch.cat([torch.arange(a, b) for a, b in spans])
            self.arch = CUSTOM if kept != self.layout else self.arch
            self.layout = kept
        self.dim = layout_size(self.layout)
        self.runs = [str(r) for r in self.rows.get("run", range(self.n))]
        self._entry = self._row = None  # the matrix's header entry; a reusable row of bytes

    def reorder(self, layout: Layout) -> None:
        """Read rows in ``layout``'s order (the same entries as this file's, another order)."""
        spans, start = {}, 0
        for name, shape in self.layout:
            spans[name] = torch.arange(start, start + math.prod(shape))
            start += math.prod(shape)
        idx = torch.cat([spans[name] for name, _ in layout])
        self._cols = idx if self._cols is None else self._cols[idx]
        self.layout = normalise_layout(layout)

    def row(self, i: int, out: torch.Tensor | None = None) -> torch.Tensor:
        """Model ``i`` as float32 [D] (into ``out`` when given), by a positioned read of its
        row (float32 files without --keys straight into ``out``)."""
        import os

        if self._linked is not None:
            full = self._linked.columns(0, self.full_dim, [i])[0]
            out = torch.empty(self.dim) if out is None else out
            return out.copy_(full if self._cols is None else full[self._cols])
        if self._entry is None:
            entries, _ = safetensors_header(self.path)
            self._entry = entries[self.key]
        dtype = self._entry["dtype"]
        width = self.full_dim * _ITEMSIZE[dtype]
        offset = self._entry["offsets"][0] + i * width
        out = torch.empty(self.dim) if out is None else out
        if dtype == "F32" and self._cols is None:
            target = out
        else:
            if self._row is None or self._row.numel() != width:
                self._row = torch.empty(width, dtype=torch.uint8)
            target = self._row
        fd = os.open(self.path, os.O_RDONLY)
        try:
            _pread_into(fd, target, offset, self.path)
        finally:
            os.close(fd)
        if target is out:
            return out
        full = self._row.view(_FLOATS[dtype])
        if self._cols is None:
            return out.copy_(full)
        if dtype == "F32":
            return torch.index_select(full, 0, self._cols, out=out)
        return out.copy_(full[self._cols])


def open_set(path: str | Path, keys: list[str] | None = None, role: str = "input"):
    """A FolderSet or MatrixSet for ``path`` (module docstring), checked."""
    path = Path(path)
    if not path.exists():
        raise AuditInputError(f"{role} set {path}: does not exist")
    if path.is_dir():
        return FolderSet(path, keys, role)
    if path.suffix != ".safetensors":
        raise AuditInputError(f"{role} set {path}: give a folder of state dicts or one "
                              f".safetensors [N, D] file (a single .pt/.pth is one model: put it "
                              f"in a folder with the others)")
    return MatrixSet(path, keys, role)


def match_arch(tag: str, layout: Layout) -> Layout:
    """The state dicts' entries in the order of the built-in architecture ``tag`` (``--arch``):
    by name where the names are the architecture's (``fc1.weight``, ``conv2.bias``, ...), else by
    position in network order (e.g. ``nn.Sequential``'s ``0.weight``, ``3.weight``, ...) where
    the shapes agree; else an error showing both."""
    from weightmem.evaluation.matching import natural_key
    from weightmem.io import arch_layout

    try:
        want = arch_layout(tag)
    except ValueError as e:
        raise AuditInputError(f"--arch {tag}: {e}") from e
    if sorted(layout) == sorted(want):
        return want
    nat = sorted(layout, key=natural_key)
    if [s for _, s in nat] == [s for _, s in want]:
        return nat
    show = lambda lay: ", ".join(f"{n} {list(s)}" for n, s in lay[:8]) + (  # noqa: E731
        ", ..." if len(lay) > 8 else "")
    raise AuditInputError(f"--arch {tag}: the state dicts' parameters ({show(nat)}) are not the "
                          f"architecture's ({show(want)}), by name or in order")


def mlp_arch(layout: Layout) -> tuple[str, Layout] | None:
    """The project's MLP tag and the layout in its order (first weight [h, i], its bias [h],
    second weight [o, h], its bias [o]) for a one-hidden-layer MLP state dict, whose
    hidden-neuron permutations are exact symmetries (permutation-aligned L2 applies); else None."""
    if len(layout) != 4:
        return None
    mats = [e for e in layout if len(e[1]) == 2]
    vecs = [e for e in layout if len(e[1]) == 1]
    if len(mats) != 2 or len(vecs) != 2:
        return None
    for w1, w2 in (mats, mats[::-1]):
        h, i = w1[1]
        o, h2 = w2[1]
        if h != h2:
            continue
        b1 = [v for v in vecs if v[1] == (h,)]
        b2 = [v for v in vecs if v[1] == (o,) and v not in b1[:1]]
        if b1 and b2:
            return f"mlp:{i}-{h}-{o}", [w1, b1[0], w2, b2[0]]
    return None


def _set_facts(src, role: str, extra_rows: dict | None, select: list[int] | None,
               provenance: dict | None, arch: str | None):
    """What a written set says about rows ``select`` (default all) of ``src``: (the row indices,
    the layout in the architecture's names, arch, row columns, provenance)."""
    idx = list(range(src.n)) if select is None else list(select)
    if not idx:
        raise AuditInputError(f"{role} set: no models")
    layout = src.layout
    arch = arch or getattr(src, "arch", CUSTOM)
    if arch.partition(":")[0] != CUSTOM:  # a built-in network: its own names (same shapes)
        from weightmem.io import arch_layout

        named = arch_layout(arch)
        if [s for _, s in named] != [s for _, s in layout]:
            raise AuditInputError(f"{role} set: its parameters do not match architecture "
                                  f"'{arch}'")
        layout = named
    rows = {"run": [src.runs[i] for i in idx], "role": [role] * len(idx), **(extra_rows or {})}
    files = getattr(src, "files", None)
    if files is not None:
        rows["file"] = [files[i].name for i in idx]
    return idx, layout, arch, rows, {"stage": f"audit.{role}", **(provenance or {})}


def write_set(src, path: str | Path, role: str, extra_rows: dict | None = None,
              select: list[int] | None = None, provenance: dict | None = None,
              arch: str | None = None) -> dict:
    """Write rows ``select`` (default all) of ``src`` as a WeightSet, one model at a time (memory:
    one model). Returns what the report says about the set: models, non-finite rows, runs."""
    idx, layout, arch, rows, prov = _set_facts(src, role, extra_rows, select, provenance, arch)
    n, d = len(idx), src.dim

    def header(finite: list[bool], size: int = 0) -> bytes:
        return weightset_file_header(n, d, layout, arch, {**rows, "finite": finite}, prov, size)

    size = len(header([False] * n)) - 8  # the longest the header can be: rewritten in place after
    finite = []
    buf = torch.empty(d)  # one model, reused: every row read into it and written from it
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as out:
            out.write(header([False] * n, size))
            for i in idx:
                r = src.row(i, out=buf)
                if r.numel() != d:
                    raise AuditInputError(f"{role} set: model {i} has {r.numel()} values, "
                                          f"expected {d}")
                finite.append(_all_finite(r))
                out.write(r.numpy().data if r.is_contiguous() else r.contiguous().numpy().data)
            out.seek(0)
            out.write(header(finite, size))
    return {"models": n, "non_finite": [i for i, ok in enumerate(finite) if not ok],
            "runs": len(set(rows["run"]))}


def link_segments(src, i: int) -> tuple[list, int, int] | None:
    """Where model ``i`` of ``src`` lies in its file, as float32 values in ``src.layout`` order:
    (segments [[start, stop, byte offset], ...] with back-to-back tensors merged, file size,
    mtime_ns); None where it cannot be read in place (not a folder of safetensors files, or a
    kept tensor that is not float32)."""
    files = getattr(src, "files", None)
    if files is None or files[i].suffix != ".safetensors":
        return None
    plan = src.file(i).plan(src.layout)
    if any(dtype != "F32" for *_, dtype in plan):
        return None
    st = files[i].stat()
    return [[lo, hi, offset] for lo, hi, offset, _ in plan], st.st_size, st.st_mtime_ns


def write_link(src, path: str | Path, role: str, select: list[int] | None = None,
               provenance: dict | None = None, arch: str | None = None) -> dict | None:
    """Write rows ``select`` of the folder set ``src`` as a linked WeightSet: the header of a
    WeightSet whose rows are read in place from the state-dict files (weightmem.io LINK_KEY;
    nothing copied, no value read). None (nothing written) where a file cannot be linked
    (:func:`link_segments`): the caller copies the set instead. Non-finite rows are found by the
    tables (their ``finite`` column), not here."""
    from weightmem.io import save_linked_weightset

    idx, layout, arch, rows, prov = _set_facts(src, role, None, select, provenance, arch)
    link = []
    for i in idx:
        where = link_segments(src, i)
        if where is None:
            return None
        segments, size, mtime = where
        link.append([str(src.files[i].resolve()), size, mtime, segments])
    save_linked_weightset(path, layout, arch, rows, prov, link)
    return {"models": len(idx), "non_finite": None, "runs": len(set(rows["run"])),
            "linked": True}


def _all_finite(r: torch.Tensor) -> bool:
    """Whether every value of the float32 vector ``r`` is finite, without [D] temporaries: a NaN
    or ±inf makes the sum NaN or ±inf, so a finite sum means all finite; a non-finite one (or a
    sum of finite values that overflowed) is checked value by value. numpy's single-threaded
    sum: torch's threaded one is ~50× slower on a loaded 2-core machine (bench/audit.py)."""
    import numpy as np

    a = r.numpy()
    if np.isfinite(np.add.reduce(a)):
        return True
    return bool(np.isfinite(a).all())


class FileSource:
    """A WeightSet file's rows read by column ranges with positioned reads (no memory map, so
    the process holds only what it asked for; weightmem.evaluation.weights.nearest_streamed)."""

    def __init__(self, path: str | Path, head=None):
        import os

        from weightmem.io import LINK_KEY, read_weightset_header

        self.path = str(path)
        self._fd = self._link = None
        with open(self.path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
        if LINK_KEY in (header.get("__metadata__") or {}):  # rows read in place (write_link)
            head = head or read_weightset_header(self.path)
            self.n, self.dim, self._link, self._fds = head.n, head.dim, head.link, {}
            return
        w = header.get("weights")
        if not w or w.get("dtype") != "F32" or len(w.get("shape", [])) != 2:
            raise WeightFormatError(f"{path}: no float32 [N, D] 'weights' tensor")
        self.n, self.dim = w["shape"]
        self._start = 8 + n + w["data_offsets"][0]
        self._fd = os.open(self.path, os.O_RDONLY)

    def __del__(self):
        import os

        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
        for fd in getattr(self, "_fds", {}).values():
            os.close(fd)

    def columns(self, start: int, stop: int, rows=None, out=None) -> torch.Tensor:
        """Columns start..stop of ``rows`` (default all) as float32 [rows, stop − start], read
        into ``out`` (a contiguous tensor of that shape) when given."""
        import os

        rows = range(self.n) if rows is None else rows
        if out is None:
            out = torch.empty(len(rows), stop - start)
        if self._link is not None:
            return self._linked_columns(start, stop, rows, out)
        view = out.numpy()
        width = (stop - start) * 4
        for j, r in enumerate(rows):
            got = os.preadv(self._fd, [memoryview(view[j]).cast("B")],
                            self._start + (r * self.dim + start) * 4)
            if got != width:
                raise WeightFormatError(f"{self.path}: truncated (row {r})")
        return out


    def _linked_columns(self, start: int, stop: int, rows, out: torch.Tensor) -> torch.Tensor:
        """Columns of linked rows, read from the state-dict files (one positioned read per
        segment that meets start..stop; a file opened once per source)."""
        import os

        for j, r in enumerate(rows):
            file, _, _, segments = self._link[r]
            fd = self._fds.get(file)
            if fd is None:
                fd = self._fds[file] = os.open(file, os.O_RDONLY)
            for lo, hi, offset in segments:
                a, b = max(lo, start), min(hi, stop)
                if a < b:
                    _pread_into(fd, out[j, a - start:b - start], offset + 4 * (a - lo), file)
        return out


def import_sets(section: dict, out: dict, seed: int = 0, log=None) -> dict:
    """Read T, G and H (``section``: training, generated, heldout, keys, holdout_fraction,
    import) and write them as WeightSets to ``out['training' | 'generated' | 'heldout']`` —
    linked in place (:func:`write_link`) where ``import`` is ``link`` (the default) and the set is
    a folder of float32 .safetensors files, else copied (:func:`write_set`). Without H, whole
    runs of T are held out (weightmem.evaluation.copying.split_runs) and the rest is T. Returns
    what was read (for the report)."""
    from weightmem.evaluation.copying import split_runs
    from weightmem.runtime import keep_freed_memory

    keep_freed_memory()  # one model's buffers reused, not page-faulted afresh for every file
    keys = parse_keys(section.get("keys"))
    sets = {r: open_set(section[r], keys, r) for r in ("training", "generated", "heldout")
            if section.get(r)}
    t = sets["training"]
    for role, s in sets.items():  # one layout for all three
        if sorted(s.layout) != sorted(t.layout):
            raise AuditInputError(f"layouts differ: {_first_file(t)} ({'training'}) and "
                                  f"{_first_file(s)} ({role}): "
                                  f"{_differ(sorted(t.layout), sorted(s.layout))}")
        if s.n < 1:
            raise AuditInputError(f"{role} set {section[role]}: no models")
    arch = getattr(t, "arch", CUSTOM)
    if section.get("model"):  # the researcher's network, run by their function
        arch = f"custom:{section['model']}"
    elif section.get("arch"):  # a built-in network, named
        arch = section["arch"]
        order = match_arch(arch, t.layout)
        if isinstance(t, MatrixSet):
            t.reorder(order)
        else:
            t.layout = order
    elif arch == CUSTOM and isinstance(t, FolderSet) and mlp_arch(t.layout):
        arch, order = mlp_arch(t.layout)  # flattened in the project's MLP order
        t.layout = order
    for s in sets.values():  # same entries in another order (a WeightSet file): follow T's
        if isinstance(s, MatrixSet) and s.layout != t.layout and sorted(s.layout) == sorted(
                t.layout):
            s.reorder(t.layout)
        elif isinstance(s, FolderSet) and s is not t and sorted(s.layout) == sorted(t.layout):
            s.layout = t.layout
    from weightmem.evaluation.matching import distance_note

    info = {"arch": arch, "parameters": t.dim, "keys": keys, "sets": {},
            "distance_note": distance_note(section.get("distance", "plain"), t.layout,
                                           model=bool(section.get("model")))}
    if "heldout" in sets:
        train_rows, held = list(range(t.n)), None
        info["heldout_source"] = f"given: {section['heldout']}"
    else:
        try:
            mask = split_runs(t.runs, section.get("holdout_fraction", 0.25), seed)
        except ValueError as e:
            raise AuditInputError(f"training set {section['training']}: {e}") from e
        train_rows = [i for i in range(t.n) if not mask[i]]
        held = [i for i in range(t.n) if mask[i]]
        info["heldout_source"] = (f"no held-out set given: {len(set(t.runs[i] for i in held))} "
                                  f"of {len(set(t.runs))} runs of the training set held out "
                                  f"(by the 'run' column or the file-name prefix) — the generator "
                                  f"may have seen them, which makes the test conservative")
    if len(train_rows) < 2:
        raise AuditInputError(f"training set {section['training']}: {len(train_rows)} model(s) "
                              f"left for T; the test needs at least 2 (a model's nearest other "
                              f"training model)")
    prov = {"inputs": {r: str(section[r]) for r in sets}, "keys": keys}
    jobs = [("training", t, train_rows), ("generated", sets["generated"], None),
            ("heldout", sets.get("heldout", t), held)]
    link = section.get("import", "link") == "link"
    for role, s, rows in jobs:
        count = s.n if rows is None else len(rows)
        done = write_link(s, out[role], role, select=rows, provenance=prov,
                          arch=arch) if link else None
        if done is None:
            if log:
                log(f"{role}: copying {count} models"
                    + (" (not a folder of float32 .safetensors files: not linked)" if link
                       else ""))
            done = write_set(s, out[role], role, select=rows, provenance=prov, arch=arch)
        elif log:
            log(f"{role}: {count} models linked in place (read from their files, not copied)")
        info["sets"][role] = done
    return info


def _first_file(s) -> Path:
    return s.files[0] if hasattr(s, "files") else s.path
