"""One table of seed offsets: every stage's seed is the config's ``seed`` plus its offset, so one
number reproduces a run and no two stages share a random stream by accident. The values are the
offsets the stages have always used (changing one changes that stage's results)."""
from __future__ import annotations

OFFSETS = {
    # zoos and data
    "gpt.zoo": 0, "hyperrep.zoo": 0, "hyperdiffusion.shapes": 0, "hyperdiffusion.split": 0,
    "hyperdiffusion.occupancy": 0, "hyperdiffusion.field_init": 0,
    "hyperdiffusion.fields": 0,  # + 1000 × shard
    "pdiff.base": 400, "pdiff.collect": 40,
    # generators and samples
    "gpt.fit": 0, "gpt.sample": 1, "hyperrep.fit": 0, "hyperdiffusion.fit": 0,
    "hyperdiffusion.sample": 11, "pdiff.fit": 430, "pdiff.sample": 1,
    "hyperdiffusion.permutation": 51,  # the permuted copies of the permutation augmentation
    # baselines and evaluation
    "noise": 7, "average": 11, "gaussian": 12,
    "hyperdiffusion.reference_clouds": 21,  # training shapes; test shapes + 1
    "behaviour": 31,  # neural-field meshing and point sampling
    "analysis.invariance": 0,
    "audit": 41,  # whole runs of T held out when no H is given
    # experiments beyond the default (overlays)
    "gpt.data_size": 51,  # which training runs each size of the data-size experiment keeps
}


def seed_for(base: int, stage: str) -> int:
    """The seed of ``stage`` for the config seed ``base``."""
    if stage not in OFFSETS:
        raise KeyError(f"no seed offset for stage '{stage}' (weightmem.seeds.OFFSETS)")
    return int(base) + OFFSETS[stage]
