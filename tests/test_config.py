import copy

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


@pytest.mark.parametrize("path, value, message", [
    (("gpt", "zoo", "runs_train"), -1, "gpt.zoo.runs_train"),
    (("gpt", "zoo", "lr"), "fast", "gpt.zoo.lr"),
    (("device",), "tpu", "device"),
    (("methods",), ["gpt", "nope"], "methods.1"),
    (("gpt", "baselines", "noise"), [0.05], "gpt.baselines.noise"),
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
