"""What a user can type or feed in: bad config values and damaged weight files.

Every bad config value must stop the validator (the workflow calls it when the Snakefile loads,
before any job) with a message naming the full key; every damaged weight file must be refused by
the loader with a message naming the file. Neither may write or remove anything.

The config cases run the validator on config/config.yaml + tests/config/tiny.yaml (merged as
Snakemake merges ``--configfile`` overlays), not the DAG; three of them go through
``snakemake -n`` to check the exit code, the message on screen and that no result folder appears.
"""
from __future__ import annotations

import json
import math
import struct
import subprocess

import pytest
import torch
import yaml

from dagrun import ENV, ROOT, SNAKEMAKE

GIB = 1 << 30
MACHINE = 24 * GIB  # the memory the machine-dependent checks are run against here


def base_config() -> dict:
    from snakemake.utils import update_config

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(cfg, yaml.safe_load((ROOT / "tests" / "config" / "tiny.yaml").read_text()))
    return cfg


def _set(cfg: dict, key: str, value) -> None:
    *path, last = key.split(".")
    node = cfg
    for k in path:
        node = node.setdefault(k, {})
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value


_DELETE = object()
NAN, INF = math.nan, math.inf

# (key set, value, key the message must name, a word of the reason the message must give)
CONFIG_CASES = [
    # not finite: JSON schema's minimum/maximum let NaN through
    ("gpt.generator.lr", INF, "gpt.generator.lr", "finite"),
    ("gpt.generator.lr", NAN, "gpt.generator.lr", "finite"),
    ("gpt.normalisation_target_std", NAN, "gpt.normalisation_target_std", "finite"),
    ("gpt.zoo.lr", -INF, "gpt.zoo.lr", "finite"),
    ("gpt.zoo.momentum", NAN, "gpt.zoo.momentum", "finite"),
    ("gpt.zoo.weight_decay", INF, "gpt.zoo.weight_decay", "finite"),
    ("gpt.generator.grad_clip", NAN, "gpt.generator.grad_clip", "finite"),
    ("gpt.generator.dropout", NAN, "gpt.generator.dropout", "finite"),
    ("gpt.baselines.noise", [0.05, NAN], "gpt.baselines.noise.1", "finite"),
    ("gpt.modeling_factors.epochs50.steps_fraction", NAN,
     "gpt.modeling_factors.epochs50.steps_fraction", "finite"),
    ("hyperrep.generator.temperature", INF, "hyperrep.generator.temperature", "finite"),
    ("hyperrep.generator.erase_value", NAN, "hyperrep.generator.erase_value", "finite"),
    ("hyperrep.sampling.top_fraction", NAN, "hyperrep.sampling.top_fraction", "finite"),
    ("hyperrep.invariance.scale_range", [0.5, INF], "hyperrep.invariance.scale_range.1", "finite"),
    ("pdiff.generator.ae_lr", NAN, "pdiff.generator.ae_lr", "finite"),
    ("pdiff.base.crop_scale", [NAN, 1.0], "pdiff.base.crop_scale.0", "finite"),
    ("hyperdiffusion.evaluation.level", NAN, "hyperdiffusion.evaluation.level", "finite"),
    ("hyperdiffusion.shapes.val_fraction", NAN, "hyperdiffusion.shapes.val_fraction", "finite"),
    ("hyperdiffusion.field.lr_factor", NAN, "hyperdiffusion.field.lr_factor", "finite"),
    # sizes without an upper bound
    ("gpt.generator.steps", 10**12, "gpt.generator.steps", "10000000"),
    ("gpt.figures.grid_resolution", 200_000, "gpt.figures.grid_resolution", "4096"),
    ("seed", 2**70, "seed", "4294967295"),
    ("threads", 10**6, "threads", "1024"),
    ("pdiff.collect.checkpoints", 10**9, "pdiff.collect.checkpoints", "1000000"),
    ("hyperdiffusion.evaluation.resolution", 100_000, "hyperdiffusion.evaluation.resolution",
     "1024"),
    ("gpt.modeling_factors.dim_head_up.width", 10**9, "gpt.modeling_factors.dim_head_up.width",
     "65536"),
    # sizes bounded by each other
    ("gpt.zoo.checkpoints_per_run", 1000, "gpt.zoo.checkpoints_per_run", "iterations"),
    ("gpt.zoo.batch_size", 100_000, "gpt.zoo.batch_size", "training images"),
    ("hyperrep.zoo.batch_size", 100_000, "hyperrep.zoo.batch_size", "training images"),
    ("pdiff.base.batch_size", 100_000, "pdiff.base.batch_size", "training images"),
    ("pdiff.collect.batch_size", 100_000, "pdiff.collect.batch_size", "training images"),
    ("gpt.generator.chunk_size", 100, "gpt.generator.chunk_size", "width"),
    ("gpt.generator.warmup_steps", 100, "gpt.generator.warmup_steps", "steps"),
    ("gpt.sampling.sample_steps", 5000, "gpt.sampling.sample_steps", "diffusion_steps"),
    ("pdiff.sampling.sample_steps", 5000, "pdiff.sampling.sample_steps", "diffusion_steps"),
    ("pdiff.figures.boundary_classes", 50, "pdiff.figures.boundary_classes", "classes"),
    ("hyperrep.invariance.models", 100_000, "hyperrep.invariance.models", "checkpoints"),
    ("hyperrep.zoo.checkpoints_per_run", 100, "hyperrep.zoo.checkpoints_per_run", "epochs"),
    ("gpt.sampling.n_samples", 1000, "gpt.sampling.n_samples", "runs_heldout"),
    ("gpt.zoo.shards", 1000, "gpt.zoo.shards", "runs"),
    ("pdiff.baselines.average_k", 1000, "pdiff.baselines.average_k", "checkpoints"),
    ("hyperdiffusion.field.batch_points", 10**7, "hyperdiffusion.field.batch_points", "points"),
    # memory: runs × D and the decision-boundary grid against the machine
    ("gpt.zoo.runs_train", 5_000_000, "gpt.zoo.runs_train", "memory"),
    ("gpt.zoo.hidden", 60_000, "gpt.zoo.hidden", "4096"),
    ("hyperrep.figures.grid_resolution", 2000, "hyperrep.figures.grid_resolution", "memory"),
    ("hyperdiffusion.evaluation.resolution", 1000, "hyperdiffusion.evaluation.resolution",
     "memory"),
    # duplicates that would silently drop a baseline or a variant
    ("gpt.baselines.noise", [0.05, 0.05], "gpt.baselines.noise", "duplicate"),
    ("pdiff.baselines.noise", [0.06, 0.06], "pdiff.baselines.noise", "duplicate"),
    ("hyperrep.baselines.noise", [0.02, 0.02], "hyperrep.baselines.noise", "duplicate"),
    ("hyperdiffusion.baselines.noise", [0.02, 0.02], "hyperdiffusion.baselines.noise",
     "duplicate"),
    ("gpt.run_factors", ["epochs50", "epochs50"], "gpt.run_factors", "duplicate"),
    ("gpt.run_factors", ["epochs50", "sideways"], "gpt.run_factors", "sideways"),
    # data sources: the message is about the key, not "additional properties"
    ("data.digits.test_fraction", 1.5, "data.digits.test_fraction", "< 1"),
    ("data.digits.image_size", 4, "data.digits.image_size", ">= 8"),
    ("data.digits.root", "data/x", "data.digits.root", "not allowed"),
    ("data.mnist", {"source": "mnist"}, "data.mnist.root", "required"),
    ("data.imagenet", {"source": "imagenet", "root": "x"}, "data.imagenet.source", "imagenet"),
    # types and spellings
    ("gpt.zoo.epochs", 3.0, "gpt.zoo.epochs", "integer"),
    ("gpt.zoo.epochs", "1e12", "gpt.zoo.epochs", "integer"),
    ("gpt.zoo.runs_train", -1, "gpt.zoo.runs_train", ">= 2"),
    ("gpt.generator.ema_decay", 1.0, "gpt.generator.ema_decay", "< 1"),
    ("gpt.dataset", "svhn", "gpt.dataset", "data"),
    ("device", "cuda:x", "device", "match"),
    ("gpt.generator.heads", 5, "gpt.generator.width", "heads"),
]


@pytest.mark.parametrize("key, value, names, reason", CONFIG_CASES,
                         ids=[f"{c[0]}={c[1]!r}" for c in CONFIG_CASES])
def test_bad_config_value_is_refused_naming_the_key(tmp_path, monkeypatch, key, value, names,
                                                    reason):
    from weightmem.config import ConfigError, check_machine, validate

    monkeypatch.chdir(tmp_path)  # anything the validator wrote would land here
    cfg = base_config()
    _set(cfg, key, value)
    with pytest.raises(ConfigError) as err:
        validate(cfg, ROOT / "config" / "schema.yaml")
        check_machine(cfg, memory_bytes=MACHINE)
    msg = str(err.value)
    assert f"  {names}: " in msg or f"  {names} " in msg, msg
    assert reason in msg, msg
    assert list(tmp_path.iterdir()) == []


def test_the_unchanged_base_config_passes():
    """The cases above fail because of their one change, not because the base is invalid."""
    from weightmem.config import check_machine, validate

    cfg = base_config()
    validate(cfg, ROOT / "config" / "schema.yaml")
    check_machine(cfg, memory_bytes=MACHINE)


@pytest.mark.parametrize("flag, names", [
    ("gpt.generator.lr=.nan", "gpt.generator.lr"),
    ("gpt.baselines.noise=[0.05,0.05]", "gpt.baselines.noise"),
    ("data.digits.test_fraction=1.5", "data.digits.test_fraction"),
])
def test_snakemake_stops_before_any_job(tmp_path, flag, names):
    """Through the command line: non-zero exit, the key on screen, no result folder."""
    key, value = flag.split("=", 1)
    overlay = tmp_path / "overlay.yaml"
    cfg: dict = {}
    _set(cfg, key, yaml.safe_load(value))
    overlay.write_text(yaml.safe_dump(cfg))
    results = tmp_path / "results"
    out = subprocess.run(SNAKEMAKE + ["-n", "--configfile", "tests/config/tiny.yaml", str(overlay),
                                      "--config", f"results={results}", "--cores", "1"],
                         cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=300)
    assert out.returncode != 0
    assert names in out.stdout + out.stderr
    assert not results.exists()


# ------------------------------------------------------------------ damaged weight files
def _good(path):
    from weightmem.io import WeightSet, save_weightset
    from weightmem.nets.mlp import MLPArch

    arch = MLPArch(6, 4, 3)
    g = torch.Generator().manual_seed(0)
    ws = WeightSet(arch.init(g, 5), arch.layout, arch.tag, {"run": list(range(5))},
                   {"seed": 0})
    save_weightset(ws, path)
    return ws


def _read(path):
    blob = path.read_bytes()
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def _write(path, header, data):
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    path.write_bytes(struct.pack("<Q", len(h)) + h + data)


def _meta(key, value):
    def damage(path):
        header, data = _read(path)
        if value is _DELETE:
            del header["__metadata__"][key]
        else:
            header["__metadata__"][key] = value
        _write(path, header, data)
    return damage


def _tensors(make):
    """Replace the file by a weightmem-tagged file whose tensors come from ``make(ws)``."""
    def damage(path):
        from safetensors.torch import save_file

        ws = _good(path)
        header, _ = _read(path)
        meta = dict(header["__metadata__"])
        tensors, meta_over = make(ws)
        meta.update(meta_over)
        path.unlink()
        save_file(tensors, str(path), metadata=meta)
    return damage


def _truncate(frac):
    def damage(path):
        blob = path.read_bytes()
        path.write_bytes(blob[:int(len(blob) * frac)])
    return damage


def _layout(layout):
    return json.dumps(layout)


WEIGHT_CASES = {
    "empty file": lambda p: p.write_bytes(b""),
    "truncated to half": _truncate(0.5),
    "truncated to the header size": _truncate(0.0001),
    "truncated by one byte": lambda p: p.write_bytes(p.read_bytes()[:-1]),
    "random bytes": lambda p: p.write_bytes(bytes(range(256)) * 4),
    "header size 2**60": lambda p: p.write_bytes(struct.pack("<Q", 2**60) + p.read_bytes()[8:]),
    "header not JSON": lambda p: p.write_bytes(struct.pack("<Q", 8) + b"{nojson}" + b"\0" * 64),
    "a pickle": lambda p: p.write_bytes(b"\x80\x04\x95" + b"\0" * 64),
    "plain safetensors without weightmem tags": _tensors(
        lambda ws: ({"weights": ws.weights}, {"weightmem.format": "0"})),
    "format version 2": _meta("weightmem.format", "2"),
    "weights float16": _tensors(lambda ws: ({"weights": ws.weights.half()}, {})),
    "weights bfloat16": _tensors(lambda ws: ({"weights": ws.weights.bfloat16()}, {})),
    "weights float64": _tensors(lambda ws: ({"weights": ws.weights.double()}, {})),
    "weights int64": _tensors(lambda ws: ({"weights": ws.weights.long()}, {})),
    "weights 1-D": _tensors(lambda ws: ({"weights": ws.weights.flatten()}, {})),
    "weights 3-D": _tensors(lambda ws: ({"weights": ws.weights[None]}, {})),
    "zero rows": _tensors(lambda ws: ({"weights": ws.weights[:0]},
                                      {"weightmem.rows": json.dumps({"run": []})})),
    "extra tensor with other row count": _tensors(
        lambda ws: ({"weights": ws.weights, "extra.loss": torch.zeros(3)}, {})),
    "layout JSON corrupt": _meta("weightmem.layout", "[[\"fc1.weight\", [4, 6]"),
    "layout sums to another D": _meta("weightmem.layout", _layout([["fc1.weight", [4, 6]]])),
    "layout with a negative size": _meta("weightmem.layout",
                                         _layout([["a", [-1, 4]], ["b", [1, 5]]])),
    "layout not a list of pairs": _meta("weightmem.layout", "{\"fc1\": 3}"),
    "arch unknown": _meta("weightmem.arch", "vit:tiny"),
    "arch malformed": _meta("weightmem.arch", "mlp:six-four-three"),
    "arch contradicts the layout": _meta("weightmem.arch", "mlp:4-6-3"),
    "arch of another family": _meta("weightmem.arch", "resnet18-lastbn:w1-c10-cifar"),
    "arch missing": _meta("weightmem.arch", _DELETE),
    "layout missing": _meta("weightmem.layout", _DELETE),
    "rows not a dict": _meta("weightmem.rows", "[1, 2, 3]"),
    "rows column a number": _meta("weightmem.rows", "{\"run\": 5}"),
    "rows column of other length": _meta("weightmem.rows", "{\"run\": [1, 2]}"),
    "provenance not JSON": _meta("weightmem.provenance", "{seed: 0"),
}


@pytest.mark.parametrize("damage", list(WEIGHT_CASES), ids=list(WEIGHT_CASES))
def test_damaged_weight_file_is_refused_naming_the_file(tmp_path, damage):
    from weightmem.io import WeightFormatError, load_weightset

    path = tmp_path / "damaged-set.safetensors"
    _good(path)
    WEIGHT_CASES[damage](path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(WeightFormatError) as err:
        load_weightset(path)
    assert str(path) in str(err.value)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # nothing written/removed


def test_a_directory_or_a_dangling_link_is_refused(tmp_path):
    from weightmem.io import WeightFormatError, load_weightset

    (tmp_path / "dir.safetensors").mkdir()
    (tmp_path / "link.safetensors").symlink_to(tmp_path / "gone.safetensors")
    for name in ("dir.safetensors", "link.safetensors"):
        with pytest.raises(WeightFormatError, match=name):
            load_weightset(tmp_path / name)


def test_diverged_rows_are_kept_and_flagged(tmp_path):
    """NaN/inf models are not damage: the file loads, the rows are flagged."""
    from weightmem.io import load_weightset, save_weightset

    path = tmp_path / "w.safetensors"
    ws = _good(path)
    ws.weights[1, 0], ws.weights[3, 2] = math.nan, math.inf
    save_weightset(ws, path)
    assert load_weightset(path).finite_rows().tolist() == [True, False, True, False, True]


def test_the_undamaged_file_loads(tmp_path):
    from weightmem.io import load_weightset

    path = tmp_path / "w.safetensors"
    ws = _good(path)
    assert torch.equal(load_weightset(path).weights, ws.weights)


# ------------------------------------------------------------------ diverged models downstream
def _diverged_set(n=6, bad=(2,)):
    from weightmem.io import WeightSet
    from weightmem.nets.mlp import MLPArch

    arch = MLPArch(6, 4, 3)
    w = arch.init(torch.Generator().manual_seed(1), n)
    for i in bad:
        w[i, 0] = math.nan
    return WeightSet(w, arch.layout, arch.tag, {"run": list(range(n))})


def test_diverged_rows_have_empty_neighbour_columns(tmp_path):
    import pandas as pd

    from weightmem.evaluation.classifier import table
    from weightmem.io import write_csv

    ws = _diverged_set()
    g = torch.Generator().manual_seed(0)
    beh = {"accuracy": torch.rand(6, generator=g), "masks": torch.rand(6, 50, generator=g) > 0.5,
           "diverged": ~ws.finite_rows()}
    for distance in ("plain", "aligned"):
        write_csv(table("training", ws, beh, ws, beh, distance, is_training=True),
                  tmp_path / "t.csv")
        df = pd.read_csv(tmp_path / "t.csv")
        assert df.loc[2, "diverged"] and not math.isfinite(df.loc[2, "min_l2"])
        assert pd.isna(df.loc[2, "nearest_by_l2"]) and pd.isna(df.loc[2, "nearest_by_similarity"])
        others = df.drop(index=2)
        assert others.nearest_by_l2.notna().all() and (others.nearest_by_l2 != 2).all()
        assert (others.nearest_by_l2 != others.model).all()  # self still excluded


def test_noise_baseline_and_generator_data_leave_diverged_models_out():
    from weightmem import baselines

    ws = _diverged_set(bad=(1, 4))
    noisy = baselines.noise(ws, 0.1, None, seed=0)
    assert noisy.rows["source_index"] == [0, 2, 3, 5] and bool(noisy.finite_rows().all())
    kept = ws.finite_runs()
    assert kept.rows["run"] == [0, 2, 3, 5]
    clean = _diverged_set(bad=())
    assert clean.finite_runs() is clean
    assert baselines.noise(clean, 0.1, 3, seed=0).rows["source_index"] == \
        baselines.noise(clean, 0.2, 3, seed=0).rows["source_index"]


def test_non_finite_row_values_come_back_as_floats(tmp_path):
    """A diverged run's losses are NaN; JSON stores them as strings, the loader gives floats."""
    from weightmem.io import load_weightset, save_weightset

    path = tmp_path / "w.safetensors"
    ws = _good(path)
    ws.rows.update(loss=[0.5, math.nan, math.inf, -math.inf, 1], role=["nan", "a", "b", "c", "d"],
                   all_nan=[math.nan] * 5)
    save_weightset(ws, path)
    rows = load_weightset(path).rows
    assert rows["loss"][0] == 0.5 and math.isnan(rows["loss"][1]) and rows["loss"][2:4] == [
        math.inf, -math.inf] and rows["loss"][4] == 1
    assert all(math.isnan(x) for x in rows["all_nan"])
    assert rows["role"] == ["nan", "a", "b", "c", "d"]  # a column of words stays words
