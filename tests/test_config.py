import copy
from pathlib import Path

import pytest
import yaml

from weightmem.config import ConfigError, validate


@pytest.fixture
def cfg(root):
    return yaml.safe_load((root / "config" / "config.yaml").read_text())


@pytest.fixture
def every_factor(cfg):
    """config.yaml with every modeling-factor variant running (make run trains a subset)."""
    out = copy.deepcopy(cfg)
    for m in ("gpt", "hyperrep", "hyperdiffusion"):
        out[m].pop("run_factors", None)
    return out


@pytest.fixture
def schema(root):
    return root / "config" / "schema.yaml"


def test_shipped_configs_are_valid(root, schema):
    for name in ("config.yaml", "paper.yaml"):
        validate(yaml.safe_load((root / "config" / name).read_text()), schema)
    validate(yaml.safe_load((root / "tests" / "config" / "tiny.yaml").read_text()), schema)


def test_overlay_configs_merge_into_valid_configs(root, schema, cfg):
    """config/gpt-long.yaml is meant for `--configfile` on top of config.yaml (Snakemake merges
    nested keys): the merged config must validate and change only what the overlay names."""
    from snakemake.utils import update_config

    overlay = yaml.safe_load((root / "config" / "gpt-long.yaml").read_text())
    merged = copy.deepcopy(cfg)
    update_config(merged, overlay)
    validate(merged, schema)
    assert merged["gpt"]["generator"]["steps"] == overlay["gpt"]["generator"]["steps"] > \
        cfg["gpt"]["generator"]["steps"]
    assert merged["gpt"]["generator"]["width"] == cfg["gpt"]["generator"]["width"]
    assert merged["results"] != cfg["results"]


@pytest.mark.parametrize("path, value, message", [
    (("gpt", "zoo", "runs_train"), -1, "gpt.zoo.runs_train"),
    (("gpt", "zoo", "lr"), "fast", "gpt.zoo.lr"),
    (("device",), "tpu", "device"),
    (("methods",), ["gpt", "nope"], "methods: 'nope' is listed"),
    (("gpt", "baselines", "noise"), [0.05], "gpt.baselines.noise"),
    (("gpt", "modeling_factors", "epochs33"), {"steps_fraction": 1.5}, "gpt.modeling_factors"),
    (("gpt", "modeling_factors", "epochs33"), {"stepz": 3}, "gpt.modeling_factors"),
    (("gpt", "modeling_factors", "deeper"), {"depth": 3}, "gpt.modeling_factors"),
    (("hyperrep", "invariance", "models"), 1, "hyperrep.invariance.models"),
])
def test_bad_values_name_the_key(cfg, schema, path, value, message):
    bad = copy.deepcopy(cfg)
    node = bad
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        validate(bad, schema)


def test_unknown_key_is_rejected(cfg, schema):
    bad = copy.deepcopy(cfg)
    bad["gpt"]["zoo"]["epocs"] = 3
    with pytest.raises(ConfigError, match="epocs"):
        validate(bad, schema)


def test_cross_field_checks(every_factor, schema):
    cfg = every_factor
    bad = copy.deepcopy(cfg)
    bad["gpt"]["sampling"]["n_samples"] = 10_000
    with pytest.raises(ConfigError, match="runs_heldout"):
        validate(bad, schema)
    bad = copy.deepcopy(cfg)
    bad["gpt"]["dataset"] = "svhn"
    with pytest.raises(ConfigError, match="gpt.dataset"):
        validate(bad, schema)

    bad = copy.deepcopy(cfg)
    bad["gpt"]["modeling_factors"]["dim_head_up"] = {"width": 100, "heads": 3}
    with pytest.raises(ConfigError, match="gpt.modeling_factors.dim_head_up: width 100"):
        validate(bad, schema)
    bad = copy.deepcopy(cfg)
    bad["hyperrep"]["invariance"]["scale_range"] = [2.0, 0.5]
    with pytest.raises(ConfigError, match="hyperrep.invariance.scale_range"):
        validate(bad, schema)


def test_hyperrep_and_hyperdiffusion_variants_are_checked_naming_the_key(every_factor, schema):
    cfg = every_factor
    bad = copy.deepcopy(cfg)
    bad["hyperrep"]["modeling_factors"]["dim_head_up"] = {"d_model": 42, "heads": 5}
    with pytest.raises(ConfigError, match=r"hyperrep\.modeling_factors\.dim_head_up: d_model 42 "
                                          r"is not divisible by heads 5"):
        validate(bad, schema)
    bad = copy.deepcopy(cfg)
    bad["hyperdiffusion"]["modeling_factors"]["layer_up"] = {"heads": 3}  # width 64
    with pytest.raises(ConfigError, match=r"hyperdiffusion\.modeling_factors\.layer_up: width 64 "
                                          r"is not divisible by heads 3"):
        validate(bad, schema)
    bad = copy.deepcopy(cfg)
    bad["hyperdiffusion"]["modeling_factors"]["epochs33"] = {"epochs_fraction": 0}
    with pytest.raises(ConfigError, match=r"hyperdiffusion\.modeling_factors\.epochs33"):
        validate(bad, schema)
    bad = copy.deepcopy(cfg)
    bad["hyperdiffusion"]["permutation_augmentation"] = [0, 1, 1]
    with pytest.raises(ConfigError, match=r"hyperdiffusion\.permutation_augmentation"):
        validate(bad, schema)
    bad = copy.deepcopy(cfg)
    bad["hyperrep"]["run_factors"] = ["wider"]
    with pytest.raises(ConfigError, match=r"hyperrep\.run_factors: 'wider' is not defined"):
        validate(bad, schema)


def test_a_sampler_named_like_a_variant_is_refused():
    """'generated-<name>' must say which it is: the check refuses a clash (the schema's enums
    keep the shipped names apart; a researcher could widen them)."""
    from weightmem.methods import hyperrep

    hr = {"zoo": {"checkpoints_per_run": 1, "epochs": 1, "shards": 1, "runs": 2,
                  "batch_size": 1},
          "generator": {"d_model": 8, "heads": 2},
          "sampling": {"samplers": ["study", "noise"]},
          "modeling_factors": {"noise": {"noise": 0.1}}, "dataset": "d"}
    config = {"hyperrep": hr, "data": {"d": {"source": "digits", "image_size": 28}}}
    problems = hyperrep.check(config, "hyperrep")
    assert any(p.startswith("hyperrep.sampling.samplers: ['noise'] also name") for p in problems)
    with pytest.raises(ValueError, match="neither a sampler .* or both"):
        hyperrep.sample_plan("generated-noise", hr)
    hr["sampling"]["samplers"] = ["study", "independent"]
    assert hyperrep.sample_plan("generated", hr) == ("default", "study")
    assert hyperrep.sample_plan("generated-independent", hr) == ("default", "independent")
    assert hyperrep.sample_plan("generated-noise", hr) == ("noise", "study")
    assert hyperrep.reference_suffix("generated-noise") == "-noise"
    assert hyperrep.reference_suffix("generated-independent") == ""
    assert hyperrep.reference_suffix("generated") == ""


def test_permutation_overlay_merges(root, schema, cfg):
    from snakemake.utils import update_config
    from weightmem.methods.hyperdiffusion import permutation_variants

    assert validate(copy.deepcopy(cfg), schema)["hyperdiffusion"]["permutation_augmentation"] == []
    merged = copy.deepcopy(cfg)
    update_config(merged, yaml.safe_load((root / "config" / "hd-permutation.yaml").read_text()))
    hd = validate(merged, schema)["hyperdiffusion"]
    assert permutation_variants(hd) == {"default": 0, "perm1": 1, "perm3": 3, "perm7": 7}


def test_run_factors_lets_an_overlay_shrink_the_variants(root, schema, cfg, every_factor):
    """Snakemake merges nested dicts, so an overlay cannot remove modeling_factors entries; the
    list gpt.run_factors (replaced as a whole) chooses which run. Absent = all, [] = none."""
    from snakemake.utils import update_config

    full = validate(copy.deepcopy(every_factor), schema)
    everything = full["gpt"]["modeling_factors"]
    assert len(everything) == 9
    assert len(full["hyperrep"]["modeling_factors"]) == 9
    assert len(full["hyperdiffusion"]["modeling_factors"]) == 9
    # make run trains three rows per method; config/factors-all.yaml all nine
    default = validate(copy.deepcopy(cfg), schema)
    all_nine = copy.deepcopy(cfg)
    update_config(all_nine, yaml.safe_load((root / "config" / "factors-all.yaml").read_text()))
    all_nine = validate(all_nine, schema)
    for m in ("gpt", "hyperrep", "hyperdiffusion"):
        assert list(default[m]["modeling_factors"]) == ["epochs50", "layer_down", "dropout20"]
        assert all_nine[m]["modeling_factors"] == full[m]["modeling_factors"]
    for chosen in (["noise", "epochs33"], []):
        merged = copy.deepcopy(cfg)
        update_config(merged, {"gpt": {"modeling_factors": {}, "run_factors": chosen}})
        got = validate(merged, schema)["gpt"]["modeling_factors"]
        assert list(got) == [k for k in everything if k in chosen]  # the definitions' order
        assert got == {k: everything[k] for k in chosen}
    tiny = copy.deepcopy(cfg)
    update_config(tiny, yaml.safe_load((root / "tests" / "config" / "tiny.yaml").read_text()))
    assert list(validate(tiny, schema)["gpt"]["modeling_factors"]) == ["epochs50", "dim_head_up"]


def test_the_schema_is_the_one_source_of_defaults(schema):
    """Every setting of a generator or field recipe is in the schema, required or with its
    default there; the dataclasses themselves hold no defaults."""
    import dataclasses

    import yaml

    from weightmem.methods.gpt.generator import GptConfig
    from weightmem.methods.hyperdiffusion.generator import HDConfig
    from weightmem.methods.hyperrep.generator import HyperRepConfig
    from weightmem.methods.pdiff.generator import PdiffConfig
    from weightmem.zoo.field import FieldRecipe

    tree = yaml.safe_load(Path(schema).read_text())["properties"]
    for cls, method, section in ((GptConfig, "gpt", "generator"), (PdiffConfig, "pdiff", "generator"),
                                 (HDConfig, "hyperdiffusion", "generator"),
                                 (HyperRepConfig, "hyperrep", "generator"),
                                 (FieldRecipe, "hyperdiffusion", "field")):
        node = tree[method]["properties"][section]
        for f in dataclasses.fields(cls):
            assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING, \
                (cls.__name__, f.name)
            prop = node["properties"].get(f.name)
            assert prop is not None, (method, section, f.name)
            assert f.name in node.get("required", []) or "default" in prop, (method, f.name)


def test_messages_name_the_key_and_the_reason(cfg, schema):
    bad = copy.deepcopy(cfg)
    bad["data"]["digits"]["test_fraction"] = 1.5
    bad["gpt"]["baselines"]["noise"] = [0.05, 0.05]
    bad["gpt"]["zoo"]["epocs"] = 3
    with pytest.raises(ConfigError) as err:
        validate(bad, schema)
    msg = str(err.value)
    assert "data.digits.test_fraction: 1.5 is not < 1" in msg
    assert "gpt.baselines.noise: [0.05, 0.05] has duplicate items (0.05)" in msg
    assert "gpt.zoo.epocs: not allowed here" in msg
    assert "Additional properties" not in msg


def test_load_validated_reads_the_embedded_default_with_schema_defaults(cfg, schema):
    from weightmem.config import load_validated

    assert load_validated() == validate(copy.deepcopy(cfg), schema)


def test_data_size_needs_a_method_that_runs_it(root, cfg, schema):
    """The data-size experiment belongs to the method declaring it (G.pt's experiments)."""
    bad = copy.deepcopy(cfg)
    bad["data_size"] = yaml.safe_load((root / "config" / "data-size.yaml").read_text())["data_size"]
    validate(copy.deepcopy(bad), schema)  # with G.pt: fine
    bad["methods"] = [m for m in bad["methods"] if m != "gpt"]
    del bad["gpt"]
    with pytest.raises(ConfigError, match="data_size: the data-size experiment retrains G.pt, but "
                                          "the config has no gpt: section"):
        validate(bad, schema)
