"""Findings F1-F5 decided from tables (weightmem.report)."""
import pandas as pd

from weightmem import methods, report


def _t(acc, sim, l2, **extra):
    n = len(acc)
    return pd.DataFrame({"accuracy": acc, "max_similarity": sim, "min_l2": l2,
                         "diverged": [False] * n, **extra})


def _sets(gen_l2, gen_acc, gen_sim, n=10):
    """n generated models (the values repeated) and n held-out ones at distance ~9-10 with
    similarity ~0.75 (new models of other runs)."""
    k = n // len(gen_l2)
    return {"training": _t([95, 96], [0.7, 0.8], [9.0, 10.0]),
            "generated": _t(gen_acc * k, gen_sim * k, gen_l2 * k),
            "heldout": _t([95] * n, [0.7 + 0.01 * i for i in range(n)],
                          [9.0 + 0.1 * i for i in range(n)]),
            "noise0.05": _t([94, 94], [0.9, 0.9], [1.0, 1.0]),
            "noise0.1": _t([90, 90], [0.6, 0.6], [2.0, 2.0])}


def by_finding(rows):
    return {r["finding"]: r for r in rows}


def test_a_copying_generator_satisfies_f1_f3_f4():
    f = by_finding(report.findings(methods.get("gpt"), _sets([1.0, 2.0], [95, 95], [0.99, 0.97]),
                                   ["noise0.05", "noise0.1"]))
    assert f["F1"]["holds"] and f["F3"]["holds"] and f["F4"]["holds"]
    assert f["F1"]["verdict"] == "copies" and f["F1"]["z_u"] < -3
    assert "ratio 0.16" in f["F1"]["evidence"]  # the study's comparison stays in the evidence


def test_too_few_or_no_heldout_models_is_inconclusive():
    sets = _sets([1.0, 2.0], [95, 95], [0.99, 0.97], n=4)
    f = by_finding(report.findings(methods.get("gpt"), sets, ["noise0.05"]))
    assert not f["F1"]["holds"] and f["F1"]["verdict"] == "inconclusive"
    assert "too few models" in f["F1"]["evidence"]
    del sets["heldout"]
    f = by_finding(report.findings(methods.get("gpt"), sets, ["noise0.05"]))
    assert f["F1"]["verdict"] == "inconclusive" and "no held-out" in f["F1"]["evidence"]


def test_closer_but_not_materially_is_inconclusive():
    # generated models a hair closer than the held-out ones (9.0-9.9): significant, not material
    sets = _sets([8.95 + 0.1 * i for i in range(40)], [95] * 40, [0.75] * 40, n=40)
    sets["heldout"]["min_l2"] = [9.0 + 0.1 * i for i in range(40)]
    f = by_finding(report.findings(methods.get("gpt"), sets, ["noise0.05"]))
    assert f["F1"]["verdict"] != "copies" and not f["F1"]["holds"]


def test_a_novel_good_generator_fails_them():
    f = by_finding(report.findings(methods.get("gpt"), _sets([12.0, 13.0], [96, 96], [0.5, 0.5]),
                                   ["noise0.05", "noise0.1"]))
    assert not f["F1"]["holds"] and not f["F3"]["holds"]
    assert not f["F4"]["holds"] and "beaten (better on both): noise0.05, noise0.1" in f["F4"]["evidence"]


def test_diverged_models_are_left_out_of_the_means():
    sets = _sets([1.0, 2.0], [95, 95], [0.99, 0.97])
    sets["generated"].loc[1, ["diverged", "accuracy"]] = [True, 0.0]
    s = report.summary(methods.get("gpt"), sets).set_index("set")
    assert s.loc["generated", "quality"] == 95 and s.loc["generated", "excluded"] == 1


def test_f5_from_the_modeling_factors_table():
    fac = pd.DataFrame({"method": "gpt", "variant": ["training", "default", "wide"],
                        "accuracy": [96.0, 95.0, 60.0], "min_l2": [9.0, 5.0, 12.0]})
    sets = _sets([1.0, 2.0], [95, 95], [0.99, 0.97])
    f = by_finding(report.findings(methods.get("gpt"), sets, ["noise0.05"], fac))
    assert f["F5"]["holds"] and "novel and good: none" in f["F5"]["evidence"]
    fac.loc[2, "accuracy"] = 95.5  # now a variant is as good as training and as far away
    f = by_finding(report.findings(methods.get("gpt"), sets, ["noise0.05"], fac))
    assert not f["F5"]["holds"] and "novel and good: wide" in f["F5"]["evidence"]


def test_hyperdiffusion_uses_chamfer_for_quality_and_novelty():
    def t(test, train, l2):
        return pd.DataFrame({"min_cd_test": test, "min_cd_train": train, "min_l2": l2,
                             "empty": [False] * len(l2)})

    def run(gen_train_cd):
        sets = {"training": t([0.1, 0.1], [0.05, 0.05], [10.0, 10.0]),
                "generated": t([0.1, 0.1], [gen_train_cd] * 2, [3.0, 3.0]),
                "noise0.02": t([0.2, 0.2], [0.02, 0.02], [1.0, 1.0])}
        return by_finding(report.findings(methods.get("hyperdiffusion"), sets, ["noise0.02"]))

    f = run(0.01)  # as good as the noise baseline's shapes but no newer: a copier
    assert f["F4"]["holds"]
    # no held-out fields: the copying test cannot decide F1 / F3
    assert f["F1"]["verdict"] == f["F3"]["verdict"] == "inconclusive"
    f = run(0.5)  # better test Chamfer *and* farther from training shapes than the noise
    assert not f["F3"]["holds"] and not f["F4"]["holds"]
    assert "beaten (better on both): noise0.02" in f["F4"]["evidence"]


def test_report_page_heads_with_the_audit_verdict_and_captions_figures_with_z_u():
    sets = _sets([1.0, 2.0], [95, 95], [0.99, 0.97])
    found = pd.DataFrame(report.findings(methods.get("gpt"), sets, ["noise0.05", "noise0.1"]))
    figs = ["figures/gpt/min_distance_to_training.png", "figures/gpt/performance_vs_novelty.png",
            "figures/min_distance_to_training.png", "figures/gpt/interpolation.png"]
    verdict = {"verdict": "copies", "z_u": -4.16, "p_value": 1.6e-5, "alpha": 0.01,
               "closer_chance": 1.0, "material": 0.9, "n_training": 24, "n_generated": 12,
               "n_heldout": 12, "heldout_source": "no held-out set given: 2 of 8 runs of the "
               "training set held out", "reason": "significantly and materially closer",
               "distance": "matched", "parameters": 670, "arch": "custom",
               "distance_note": "upper bound (weight matching, Git Re-Basin) over the hidden "
                                "permutations of a MLP 20-16-12-10"}
    page = report.html_page(found, pd.DataFrame({"a": [1]}), figs, {}, verdict=verdict)
    head = page[:page.index("<h2>Findings")]
    for text in ("Audit verdict: copies", "-4.16", "1.6e-05", "24 / 12 / 12", "0.01",
                 "runs of the training set held out (no real H given)",
                 "matched L2 over 670 parameters (architecture custom): upper bound (weight "
                 "matching"):
        assert text in head, text
    caps = {f: report.figure_caption(f, found) for f in figs}
    z1 = f"{found.set_index('finding').loc['F1', 'z_u']:.2f}"
    assert caps[figs[0]].startswith("F1 gpt: copies") and z1 in caps[figs[0]]
    assert caps[figs[1]].startswith("F3 gpt: copies")
    assert caps[figs[2]].startswith("F1 gpt") and caps[figs[3]] == ""
    assert page.count("<figcaption>") == 3 and page.count("<img") == 4
    assert "Audit verdict" not in report.html_page(found, pd.DataFrame({"a": [1]}), figs, {})


def test_behaviour_sets_for_the_verdict():
    sets, beaten = report.behaviour_sets(methods.get("gpt"),
                                         _sets([1.0, 2.0], [96, 96], [0.5, 0.5]))
    assert sets["generated"]["accuracy"] == 96 and sets["generated"]["max_similarity"] == 0.5
    assert beaten == ["noise0.05", "noise0.1"]  # as good and newer than both
