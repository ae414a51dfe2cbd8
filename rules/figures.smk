# One rule per figure family; figures read small tables and weights, never retrain anything.


rule figure_heatmap:
    input:
        generated=f"{R}/{{method}}/weights/generated.safetensors",
        training=f"{R}/{{method}}/weights/training.safetensors",
    output:
        report(f"{R}/figures/{{method}}/heatmap.png", category="{method}"),
    params:
        distance=lambda w: config[w.method]["distance"],
        seed=lambda w: config[w.method]["figures"]["seed"],
    log:
        f"{R}/logs/{{method}}/figures/heatmap.log",
    resources:
        mem_mb=need("figure_heatmap"),
        runtime=20,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_heatmap.py"


rule figure_min_distance:
    input:
        training=f"{R}/{{method}}/tables/training.csv",
        generated=f"{R}/{{method}}/tables/generated.csv",
    output:
        report(f"{R}/figures/{{method}}/min_distance_to_training.png", category="{method}"),
    params:
        distance=lambda w: config[w.method]["distance"],
    log:
        f"{R}/logs/{{method}}/figures/min_distance_to_training.log",
    resources:
        mem_mb=need("figure_min_distance"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_min_distance.py"


rule figure_decision_boundary:
    input:
        generated=f"{R}/{{method}}/weights/generated.safetensors",
        training=f"{R}/{{method}}/weights/training.safetensors",
        table=f"{R}/{{method}}/tables/generated.csv",
        data=lambda w: dataset_of(w.method),
    output:
        report(f"{R}/figures/{{method}}/decision_boundary.png", category="{method}"),
    params:
        res=lambda w: config[w.method]["figures"]["grid_resolution"],
    log:
        f"{R}/logs/{{method}}/figures/decision_boundary.log",
    resources:
        mem_mb=need("figure_decision_boundary"),
        runtime=30,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_decision_boundary.py"


rule figure_performance_vs_novelty:
    input:
        training=f"{R}/{{method}}/tables/training.csv",
        generated=f"{R}/{{method}}/tables/generated.csv",
        noise=lambda w: expand(f"{R}/{w.method}/tables/{{s}}.csv", s=noise_sets(w.method)),
    output:
        report(f"{R}/figures/{{method}}/performance_vs_novelty.png", category="{method}"),
    params:
        noise_sets=lambda w: noise_sets(w.method),
        seed=lambda w: config[w.method]["figures"]["seed"],
    log:
        f"{R}/logs/{{method}}/figures/performance_vs_novelty.log",
    resources:
        mem_mb=need("figure_performance_vs_novelty"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_performance_vs_novelty.py"
