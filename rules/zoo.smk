# Zoo stage, shared part: the image datasets the classifier zoos train on. Each method's zoo
# itself is one of its own stages (rules/<method>.smk).


rule dataset:
    output:
        f"{R}/data/{{dataset}}.npz",
    params:
        spec=lambda w: config["data"][w.dataset],
    log:
        logs("data/{dataset}"),
    benchmark:
        bench("data/{dataset}")
    resources:
        mem_mb=need("dataset"),
        runtime=30,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/dataset.py"
