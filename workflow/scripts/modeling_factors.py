"""Rule modeling_factors: one row per generator variant (docs/study.md output 8); each method's
performance column and min-L2 reference come from its declaration (weightmem.methods.Method)."""
import pandas as pd

from weightmem import methods
from weightmem.factors import count_state, summarise
from weightmem.io import load_state, write_csv
from weightmem.runtime import script

ctx = script(snakemake, "modeling_factors")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
tables = dict(zip(map(tuple, p.rows), i.tables))
models = dict(zip(map(tuple, p.rows), i.models))
set_tables = dict(zip(map(tuple, p.set_rows), i.sets))
parts = []
for method, training in zip(p.methods, i.training):
    decl = methods.get(method, snakemake.config)  # noqa: F821
    variants = [v for m, v in p.rows if m == method]
    sets = {v: pd.read_csv(f).iloc[0].to_dict() for (m, v), f in set_tables.items() if m == method}
    part = summarise(method, pd.read_csv(training),
                     {v: pd.read_csv(tables[method, v]) for v in variants},
                     {v: count_state(load_state(models[method, v])[0]) for v in variants},
                     decl.factor_performance, sets or None,
                     histogram_reference=bool(decl.histogram_reference))
    perf = decl.factor_performance.name
    for r in part.to_dict("records"):
        ctx.log.info("%s %-22s params %s %s %.4g min-L2 %.3f", method, r["setting"],
                     r["params"], perf, r[perf], r["min_l2"])
    parts.append(part)
df = pd.concat(parts, ignore_index=True)
write_csv(df, snakemake.output[0])  # noqa: F821
