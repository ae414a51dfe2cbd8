"""The audit: a researcher's generator judged from its files (``weightmem audit``). Its first
stage makes the training (T), generated (G) and held-out (H) sets WeightSets (weightmem.audit:
linked in place or copied); the shared DAG makes the noise baselines, the per-model tables
(weight space only unless ``behaviour`` names a data set; by plain L2 all in one pass, rule
``audit_tables``), the figures and the report; ``audit_verdict`` decides with the Z_U
data-copying test (weightmem.evaluation.copying). Rules: rules/audit.smk."""
from weightmem.methods import Column, Method

SCHEMA = {
    "type": "object",
    "required": ["training", "generated"],
    "properties": {
        "training": {"type": "string", "minLength": 1,
                     "description": "T: folder of state dicts or one [N, D] safetensors file"},
        "generated": {"type": "string", "minLength": 1, "description": "G: the same kinds"},
        "heldout": {"type": ["string", "null"], "default": None,
                    "description": "H: real models of other runs than T (default: whole runs "
                                   "of T held out)"},
        "keys": {"type": ["string", "null"], "default": None,
                 "description": "comma-separated globs of parameter names to keep"},
        "behaviour": {"type": ["string", "null"], "default": None,
                      "description": "a data set (key of data:) to evaluate the models on as "
                                     "classifiers; null: weight space only"},
        "arch": {"type": ["string", "null"], "default": None,
                 "description": "with behaviour: the built-in network the models are (an "
                                "architecture tag, e.g. cnn:1x28x28-10-relu); one-hidden-layer "
                                "MLPs are recognised without it"},
        "model": {"type": ["string", "null"], "default": None,
                  "description": "with behaviour: the researcher's network as module:function "
                                 "(weightmem.nets.custom: fn(weights [B, D], layout, x) → "
                                 "logits [B, n, classes])"},
        "holdout_fraction": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1,
                             "default": 0.25,
                             "description": "without H: the fraction of T's runs held out"},
        "alpha": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5,
                  "default": 0.01},
        "material": {"type": "number", "minimum": 0.5, "maximum": 1, "default": 0.9,
                     "description": "the chance a generated model is closer to T than a "
                                    "held-out one from which the effect is material"},
        "min_models": {"type": "integer", "minimum": 2, "default": 8},
        "import": {"enum": ["link", "copy"], "default": "link",
                   "description": "link: folders of float32 .safetensors state dicts are read "
                                  "in place (nothing copied; the files must stay where they "
                                  "are, unchanged, until the audit is done); copy: every set "
                                  "copied into a WeightSet (always for .pt/.pth files, other "
                                  "dtypes and single-file sets)"},
    },
}


def _quality(kind: str) -> Column:
    if kind == "none":
        return Column("min_l2", "min L2 to training")
    return Column("accuracy", "test accuracy (%)")


def _novelty(kind: str) -> Column:
    if kind == "none":
        return Column("min_l2", "min L2 to training")
    return Column("max_similarity", "maximum similarity to training", "one_minus",
                  short="max similarity")


def declare(section: dict) -> Method:
    """Classifier behaviour only when the section names a data set, else weight space only."""
    kind = "classifier" if section.get("behaviour") else "none"
    return Method(name="audit", title="the audited generator", behaviour=kind,
                  quality=_quality(kind), novelty=_novelty(kind), distance="plain",
                  heldout="heldout", rules="rules/audit.smk",
                  stages="weightmem.methods.audit", analysis=lambda s: ["audit"], schema=SCHEMA)


METHOD = declare({})
