rule dataset:
    output:
        f"{R}/data/{{dataset}}.npz",
    params:
        spec=lambda w: config["data"][w.dataset],
    log:
        f"{R}/logs/data/{{dataset}}.log",
    benchmark:
        f"{R}/benchmarks/data/{{dataset}}.tsv"
    resources:
        mem_mb=need("dataset"),
        runtime=30,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/dataset.py"
