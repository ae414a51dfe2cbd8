"""Rule audit_tables: the audit's training, generated and held-out tables in one pass
(weightmem.evaluation.weightspace.tables: every weight file read once)."""
from weightmem.evaluation import weightspace
from weightmem.io import write_csv
from weightmem.runtime import progress, script

ctx = script(snakemake, "audit.tables")  # noqa: F821
i, out = snakemake.input, snakemake.output  # noqa: F821
dfs = weightspace.tables({r: i[r] for r in ("training", "generated", "heldout")}, i.training,
                         progress=progress, log=ctx.log.info)
for role, df in dfs.items():
    ctx.log.info("%s: %d models, median min L2 %.4g, %d non-finite", role, len(df),
                 df.min_l2[df.finite].median() if df.finite.any() else float("nan"),
                 int((~df.finite).sum()))
    write_csv(df, out[role])
