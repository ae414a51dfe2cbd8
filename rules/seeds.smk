# The robustness check over seeds (config/seeds.yaml): `weightmem seeds` runs the whole DAG once
# per seed of `seeds:` into <results>/seed<N>; seeds_report then sets every seed's findings side
# by side (weightmem.seedreport) and says which hold in all of them.


localrules:
    seeds_report,


rule seeds_report:
    input:
        findings=lambda w: per_seed_tables("findings"),
        summary=lambda w: per_seed_tables("summary"),
    output:
        by_seed=f"{R}/tables/findings_by_seed.csv",
        across=f"{R}/tables/findings_across_seeds.csv",
        numbers=f"{R}/tables/numbers_by_seed.csv",
        page=f"{R}/seeds.html",
    params:
        seeds=lambda w: config.get("seeds") or [],
        folders=lambda w: [seed_results(s) for s in config.get("seeds") or []],
    log:
        logs("analysis/seeds_report"),
    benchmark:
        bench("analysis/seeds_report")
    resources:
        mem_mb=need("seeds_report"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/seeds_report.py"
