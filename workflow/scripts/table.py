"""Rule table: per-model metrics of one set against the training set."""
from weightmem.evaluate import load_behaviour, table
from weightmem.io import load_weightset, write_csv
from weightmem.runtime import script

ctx = script(snakemake, "table")  # noqa: F821
i = snakemake.input  # noqa: F821
name = snakemake.wildcards.set  # noqa: F821
ref = load_weightset(i.reference[0]) if len(i.reference) else None  # optional histogram reference
df = table(name, load_weightset(i.weights), load_behaviour(i.behaviour),
           load_weightset(i.train_weights), load_behaviour(i.train_behaviour),
           snakemake.params.distance, is_training=(name == "training"), reference=ref)  # noqa: F821
ctx.log.info("%s: mean accuracy %.2f, mean max-similarity %.3f, mean min-L2 %.4f", name,
             df.accuracy.mean(), df.max_similarity.mean(), df.min_l2.mean())
write_csv(df, snakemake.output[0])  # noqa: F821
