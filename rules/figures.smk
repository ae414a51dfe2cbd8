# The study's four per-method figures and their four-panel versions over the listed methods;
# they read tables and weights and never retrain anything.


rule figure_heatmap:
    input:
        generated=f"{R}/{{method}}/weights/generated.safetensors",
        training=f"{R}/{{method}}/weights/training.safetensors",
    output:
        report(f"{R}/figures/{{method}}/heatmap.png", category="{method}",
               caption="../report/heatmap.rst"),
    params:
        distance=lambda w: distance_of(w.method),
        seed=lambda w: config[w.method]["figures"]["seed"],
    log:
        logs("{method}/figures/heatmap"),
    benchmark:
        bench("{method}/figures/heatmap")
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
        report(f"{R}/figures/{{method}}/min_distance_to_training.png", category="{method}",
               caption="../report/min_distance_to_training.rst"),
    params:
        distance=lambda w: distance_of(w.method),
    log:
        logs("{method}/figures/min_distance_to_training"),
    benchmark:
        bench("{method}/figures/min_distance_to_training")
    resources:
        mem_mb=need("figure_min_distance"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_min_distance.py"


rule figure_model_outputs:
    input:
        unpack(model_figure_inputs),
    output:
        report(f"{R}/figures/{{method}}/{{panel}}.png", category="{method}",
               caption="../report/model_outputs.rst"),
    wildcard_constraints:
        panel="decision_boundary|render_shapes",
    params:
        figures=lambda w: config[w.method]["figures"],
        evaluation=lambda w: config[w.method].get("evaluation", {}),
    log:
        logs("{method}/figures/{panel}"),
    benchmark:
        bench("{method}/figures/{panel}")
    resources:
        mem_mb=need("figure_model_outputs"),
        runtime=60,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_model_outputs.py"


rule figure_performance_vs_novelty:
    input:
        training=f"{R}/{{method}}/tables/training.csv",
        generated=f"{R}/{{method}}/tables/generated.csv",
        noise=lambda w: expand(f"{R}/{w.method}/tables/{{s}}.csv", s=noise_sets(w.method)),
    output:
        report(f"{R}/figures/{{method}}/performance_vs_novelty.png", category="{method}",
               caption="../report/performance_vs_novelty.rst"),
    params:
        noise_sets=lambda w: noise_sets(w.method),
        seed=lambda w: config[w.method]["figures"]["seed"],
    log:
        logs("{method}/figures/performance_vs_novelty"),
    benchmark:
        bench("{method}/figures/performance_vs_novelty")
    resources:
        mem_mb=need("figure_performance_vs_novelty"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_performance_vs_novelty.py"


# The study's four-panel figures (docs/study.md outputs 1-4, "each also as a 4-panel study
# figure"): one panel per listed method, read from the declarations. Histograms and scatters are
# drawn again from the per-method tables; heatmaps and model outputs place the per-method PNGs.
rule study_figure_composed:
    input:
        panels=lambda w: [f"{R}/figures/{m}/{study_panel(m, w.figure)}.png"
                          for m in study_methods(w.figure)],
    output:
        report(f"{R}/figures/{{figure}}.png", category="study",
               caption="../report/study_figure.rst"),
    wildcard_constraints:
        figure="heatmap|model_outputs",
    params:
        kind="composed",
        methods=lambda w: study_methods(w.figure),
        title=lambda w: {
            "heatmap": "Weights of generated models (red frame) above their nearest training "
            "models",
            "model_outputs": "What generated models do beside their nearest training model",
        }[w.figure],
    log:
        logs("figures/{figure}"),
    benchmark:
        bench("figures/{figure}")
    resources:
        mem_mb=need("study_figure_composed"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_study.py"


rule study_figure_min_distance:
    input:
        training=[f"{R}/{m}/tables/training.csv" for m in study_methods("min_distance_to_training")],
        generated=[f"{R}/{m}/tables/generated.csv" for m in study_methods("min_distance_to_training")],
    output:
        report(f"{R}/figures/min_distance_to_training.png", category="study",
               caption="../report/study_figure.rst"),
    params:
        kind="min_distance",
        methods=study_methods("min_distance_to_training"),
        distances={m: distance_of(m) for m in study_methods("min_distance_to_training")},
        title="Distance to the nearest training model: training among themselves vs generated",
    log:
        logs("figures/min_distance_to_training"),
    benchmark:
        bench("figures/min_distance_to_training")
    resources:
        mem_mb=need("study_figure_min_distance"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_study.py"


rule study_figure_performance_vs_novelty:
    input:
        tables=[
            f"{R}/{m}/tables/{s}.csv"
            for m in study_methods("performance_vs_novelty")
            for s in ["training", "generated", *noise_sets(m)]
        ],
    output:
        report(f"{R}/figures/performance_vs_novelty.png", category="study",
               caption="../report/study_figure.rst"),
    params:
        kind="performance_vs_novelty",
        methods=study_methods("performance_vs_novelty"),
        sets={m: ["training", "generated", *noise_sets(m)] for m in study_methods("performance_vs_novelty")},
        seeds={m: config[m]["figures"]["seed"] for m in study_methods("performance_vs_novelty")},
        title="Performance against novelty: training, generated and noise-baseline models",
    log:
        logs("figures/performance_vs_novelty"),
    benchmark:
        bench("figures/performance_vs_novelty")
    resources:
        mem_mb=need("study_figure_performance_vs_novelty"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_study.py"
