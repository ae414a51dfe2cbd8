"""HyperDiffusion end to end on its tiny config: shapes → fields → generator → four figures."""
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dagrun import ENV, ROOT, SNAKEMAKE, run_snakemake

pytestmark = pytest.mark.slow  # real snakemake runs: the CI lane (make test), not make check

FIGS = ["heatmap", "min_distance_to_training", "render_shapes", "performance_vs_novelty"]


def smk(*args, results, check=True, extra_configfile=None):
    cfgs = ["tests/config/tiny_hyperdiffusion.yaml"] + ([extra_configfile] if extra_configfile else [])
    return run_snakemake(cfgs, *args, results=results, check=check)


@pytest.fixture(scope="module")
def hd_run(tiny_factors_run):
    # conftest.py: tests/config/tiny_hyperdiffusion.yaml's whole DAG, run once per session
    # together with Hyper-Rep's and the tiny modeling factors (they leave the default chain as is)
    return tiny_factors_run


def test_the_chain_is_planned_for_the_listed_method_only(tmp_path):
    plan = smk("-n", results=tmp_path / "results")
    for rule in ("hd_airplanes", "hd_field_init", "hd_fields", "hd_fit", "hd_sample",
                 "behaviour", "figure_model_outputs"):
        assert rule in plan.stdout, rule
    assert "gpt_fit" not in plan.stdout  # only the methods listed are built


def test_chain_makes_four_real_figures(hd_run):
    for f in FIGS:
        img = np.asarray(Image.open(hd_run / "figures" / "hyperdiffusion" / f"{f}.png").convert("L"),
                         dtype=float)
        assert img.shape[0] > 200 and img.std() > 10, f"{f} looks empty"


def test_split_meshes_and_tables(hd_run):
    split = pd.read_csv(hd_run / "hyperdiffusion" / "shapes" / "split.csv")
    assert len(split) == 16 and split.split.value_counts().to_dict() == {"train": 13, "test": 3}
    assert len(list((hd_run / "hyperdiffusion" / "shapes" / "meshes").glob("*.obj"))) == 16
    tabs = {s: pd.read_csv(hd_run / "hyperdiffusion" / "tables" / f"{s}.csv")
            for s in ("training", "generated", "noise0.02", "noise0.04")}
    tr = tabs["training"]
    assert len(tr) <= 13 and (tr.nearest_by_l2 != tr.model).all()  # self excluded
    assert (tr.nearest_by_cd != tr.model).all() and np.isfinite(tr.min_cd_train).all()
    assert len(tabs["generated"]) == 6 and len(tabs["noise0.02"]) == min(6, len(tr))
    # noise of std a moves a field by ≈ a·√D in L2: twice the amplitude, twice the distance
    r = tabs["noise0.04"].min_l2.median() / tabs["noise0.02"].min_l2.median()
    assert 1.7 < r < 2.3
    for df in tabs.values():  # empty meshes give inf distances, never NaN
        assert not df[["min_cd_train", "min_cd_test"]].isna().any().any()
        assert (np.isinf(df.min_cd_train) == df["empty"]).all()
    summary = pd.read_csv(hd_run / "hyperdiffusion" / "tables" / "summary.csv")
    assert summary.set.tolist() == ["training", "generated", "noise0.02", "noise0.04"]


def test_logs_and_benchmarks(hd_run):
    logs = list((hd_run / "logs" / "hyperdiffusion").rglob("*.log"))
    assert len(logs) >= 15 and all(p.stat().st_size > 0 for p in logs)
    assert (hd_run / "benchmarks" / "hyperdiffusion" / "zoo" / "shard0.tsv").is_file()


def test_missing_mesh_directory_is_a_clear_error(tmp_path):
    override = tmp_path / "override.yaml"
    override.write_text("hyperdiffusion:\n  shapes:\n    source: directory\n    root: no/such/dir\n")
    out = smk(f"{tmp_path}/hyperdiffusion/shapes/split.csv", results=tmp_path, check=False,
              extra_configfile=override)
    assert out.returncode != 0
    assert "no/such/dir" in out.stdout + out.stderr


def test_paper_config_dry_runs_with_hyperdiffusion():
    out = subprocess.run(SNAKEMAKE + ["-n", "--configfile", "config/paper.yaml", "--cores", "8"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=ENV)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    for rule in ("hd_occupancy", "hd_fields", "hd_fit", "behaviour", "figure_model_outputs"):
        assert rule in out.stdout
