"""One table of seed offsets: every stage's seed is the config's ``seed`` plus its offset, so one
number reproduces a run and no two stages share a random stream by accident. The values are the
offsets the stages have always used (changing one changes that stage's results).

A zoo's seed is the first of a range, one seed per run (G.pt run r: seed + r; Hyper-Rep:
seed + 1000 + r). For those stages the config seed moves the range by ``RUN_STRIDE``, not by 1:
with + 1, config seeds 0 and 1 trained mostly the same runs (measured on the embedded G.pt zoo:
135 of seed 1's 256 training models identical to seed 0's, and one of seed 0's held-out runs among
seed 1's training runs), so `weightmem seeds` did not repeat the study on new zoos. Seed 0 is
unchanged."""
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


PER_RUN = {"gpt.zoo", "hyperrep.zoo"}  # stages whose seed starts a range of per-run seeds
RUN_STRIDE = 1_000_000  # > any zoo's runs (the paper's G.pt zoo: 10,728; Hyper-Rep: 1000 + runs)


def seed_for(base: int, stage: str) -> int:
    """The seed of ``stage`` for the config seed ``base``: base + offset, or, for a zoo,
    base × RUN_STRIDE + offset (the runs of two config seeds never share a seed)."""
    if stage not in OFFSETS:
        raise KeyError(f"no seed offset for stage '{stage}' (weightmem.seeds.OFFSETS)")
    return int(base) * (RUN_STRIDE if stage in PER_RUN else 1) + OFFSETS[stage]
