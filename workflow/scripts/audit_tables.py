"""Rule audit_tables: the audit's tables — training, generated, held-out, noise baselines — in one
pass (weightmem.evaluation.weightspace.tables: every weight file read once)."""
from pathlib import Path

from weightmem.evaluation import weightspace
from weightmem.io import write_csv
from weightmem.runtime import progress, script

ctx = script(snakemake, "audit.tables")  # noqa: F821
paths = {Path(p).stem: p for p in snakemake.input}  # noqa: F821
dfs = weightspace.tables(paths, paths["training"], progress=progress, log=ctx.log.info)
for out in snakemake.output:  # noqa: F821
    weightspace.log_table(ctx.log.info, Path(out).stem, dfs[Path(out).stem])
    write_csv(dfs[Path(out).stem], out)
