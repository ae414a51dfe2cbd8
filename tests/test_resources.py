"""Memory asks of the rules (weightmem.resources, issue 16): at least the extrapolated peak, at
most 4× of it, scaling with the config, and consistent with the paper-shape smoke run's measured
peaks (bench/paper_shapes_measured.csv, written by bench/compute_plan.py --measured)."""
import csv
import math
import re
from pathlib import Path

import pytest
import yaml

from weightmem import methods
from weightmem import resources as RS
from weightmem.config import validate
from weightmem.methods.gpt.resources import gpt_params, mlp_dim
from weightmem.methods.hyperdiffusion.resources import hd_params
from weightmem.methods.hyperrep.resources import hyperrep_params

ROOT = Path(__file__).resolve().parents[1]
MEASURED = ROOT / "bench" / "paper_shapes_measured.csv"


def config(*overlays) -> dict:
    cfg = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    for o in overlays:
        _merge(cfg, o)
    return validate(cfg, ROOT / "config" / "schema.yaml")


def _merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            _merge(a[k], v)
        else:
            a[k] = v


def rules(*files) -> dict[str, bool]:
    """Rule → whether its jobs are per method ({method}), of rule files (default rules/*.smk)."""
    out = {}
    for f in files or sorted((ROOT / "rules").glob("*.smk")):
        text = f.read_text()
        heads = list(re.finditer(r"^rule (\w+):", text, re.M))
        for i, m in enumerate(heads):
            body = text[m.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)]
            out[m.group(1)] = "{method}" in body or "{{method}}" in body
    out.pop("all", None)
    return out


def rules_and_wildcards():
    """Every rule of rules/*.smk, with the wildcards its paper jobs have."""
    out = []
    for r, per_method in sorted(rules().items()):
        if per_method:
            out += [(r, {"method": m, "set": "training"}) for m in ("gpt", "hyperrep", "pdiff")]
        elif r == "dataset":
            out += [(r, {"dataset": d}) for d in ("mnist", "svhn", "cifar100")]
        else:
            out.append((r, {}))
    return out


@pytest.mark.parametrize("rule, wildcards", rules_and_wildcards())
def test_paper_asks_are_between_one_and_four_times_the_extrapolated_peak(rule, wildcards):
    cfg = config()
    est = RS.estimate_mb(cfg, rule, wildcards)
    ask = RS.ask_mb(cfg, rule, wildcards)
    assert est <= ask <= 4 * est, (rule, est, ask)


def test_asks_scale_with_the_config():
    small, big = config(), config({"gpt": {"zoo": {"runs_train": 20456}}})
    for rule in ("gpt_zoo_merge", "gpt_training_set", "gpt_fit", "gpt_sample"):
        assert RS.ask_mb(big, rule) > 1.5 * RS.ask_mb(small, rule) - 1000, rule
    wide = config({"hyperdiffusion": {"generator": {"depth": 24}}})
    assert RS.estimate_mb(wide, "hd_fit") > 1.8 * RS.estimate_mb(config(), "hd_fit") - 2000
    fine = config({"hyperdiffusion": {"evaluation": {"resolution": 712}}})
    assert RS.estimate_mb(fine, "hd_clouds") > 7 * (RS.estimate_mb(config(), "hd_clouds") - 2000)


def test_parameter_formulas_match_the_spec():
    cfg = config()
    D = mlp_dim(cfg)
    assert D == 7960 and gpt_params(cfg["gpt"]["generator"], D) == 378_283_008
    over = cfg["gpt"]["modeling_factors"]
    assert gpt_params({**cfg["gpt"]["generator"], **over["layer_up"]}, D) == 604_935_168
    assert gpt_params({**cfg["gpt"]["generator"], **over["dim_head_down"]}, D) == 220_011_264
    assert abs(hd_params(cfg["hyperdiffusion"]["generator"]) - 1.41e9) < 0.005e9
    assert abs(hyperrep_params(cfg["hyperrep"]["generator"]) - 223e6) < 0.5e6


def test_estimates_cover_the_measured_smoke_peaks():
    """The model reproduces (≥) every peak measured in the paper-shape smoke run at its sizes."""
    rows = list(csv.DictReader(MEASURED.open()))
    assert len(rows) > 100
    overlay = yaml.safe_load((ROOT / "tests" / "config" / "paper-shapes.yaml").read_text())
    overlay["gpt"].pop("run_factors", None)  # the measured run had every variant
    smoke = config(overlay)
    for r in rows:
        w = dict(kv.split("=", 1) for kv in r["wildcards"].split(";") if kv)
        est = RS.estimate_mb(smoke, r["rule"], w, data_sizes=SMOKE_DATA, n_shapes=7)
        assert est >= float(r["peak_mb"]) - 1, (r["label"], est, r["peak_mb"])


SMOKE_DATA = {"mnist": (512, 256), "svhn": (256, 128), "cifar100": (128, 64)}


def test_a_method_declaring_nothing_about_resources_gets_default_asks():
    """tests/methods/gaussian.py declares no ``resources``: each of its rules and its jobs of the
    shared rules is asked for the default (the measured base, or DEFAULT_BASE, × ASK_FACTOR)."""
    from snakemake.utils import update_config

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    tiny = ROOT / "tests" / "config" / "tiny-gaussian.yaml"
    update_config(cfg, yaml.safe_load(tiny.read_text()))
    cfg = validate(cfg, ROOT / "config" / "schema.yaml")
    assert methods.get("gaussian", cfg).resources == methods.Resources()
    own = rules(ROOT / "tests" / "methods" / "gaussian.smk")
    assert own
    default = int(math.ceil(RS.ASK_FACTOR * RS.DEFAULT_BASE / 100) * 100)
    for r in own:
        assert RS.ask_mb(cfg, r, {"variant": "default"}) == default, r
    for r, per_method in rules().items():
        if per_method:
            assert RS.estimate_mb(cfg, r, {"method": "gaussian", "set": "training"}) == \
                RS.DEFAULT_BASE, r


@pytest.mark.parametrize("path", ["workflow/scripts/weightmem/resources.py",
                                  "workflow/scripts/weightmem/config.py", "bench/compute_plan.py"])
def test_shared_code_names_no_built_in_method(path):
    """Issue 11: outside a method's own package and rule file no code compares with, or looks
    up, a built-in method by name; BASE_MB's measured keys ("behaviour:gpt", "gpt_fit") are data."""
    import ast

    names = set(methods.BUILTIN)
    tree = ast.parse((ROOT / path).read_text())
    found = [(node.lineno, node.value) for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and node.value in names]
    assert not found, f"{path} names built-in methods: {found}"
