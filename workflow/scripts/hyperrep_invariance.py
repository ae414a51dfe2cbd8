"""Rule hyperrep_invariance: do reconstructions respect the weights' symmetries? (study output 9)"""
import pandas as pd
import torch

from weightmem.data.images import load_npz
from weightmem.io import load_state, load_weightset, write_csv
from weightmem.methods.hyperrep import stages as hyperrep
from weightmem.runtime import script

ctx = script(snakemake, "hyperrep.invariance")  # noqa: F821
i, p = snakemake.input, snakemake.params.invariance  # noqa: F821
state, meta = load_state(i.model)
model = hyperrep.load_model(state, meta)
zoo = load_weightset(i.zoo, expect_arch=meta["arch"], require_finite=True)
data = load_npz(i.data)
rows, check = hyperrep.invariance(model, zoo, torch.from_numpy(data.x_test),
                                  torch.from_numpy(data.y_test), p["models"], ctx.seed,
                                  tuple(p["scale_range"]))
for name, d in check.items():  # the transforms themselves must not change what a model does
    ctx.log.info("%s: largest accuracy change on the raw weights %.2g%%", name, d)
    if d > 1e-3:
        raise RuntimeError(f"{name} transform changed a raw model's accuracy by {d}% — it is not "
                           f"function-preserving for {meta['arch']}")
df = pd.DataFrame(rows)
for r in df.itertuples():
    ctx.log.info("%-9s |acc diff| %.2f%%  1 - similarity %.3f", r.transform,
                 r.abs_accuracy_difference, r.one_minus_similarity)
write_csv(df, snakemake.output[0])  # noqa: F821
