"""Rule hd_summary: per set MMD / coverage to the training shapes, empties, mean min-L2 (the
HyperDiffusion columns of the modeling-factor table); "training" = reconstructed training fields."""
import pandas as pd

from weightmem.io import load_weightset, write_csv
from weightmem.evaluation import fields as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.summary")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
train_ref = hd.load_clouds(i.train_ref)["clouds"]
rows = [hd.summary_row(s, load_weightset(w), hd.load_clouds(c), train_ref, pd.read_csv(t))
        for s, w, c, t in zip(p.sets, i.weights, i.clouds, i.tables)]
df = pd.DataFrame(rows)
ctx.log.info("\n%s", df.to_string(index=False))
write_csv(df, snakemake.output[0])  # noqa: F821
