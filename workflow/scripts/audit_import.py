"""Rule audit_import: the researcher's T, G and H files as WeightSets (weightmem.audit)."""
import json

from weightmem import audit
from weightmem.io import atomic_path
from weightmem.runtime import script

ctx = script(snakemake, "audit.import")  # noqa: F821
out = snakemake.output  # noqa: F821
info = audit.import_sets(snakemake.params.section,  # noqa: F821
                         {r: out[r] for r in ("training", "generated", "heldout")}, ctx.seed,
                         log=ctx.log.info)
for role, s in info["sets"].items():
    ctx.log.info("%s: %d models of %d parameters, %d runs, non-finite rows %s", role, s["models"],
                 info["parameters"], s["runs"],
                 "found by the tables (linked)" if s["non_finite"] is None
                 else s["non_finite"] or "none")
with atomic_path(out.inputs, suffix=".json") as tmp:
    tmp.write_text(json.dumps(info, indent=1))
