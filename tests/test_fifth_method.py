"""The method contract carries a researcher's own generator: tests/methods/gaussian.py (a
per-coordinate Gaussian over a small MLP zoo) goes through the shared baselines, behaviour,
tables, figures and report with one config section and no change to a shared file."""
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dagrun import ROOT, run_snakemake
from weightmem import config as C
from weightmem import methods

CONFIG = ["tests/config/tiny-gaussian.yaml"]


def _config(**gaussian):
    import yaml

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    tiny = yaml.safe_load((ROOT / CONFIG[0]).read_text())
    cfg.update({k: v for k, v in tiny.items() if k != "gaussian"})
    cfg["gaussian"] = {**tiny["gaussian"], **gaussian}
    return cfg


def test_declaration_is_found_from_the_config_section():
    cfg = C.validate(_config(), ROOT / "config" / "schema.yaml")
    decl = methods.get("gaussian", cfg)
    assert decl.figures[2] == "decision_boundary" and decl.distance == "aligned"
    assert cfg["gaussian"]["shrink"] == 1.0  # its own schema's default was filled in
    assert cfg["gaussian"]["baselines"]["source"] == "training"  # the shared part's default


@pytest.mark.parametrize("change, message", [
    ({"n_samples": 0}, "gaussian.n_samples"),
    ({"module": "tests/methods/nope.py"}, "gaussian.module"),
    ({"baselines": {"count": 3}}, "gaussian.baselines"),
    ({"dataset": "mnist9"}, "gaussian.dataset"),
])
def test_its_section_is_validated_naming_the_key(change, message):
    with pytest.raises(C.ConfigError, match=message):
        C.validate(_config(**change), ROOT / "config" / "schema.yaml")


@pytest.mark.slow
def test_it_runs_through_the_shared_dag(tmp_path):
    results = tmp_path / "results"
    run_snakemake(CONFIG, results=results, timeout=900)
    for f in ("heatmap", "min_distance_to_training", "decision_boundary",
              "performance_vs_novelty"):
        img = np.asarray(Image.open(results / "figures" / "gaussian" / f"{f}.png").convert("L"),
                         dtype=float)
        assert img.std() > 10, f"{f} looks empty"
    tables = {s: pd.read_csv(results / "gaussian" / "tables" / f"{s}.csv")
              for s in ("training", "generated", "noise0.02", "noise0.05")}
    assert len(tables["training"]) == 24 and len(tables["generated"]) == 16
    # aligned distances: samples mixing neurons of different runs are far from every training
    # model; noise of std 0.02 on training weights is close to its source
    assert tables["generated"].min_l2.median() > tables["noise0.02"].min_l2.median()
    summary = pd.read_csv(results / "tables" / "summary.csv")
    assert set(summary.set) == {"training", "generated", "noise0.02", "noise0.05"}
    found = pd.read_csv(results / "tables" / "findings.csv")
    assert set(found.finding) >= {"F1", "F3", "F4"} and set(found.method) == {"gaussian"}
    assert "gaussian" in (results / "report.html").read_text()
