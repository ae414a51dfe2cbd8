# Shared evaluation: behaviour of a weight set (by the method's declared kind: classifier on a
# dataset, with an optional context; or neural field → mesh → point cloud), then per-model tables
# against the training set.


rule behaviour:
    input:
        unpack(behaviour_inputs),
    output:
        f"{R}/{{method}}/behaviour/{{set}}.safetensors",
    params:
        evaluation=lambda w: config[w.method].get("evaluation", {}),
        seed=seed("behaviour"),
    log:
        logs("{method}/behaviour/{set}"),
    benchmark:
        bench("{method}/behaviour/{set}")
    threads: 2
    resources:
        mem_mb=need("behaviour"),
        runtime=720,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/behaviour.py"


rule table:
    input:
        unpack(table_inputs),
    output:
        f"{R}/{{method}}/tables/{{set}}.csv",
    params:
        distance=lambda w: distance_of(w.method),
    log:
        logs("{method}/tables/{set}"),
    benchmark:
        bench("{method}/tables/{set}")
    threads: 2
    resources:
        mem_mb=need("table"),
        runtime=720,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/table.py"
