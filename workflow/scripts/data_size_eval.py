"""Rule data_size_eval: one size's generated and held-out models (and its training models)
against that size's training set: min L2 and accuracy per model."""
import pandas as pd

from weightmem import datasize
from weightmem.data.images import load_npz
from weightmem.evaluation.classifier import behaviour
from weightmem.io import load_weightset, write_csv
from weightmem.runtime import script

ctx = script(snakemake, "data_size.eval")  # noqa: F821
i = snakemake.input  # noqa: F821
runs = pd.read_csv(i.runs).run.tolist()
sets = {"generated": load_weightset(i.generated), "heldout": load_weightset(i.heldout),
        "training": datasize.keep_runs(load_weightset(i.training), runs)}
data = load_npz(i.data)
beh = {k: behaviour(ws, data, ctx.device) for k, ws in sets.items()}
df = datasize.per_model(sets, beh, snakemake.params.distance)  # noqa: F821
for name, d in df.groupby("set", sort=False):
    ctx.log.info("%s: %d models, median min L2 %.4g, mean accuracy %.2f", name, len(d),
                 d.min_l2.median(), d.accuracy.mean())
write_csv(df, snakemake.output[0])  # noqa: F821
