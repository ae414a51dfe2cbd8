"""WeightSet: the one on-disk format for a set of N flattened weight vectors.

A file is a safetensors archive holding
  * ``weights``: float32 tensor [N, D] (rows are models, columns follow ``layout``),
  * optional extra tensors (e.g. per-row numeric arrays) under ``extra.<name>``,
and string metadata:
  * ``weightmem.layout``: JSON list of [name, shape] in flattening order (sum of sizes = D),
  * ``weightmem.rows``: JSON dict of per-row columns (run, step, role, losses ...), each of length N,
  * ``weightmem.provenance``: JSON dict (config hash, seed, package versions, what made it),
  * ``weightmem.arch``: architecture tag understood by :mod:`weightmem.nets` (e.g. ``mlp:64-10-10``),
    or ``custom`` for a researcher's layout with no network here (``weightmem audit``).

A *linked* WeightSet (``weightmem audit`` on folders of float32 safetensors state dicts,
:func:`save_linked_weightset`) holds the same metadata and, instead of ``weights``, ``weightmem.link``:
where each row's values lie in the researcher's files; its readers check those files are unchanged.

Every write goes to a temporary name in the same folder and is renamed into place, so a crash never
leaves a half-written file where a reader (or Snakemake) would take it for a finished one.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

FORMAT_VERSION = "1"


class WeightFormatError(ValueError):
    """A weight file (or an in-memory weight set) is not what it claims to be."""


Layout = list[tuple[str, tuple[int, ...]]]


def layout_size(layout: Layout) -> int:
    return int(sum(math.prod(shape) for _, shape in layout))


def normalise_layout(layout: Sequence) -> Layout:
    return [(str(name), tuple(int(s) for s in shape)) for name, shape in layout]


@dataclass
class WeightSet:
    """N weight vectors of one architecture, with per-row metadata and provenance."""

    weights: torch.Tensor
    layout: Layout
    arch: str
    rows: dict[str, list] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, torch.Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.layout = normalise_layout(self.layout)
        self.validate()

    # ------------------------------------------------------------------ checks
    def validate(self, where: str = "weight set") -> None:
        w = self.weights
        if not isinstance(w, torch.Tensor) or w.dim() != 2:
            raise WeightFormatError(f"{where}: weights must be a 2-D tensor [N, D], got "
                                    f"{getattr(w, 'shape', type(w))}")
        d = layout_size(self.layout)
        if w.shape[1] != d:
            raise WeightFormatError(f"{where}: weights have D={w.shape[1]} columns but the layout "
                                    f"{[n for n, _ in self.layout]} adds up to {d}")
        for key, col in self.rows.items():
            if len(col) != w.shape[0]:
                raise WeightFormatError(f"{where}: row column '{key}' has {len(col)} entries, "
                                        f"expected N={w.shape[0]}")
        for key, t in self.extra.items():
            if t.shape[0] != w.shape[0]:
                raise WeightFormatError(f"{where}: extra tensor '{key}' has {t.shape[0]} rows, "
                                        f"expected N={w.shape[0]}")

    def finite_rows(self) -> torch.Tensor:
        """Boolean [N]: rows with no NaN/inf (diverged models are flagged, not dropped)."""
        return torch.isfinite(self.weights).all(dim=1)

    def finite_runs(self, key: str = "run") -> "WeightSet":
        """Only the rows of runs (``rows[key]``) none of whose rows diverged (NaN/inf)."""
        ok = self.finite_rows().tolist()
        bad = {r for r, fine in zip(self.rows[key], ok) if not fine}
        return self.subset([i for i, r in enumerate(self.rows[key]) if r not in bad]) if bad else self

    # ------------------------------------------------------------------ views
    def __len__(self) -> int:
        return self.weights.shape[0]

    @property
    def dim(self) -> int:
        return self.weights.shape[1]

    def unflatten(self, rows: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Split [N, D] into {name: [N, *shape]} views (no copy)."""
        return unflatten(self.weights if rows is None else rows, self.layout)

    def subset(self, index: Sequence[int] | torch.Tensor, **provenance: Any) -> "WeightSet":
        idx = torch.as_tensor(index, dtype=torch.long)
        il = idx.tolist()
        return WeightSet(
            weights=self.weights[idx].clone(),
            layout=self.layout,
            arch=self.arch,
            rows={k: [v[i] for i in il] for k, v in self.rows.items()},
            provenance={**self.provenance, **provenance},
            extra={k: t[idx].clone() for k, t in self.extra.items()},
        )

    def with_weights(self, weights: torch.Tensor, rows: dict[str, list] | None = None,
                     **provenance: Any) -> "WeightSet":
        return WeightSet(weights=weights, layout=self.layout, arch=self.arch,
                         rows=self.rows if rows is None else rows,
                         provenance={**self.provenance, **provenance})

    @staticmethod
    def concat(sets: Sequence["WeightSet"], **provenance: Any) -> "WeightSet":
        if not sets:
            raise WeightFormatError("cannot concatenate an empty list of weight sets")
        first = sets[0]
        for s in sets[1:]:
            if s.layout != first.layout or s.arch != first.arch:
                raise WeightFormatError("cannot concatenate weight sets of different layouts "
                                        f"({first.arch} vs {s.arch})")
        keys = list(first.rows)
        rows = {k: [x for s in sets for x in s.rows.get(k, [None] * len(s))] for k in keys}
        extra = {k: torch.cat([s.extra[k] for s in sets]) for k in first.extra}
        return WeightSet(torch.cat([s.weights for s in sets]), first.layout, first.arch, rows,
                         {**first.provenance, **provenance}, extra)


def unflatten(flat: torch.Tensor, layout: Layout) -> dict[str, torch.Tensor]:
    out, start = {}, 0
    lead = flat.shape[:-1]
    for name, shape in layout:
        n = math.prod(shape)
        out[name] = flat[..., start:start + n].reshape(*lead, *shape)
        start += n
    return out


def flatten(params: dict[str, torch.Tensor] | Sequence[torch.Tensor], layout: Layout) -> torch.Tensor:
    """Inverse of :func:`unflatten` for tensors with one leading batch dimension
    (``params`` as a dict by name, or a list in layout order)."""
    tensors = [params[n] for n, _ in layout] if isinstance(params, dict) else list(params)
    parts = [t.reshape(t.shape[0], -1) for t in tensors]
    return torch.cat(parts, dim=1)


# ---------------------------------------------------------------------- atomic writes
# the temporary file of an output being written: ".<name>.partial-<random><suffix>" beside it;
# a run killed with SIGKILL leaves it behind, and the next run removes it (weightmem.locks)
PARTIAL = re.compile(r"^\..+\.partial-[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.partial-",
                               suffix=suffix or path.suffix or ".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.is_file():  # mkstemp makes 0600; a finished output is readable as umask says
            os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    """This process's umask, read without changing it where /proc tells (thread-safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _save_sorted(tensors: dict[str, torch.Tensor], path: Path,
                 metadata: dict[str, str] | None) -> None:
    """safetensors ``save_file`` with the header's keys sorted: the library writes metadata in
    hash-map order, which differs between processes, so equal weight sets would not be equal
    files. The header is re-serialised (tensor offsets are relative to the data, so they hold)."""
    save_file(tensors, str(path), metadata=metadata)
    with open(path, "r+b") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        if "__metadata__" in header:
            header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
        blob = json.dumps(header, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()
        blob += b" " * (-len(blob) % 8)
        if len(blob) == n:
            f.seek(8)
            f.write(blob)
            return
    moved = path.with_name(path.name + ".unsorted")  # another length: copy the data behind it
    os.replace(path, moved)
    try:
        with open(moved, "rb") as src, open(path, "wb") as dst:
            src.seek(8 + n)
            dst.write(len(blob).to_bytes(8, "little") + blob)
            shutil.copyfileobj(src, dst, 1 << 24)
    finally:
        moved.unlink()


def package_versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("torch", "numpy", "safetensors", "weightmem"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def config_hash(cfg: Any) -> str:
    """Stable short hash of a JSON-serialisable config fragment."""
    blob = json.dumps(cfg, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def provenance(cfg: Any, seed: int | None, stage: str, **more: Any) -> dict[str, Any]:
    return {"config_hash": config_hash(cfg), "seed": seed, "stage": stage,
            "versions": package_versions(), **more}


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.generic,)):
        return v.item()
    if isinstance(v, torch.Tensor):
        return v.item() if v.dim() == 0 else v.tolist()
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


def _weightset_meta(arch: str, layout: Layout, rows: dict, provenance: dict) -> dict[str, str]:
    """A weight file's weightmem metadata (the safetensors header's ``__metadata__``)."""
    return {
        "weightmem.format": FORMAT_VERSION,
        "weightmem.arch": arch,
        "weightmem.layout": json.dumps([[n, list(s)] for n, s in layout]),
        "weightmem.rows": json.dumps({k: [_jsonable(x) for x in v] for k, v in rows.items()}),
        "weightmem.provenance": json.dumps(provenance, default=str),
    }


def save_weightset(ws: WeightSet, path: str | os.PathLike) -> None:
    ws.validate(str(path))
    tensors = {"weights": ws.weights.detach().to(torch.float32).contiguous().cpu()}
    for k, t in ws.extra.items():
        tensors[f"extra.{k}"] = t.detach().contiguous().cpu()
    with atomic_path(path) as tmp:
        _save_sorted(tensors, tmp, _weightset_meta(ws.arch, ws.layout, ws.rows, ws.provenance))


def arch_layout(arch: str) -> Layout:
    """The layout an architecture tag implies (``mlp:64-10-10``, ``cnn:…``, ``field:…``,
    ``resnet18-lastbn:…``); ValueError for an unknown or malformed tag."""
    family, _, spec = arch.partition(":")
    if family == "resnet18-lastbn":  # P-diff's generated BN vector (not a runnable net by itself)
        import re

        from .nets.resnet import ResNetConfig

        m = re.fullmatch(r"w(\d+)-c(\d+)-(imagenet|cifar)", spec)
        if not m:
            raise ValueError(f"bad ResNet-18 BN tag '{arch}' (expected e.g. "
                             f"resnet18-lastbn:w64-c100-imagenet)")
        return normalise_layout(ResNetConfig(n_classes=int(m.group(2)), width=int(m.group(1)),
                                             stem=m.group(3)).layout)
    from . import nets
    from .nets import field  # noqa: F401  (registers the 'field' family)

    return normalise_layout(nets.get(arch).layout)


def _parse_meta(path: Path, meta: dict) -> tuple[Layout, dict, dict, str]:
    """Layout, rows, provenance and arch from the header, each checked for its shape."""
    try:
        layout_raw = json.loads(meta["weightmem.layout"])
        rows = json.loads(meta["weightmem.rows"])
        prov = json.loads(meta["weightmem.provenance"])
        arch = meta["weightmem.arch"]
    except KeyError as e:
        raise WeightFormatError(f"{path}: corrupt weightmem metadata (no {e} entry)") from e
    except (json.JSONDecodeError, TypeError, ValueError) as e:
        raise WeightFormatError(f"{path}: corrupt weightmem metadata ({e})") from e
    if not (isinstance(layout_raw, list) and all(
            isinstance(e, list) and len(e) == 2 and isinstance(e[0], str)
            and isinstance(e[1], list) and all(isinstance(s, int) and s >= 0 for s in e[1])
            for e in layout_raw)):
        raise WeightFormatError(f"{path}: corrupt weightmem metadata (layout must be a list of "
                                f"[name, [non-negative sizes]] pairs)")
    if not isinstance(rows, dict) or not all(isinstance(c, list) for c in rows.values()):
        raise WeightFormatError(f"{path}: corrupt weightmem metadata (rows must map each column "
                                f"name to a list)")
    if not isinstance(prov, dict):
        raise WeightFormatError(f"{path}: corrupt weightmem metadata (provenance must be a dict)")
    return normalise_layout(layout_raw), {k: _numbers_back(c) for k, c in rows.items()}, prov, arch


_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _numbers_back(col: list) -> list:
    """Undo :func:`_jsonable` for numeric columns: a non-finite float is stored as the string
    'nan'/'inf'/'-inf' (JSON has no NaN); in a column of numbers it is read back as the float."""
    strings = [x for x in col if isinstance(x, str)]
    if not strings or not set(strings) <= set(_NON_FINITE):
        return col
    if not all(isinstance(x, (int, float, str)) and not isinstance(x, bool) for x in col):
        return col
    return [_NON_FINITE[x] if isinstance(x, str) else x for x in col]


def load_weightset(path: str | os.PathLike, expect_arch: str | None = None,
                   expect_dim: int | None = None, require_finite: bool = False) -> WeightSet:
    """Load and check a weight file; every problem names the file. Refused: anything that is not
    a weightmem safetensors file, weights that are not a float32 [N ≥ 1, D] matrix, a layout that
    does not add up to D, an unknown ``arch`` or one whose layout differs from the file's
    (:func:`read_weightset_header`), then data that safetensors cannot read."""
    head = read_weightset_header(path)
    path = head.path
    if head.link is not None:  # rows in the linked files: read them through the link
        from weightmem.audit import FileSource

        tensors = {"weights": FileSource(path, head).columns(0, head.dim)}
    else:
        try:
            tensors = load_file(str(path))
        except (SafetensorError, OSError, ValueError, RuntimeError) as e:
            raise WeightFormatError(f"{path}: not a readable safetensors file ({e})") from e
    extra = {k[len("extra."):]: t for k, t in tensors.items() if k.startswith("extra.")}
    try:
        ws = WeightSet(tensors["weights"], head.layout, head.arch, head.rows, head.provenance,
                       extra)
    except WeightFormatError as e:
        raise WeightFormatError(f"{path}: {e}") from e
    if expect_arch is not None and ws.arch != expect_arch:
        raise WeightFormatError(f"{path}: architecture is '{ws.arch}', expected '{expect_arch}'")
    if expect_dim is not None and ws.dim != expect_dim:
        raise WeightFormatError(f"{path}: weight vectors have D={ws.dim}, expected {expect_dim}")
    if require_finite and not bool(ws.finite_rows().all()):
        bad = (~ws.finite_rows()).nonzero().flatten().tolist()[:10]
        raise WeightFormatError(f"{path}: rows {bad} contain NaN or inf weights")
    return ws


@dataclass
class WeightSetHeader:
    """A weight file's facts without its weights (:func:`read_weightset_header`): what a job
    that streams the rows (weightmem.audit.FileSource) needs."""

    path: Path
    n: int
    dim: int
    layout: Layout
    arch: str
    rows: dict
    provenance: dict
    link: list | None = None  # a linked set's rows: [file, size, mtime_ns, segments] each


LINK_KEY = "weightmem.link"  # metadata of a linked WeightSet (weightmem.audit.write_link)

_DTYPES = {"F16": "float16", "BF16": "bfloat16", "F64": "float64", "I64": "int64",
           "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}


def read_weightset_header(path: str | os.PathLike) -> WeightSetHeader:
    """Every check of :func:`load_weightset` that needs no weights — a weightmem safetensors
    file, float32 [N ≥ 1, D] weights, readable metadata, a layout that adds up to D and matches
    the architecture, row columns of N entries — each problem naming the file; the weights are
    not read (jobs that stream the rows: weightmem.audit.FileSource)."""
    path = Path(path)
    if not path.exists():
        raise WeightFormatError(f"{path}: weight file does not exist")
    if not path.is_file():
        raise WeightFormatError(f"{path}: not a regular file")
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            if size == 0 or 8 + size > path.stat().st_size:
                raise ValueError(f"header size {size} does not fit the file")
            header = json.loads(f.read(size))
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except (OSError, ValueError) as e:
        raise WeightFormatError(f"{path}: not a readable safetensors file ({e})") from e
    meta = header.get("__metadata__") or {}
    w = header.get("weights")
    if isinstance(meta, dict) and meta.get("weightmem.format") == FORMAT_VERSION \
            and LINK_KEY in meta:
        return _link_header(path, meta)
    if not isinstance(meta, dict) or meta.get("weightmem.format") != FORMAT_VERSION \
            or not isinstance(w, dict):
        raise WeightFormatError(f"{path}: not a weightmem weight set (missing format tag or "
                                f"'weights' tensor)")
    if w.get("dtype") != "F32":
        raise WeightFormatError(f"{path}: weights are {_DTYPES.get(w.get('dtype'), w.get('dtype'))}"
                                f", expected float32 (convert the file, e.g. with "
                                f"weightmem.io.save_weightset, which writes float32)")
    shape = w.get("shape")
    if not isinstance(shape, list) or len(shape) != 2 or shape[0] == 0:
        raise WeightFormatError(f"{path}: weights must be a [N, D] matrix with N ≥ 1 models, "
                                f"got shape {shape}")
    layout, rows, prov, arch = _parse_meta(path, meta)
    n, d = shape
    _check_facts(path, n, d, layout, rows, arch)
    return WeightSetHeader(path, n, d, layout, arch, rows, prov)


def _link_header(path: Path, meta: dict) -> WeightSetHeader:
    """A linked set's header: its rows are byte ranges of float32 values in other files (the
    state dicts ``weightmem audit`` was given), each checked to be where, and as big and as old,
    as when the link was written."""
    layout, rows, prov, arch = _parse_meta(path, meta)
    d = layout_size(layout)
    try:
        link = json.loads(meta[LINK_KEY])
        ok = isinstance(link, list) and link and all(
            isinstance(e, list) and len(e) == 4 and isinstance(e[0], str)
            and _segments_ok(e[3], d, e[1]) for e in link)
    except (json.JSONDecodeError, TypeError, ValueError):
        ok = False
    if not ok:
        raise WeightFormatError(f"{path}: corrupt link (each row must be [file, size, mtime_ns, "
                                f"segments] whose segments [start, stop, byte offset] cover "
                                f"0..D={d} in order, inside the file)")
    for i, (file, size, mtime, _) in enumerate(link):
        try:
            st = os.stat(file)
        except OSError:
            raise WeightFormatError(f"{path}: row {i} is read from {file}, which no longer "
                                    f"exists; rerun the import (snakemake --forcerun "
                                    f"audit_import)") from None
        if st.st_size != size or st.st_mtime_ns != mtime:
            raise WeightFormatError(f"{path}: row {i} is read from {file}, which changed since "
                                    f"the import (size or modification time); rerun the import "
                                    f"(snakemake --forcerun audit_import)")
    _check_facts(path, len(link), d, layout, rows, arch)
    return WeightSetHeader(path, len(link), d, layout, arch, rows, prov, link)


def save_linked_weightset(path: str | os.PathLike, layout: Layout, arch: str, rows: dict,
                          provenance: dict, link: list) -> None:
    """A WeightSet whose rows stay in other files: ``link`` is one [file, size, mtime_ns,
    segments] per row, segments [[start, stop, byte offset], ...] of float32 values covering the
    row (weightmem.audit.write_link; read by :func:`read_weightset_header`'s checks and
    weightmem.audit.FileSource). The file holds the metadata and an empty ``link`` tensor."""
    meta = {**_weightset_meta(arch, layout, rows, provenance), LINK_KEY: json.dumps(link)}
    with atomic_path(path) as tmp:
        _save_sorted({"link": torch.zeros(0, dtype=torch.uint8)}, tmp, meta)


def _segments_ok(segments: list, d: int, size: int) -> bool:
    """A linked row's segments cover 0..d in order, each inside a file of ``size`` bytes."""
    pos = 0
    for lo, hi, offset in segments:
        if lo != pos or hi <= lo or offset < 0 or offset + 4 * (hi - lo) > size:
            return False
        pos = hi
    return pos == d


def _check_facts(path: Path, n: int, d: int, layout: Layout, rows: dict, arch: str) -> None:
    """The header's facts agree: layout adds up to D, row columns of N, layout of ``arch``."""
    if layout_size(layout) != d:
        raise WeightFormatError(f"{path}: weights have D={d} columns but the layout "
                                f"{[k for k, _ in layout]} adds up to {layout_size(layout)}")
    for key, col in rows.items():
        if len(col) != n:
            raise WeightFormatError(f"{path}: row column '{key}' has {len(col)} entries, "
                                    f"expected N={n}")
    try:  # 'custom': a researcher's layout (weightmem audit) with no network here
        implied = layout if arch.partition(":")[0] == "custom" else arch_layout(arch)
    except ValueError as e:
        raise WeightFormatError(f"{path}: unknown architecture '{arch}' ({e})") from e
    if implied != layout:
        raise WeightFormatError(f"{path}: the layout does not match architecture '{arch}' "
                                f"({layout_size(layout)} values in "
                                f"{[k for k, _ in layout][:6]}, the architecture has "
                                f"{layout_size(implied)} in {[k for k, _ in implied][:6]})")


def weightset_file_header(n: int, dim: int, layout: Layout, arch: str, rows: dict,
                          provenance: dict, size: int = 0) -> bytes:
    """The first bytes of the file :func:`save_weightset` writes for a set of these facts with
    no extra tensors (length + sorted header, padded to 8), for writers that stream the rows
    after it: their files are byte-identical to save_weightset's. ``size``: pad the header to
    that many bytes instead (a header rewritten in place once the rows are written)."""
    h = {"__metadata__": dict(sorted(_weightset_meta(arch, layout, rows, provenance).items())),
         "weights": {"dtype": "F32", "shape": [n, dim], "data_offsets": [0, n * dim * 4]}}
    blob = json.dumps(h, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    size = size or len(blob) + (-len(blob) % 8)
    return size.to_bytes(8, "little") + blob + b" " * (size - len(blob))


# ---------------------------------------------------------------------- other small artefacts
def save_tensors(tensors: dict[str, torch.Tensor], path: str | os.PathLike,
                 metadata: dict[str, str] | None = None) -> None:
    with atomic_path(path) as tmp:
        _save_sorted({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, tmp,
                     metadata)


def load_tensors(path: str | os.PathLike, required: Sequence[str] = ()) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise WeightFormatError(f"{path}: file does not exist")
    try:
        out = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise WeightFormatError(f"{path}: not a readable safetensors file ({e})") from e
    missing = [k for k in required if k not in out]
    if missing:
        raise WeightFormatError(f"{path}: missing tensors {missing}")
    return out


def save_state(state: dict[str, torch.Tensor], config: dict, path: str | os.PathLike) -> None:
    """A fitted generator: state dict + its own config, safetensors (no pickle)."""
    save_tensors(state, path, metadata={"weightmem.config": json.dumps(config, default=str)})


def load_state(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    from safetensors import safe_open

    tensors = load_tensors(path)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if "weightmem.config" not in meta:
        raise WeightFormatError(f"{path}: generator file has no embedded config")
    return tensors, json.loads(meta["weightmem.config"])


def write_csv(df, path: str | os.PathLike) -> None:
    with atomic_path(path, suffix=".csv") as tmp:
        df.to_csv(tmp, index=False)


def save_figure(fig, path: str | os.PathLike, dpi: int = 150) -> None:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
