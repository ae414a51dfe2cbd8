"""Rule audit_verdict: the Z_U data-copying test on the audit's tables → verdict.json."""
import json

import pandas as pd

from weightmem import methods
from weightmem.evaluation import copying
from weightmem.io import atomic_path, write_csv
from weightmem.runtime import script

ctx = script(snakemake, "audit.verdict")  # noqa: F821
i, s = snakemake.input, snakemake.params.section  # noqa: F821
method = methods.get("audit", snakemake.config)  # noqa: F821
tables = {k: pd.read_csv(i[k]) for k in ("training", "generated", "heldout")}
out, per = copying.audit(tables["training"], tables["generated"], tables["heldout"], s["alpha"],
                         s["material"], s["min_models"],
                         novelty=None if method.behaviour == "none" else method.novelty)
inputs = json.loads(open(i.inputs).read())
out.update({"heldout_source": inputs["heldout_source"], "parameters": inputs["parameters"],
            "arch": inputs["arch"], "distance": str(tables["generated"]["distance"].iloc[0]),
            "distance_note": inputs.get("distance_note"),
            "non_finite": copying.non_finite(inputs["sets"], tables)})
if method.behaviour != "none":  # accuracy and novelty per set; noise baselines beaten
    from pathlib import Path

    from weightmem.report import behaviour_sets

    out["sets"], out["beats_noise"] = behaviour_sets(
        method, {**tables, **{Path(f).stem: pd.read_csv(f) for f in i.noise}})
ctx.log.info("verdict %s: %s", out["verdict"], out["reason"])
write_csv(per, snakemake.output.table)  # noqa: F821
with atomic_path(snakemake.output.verdict, suffix=".json") as tmp:  # noqa: F821
    tmp.write_text(json.dumps(copying.json_safe(out), indent=1))
