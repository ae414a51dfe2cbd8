# Shared evaluation: behaviour on the test set, then per-model tables against the training set.


rule behaviour:
    input:
        weights=f"{R}/{{method}}/weights/{{set}}.safetensors",
        data=lambda w: dataset_of(w.method),
    output:
        f"{R}/{{method}}/behaviour/{{set}}.safetensors",
    log:
        f"{R}/logs/{{method}}/behaviour/{{set}}.log",
    benchmark:
        f"{R}/benchmarks/{{method}}/behaviour/{{set}}.tsv"
    threads: 2
    resources:
        mem_mb=need("behaviour"),
        runtime=120,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/behaviour.py"


rule table:
    input:
        weights=f"{R}/{{method}}/weights/{{set}}.safetensors",
        behaviour=f"{R}/{{method}}/behaviour/{{set}}.safetensors",
        train_weights=f"{R}/{{method}}/weights/training.safetensors",
        train_behaviour=f"{R}/{{method}}/behaviour/training.safetensors",
        reference=lambda w: histogram_reference(w.method),
    output:
        f"{R}/{{method}}/tables/{{set}}.csv",
    params:
        distance=lambda w: config[w.method]["distance"],
    log:
        f"{R}/logs/{{method}}/tables/{{set}}.log",
    benchmark:
        f"{R}/benchmarks/{{method}}/tables/{{set}}.tsv"
    threads: 2
    resources:
        mem_mb=need("table"),
        runtime=240,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/table.py"
