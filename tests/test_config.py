import copy
from pathlib import Path

import pytest
import yaml

from weightmem.config import ConfigError, validate


@pytest.fixture
def cfg(root):
    return yaml.safe_load((root / "config" / "config.yaml").read_text())


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


def test_cross_field_checks(cfg, schema):
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


def test_run_factors_lets_an_overlay_shrink_the_variants(root, schema, cfg):
    """Snakemake merges nested dicts, so an overlay cannot remove modeling_factors entries; the
    list gpt.run_factors (replaced as a whole) chooses which run. Absent = all, [] = none."""
    from snakemake.utils import update_config

    everything = validate(copy.deepcopy(cfg), schema)["gpt"]["modeling_factors"]
    assert len(everything) == 9
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
