"""Rule report: findings F1-F5 from the tables, a per-set summary, the paper's numbers beside this
run's (tables/paper_comparison.csv) and results/report.html."""
import json
import os
from pathlib import Path

import pandas as pd

from weightmem import methods, paper, report
from weightmem.io import atomic_path, write_csv
from weightmem.runtime import script

ctx = script(snakemake, "report")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
results = Path(snakemake.output.page).parent  # noqa: F821  (report.html sits in the results dir)
extra = {Path(f).stem: pd.read_csv(f) for f in i.extra}
factors = extra.get("modeling_factors")
found, summ, means = [], [], []
for name, sets in p.sets.items():
    method = methods.get(name, snakemake.config)  # noqa: F821
    tables = {s: pd.read_csv(results / name / "tables" / f"{s}.csv") for s in sets}
    noise = [s for s in sets if s.startswith("noise")]
    found += report.findings(method, tables, noise, factors)
    summ.append(report.summary(method, tables))
    means.append(report.set_means(method, tables))
findings, summary = pd.DataFrame(found), pd.concat(summ, ignore_index=True)
for r in findings.itertuples():
    ctx.log.info("%s %-14s %s: %s", r.finding, r.method, "holds" if r.holds else "does not hold",
                 r.evidence)
write_csv(findings, snakemake.output.findings)  # noqa: F821
write_csv(summary, snakemake.output.summary)  # noqa: F821
config = snakemake.config  # noqa: F821
computed = {"sets": pd.concat(means, ignore_index=True), **extra}
comparison = paper.compare(paper.load(i.paper), computed, list(p.sets), p.scale)
for line in paper.directions(comparison).verdict:
    ctx.log.info("%s", line)
write_csv(comparison, snakemake.output.comparison)  # noqa: F821
figs = [os.path.relpath(f, results) for f in i.figures]
verdict = json.loads(Path(i.verdict[0]).read_text()) if len(i.verdict) else None  # an audit's
with atomic_path(snakemake.output.page, suffix=".html") as tmp:  # noqa: F821
    Path(tmp).write_text(report.html_page(findings, summary, figs, extra, comparison,
                                          paper.scale_line(config), verdict))
