"""Rule modeling_factors: one row per generator variant (docs/study.md output 8)."""
import pandas as pd

from weightmem.factors import count_state, summarise
from weightmem.io import load_state, write_csv
from weightmem.runtime import script

ctx = script(snakemake, "modeling_factors")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
tables = dict(zip(map(tuple, p.rows), i.tables))
models = dict(zip(map(tuple, p.rows), i.models))
parts = []
for method, training in zip(p.methods, i.training):
    variants = [v for m, v in p.rows if m == method]
    parts.append(summarise(method, pd.read_csv(training),
                           {v: pd.read_csv(tables[method, v]) for v in variants},
                           {v: count_state(load_state(models[method, v])[0]) for v in variants}))
df = pd.concat(parts, ignore_index=True)
for r in df.itertuples():
    ctx.log.info("%s %-22s params %s acc %.2f min-L2 %.3f", r.method, r.setting, r.params,
                 r.accuracy, r.min_l2)
write_csv(df, snakemake.output[0])  # noqa: F821
