"""The paper's numbers beside this run's (weightmem.paper), the report's paper section, and the
study/invariance figures drawn from synthetic tables."""
import numpy as np
import pandas as pd
import pytest
import yaml

from weightmem import methods, paper, report

SETS = ["training", "generated"]


@pytest.fixture
def doc(root):
    return paper.load(root / "config" / "paper_numbers.yaml")


def _sets(train_l2, gen_l2, method="hyperdiffusion"):
    return pd.DataFrame({"method": method, "set": SETS, "mean_min_l2": [train_l2, gen_l2]})


def test_shipped_numbers_load_and_name_known_quantities(doc):
    names = set(doc["quantities"])
    for m, tables in doc.items():
        if m == "quantities":
            continue
        assert m in methods.BUILTIN
        for t in tables.values():
            assert t["compare_to"] in paper.KEYS
            assert {q for vals in t["rows"].values() for q in vals} <= names
    # the numbers the issue names
    assert paper.row_values(doc, "hyperdiffusion", "distance") == {
        "training": {"mean_min_l2": 109.5}, "generated": {"mean_min_l2": 7.03}}
    inv = paper.row_values(doc, "hyperrep", "invariance")
    assert inv["scaled"] == {"abs_accuracy_difference": 5.82, "one_minus_similarity": 0.81}
    assert paper.row_values(doc, "gpt", "modeling_factors")["layer_down"]["accuracy"] == 86.6


@pytest.mark.parametrize("change, message", [
    (lambda d: d["gpt"]["distance"].update(compare_to="nope"), "gpt.distance.compare_to"),
    (lambda d: d["gpt"]["distance"].update(reference="nope"), "gpt.distance.reference"),
    (lambda d: d["pdiff"]["distance"]["rows"]["training"].update(mean_min_l2=[3, 1]),
     "pdiff.distance.rows.training.mean_min_l2"),
    (lambda d: d["gpt"]["distance"]["rows"]["training"].update(mean_min_l2="big"),
     "gpt.distance.rows.training.mean_min_l2"),
])
def test_bad_numbers_name_the_key(root, tmp_path, change, message):
    d = yaml.safe_load((root / "config" / "paper_numbers.yaml").read_text())
    change(d)
    bad = tmp_path / "p.yaml"
    bad.write_text(yaml.safe_dump(d))
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        paper.load(bad)


def test_values_ranges_and_missing():
    assert paper.value([0.2, 0.6]) == pytest.approx(0.4) and paper.shown([0.2, 0.6]) == "≈0.2–0.6"
    assert np.isnan(paper.value(None)) and paper.shown(None) == "not stated"
    assert paper.value(109.5) == 109.5 and paper.shown(109.5) == "109.5"


def test_distance_direction_is_computed_both_ways(doc):
    # generated far closer to training than training models to each other: the paper's direction
    same = paper.compare(doc, {"sets": _sets(12.0, 3.0)}, ["hyperdiffusion"], "embedded")
    d = same[same.table == "distance"]
    assert d.set_index("row").loc["generated", ["paper_direction", "run_direction"]].tolist() == [
        "<", "<"]
    assert (d.reproduced == "yes").all() and "reproduced — 1 of 1" in d.verdict.iloc[0]
    assert "paper 7.03 vs 109.5; this run 3 vs 12" in d.verdict.iloc[0]
    assert (d.scale == "embedded").all()
    flipped = paper.compare(doc, {"sets": _sets(3.0, 12.0)}, ["hyperdiffusion"], "embedded")
    d = flipped[flipped.table == "distance"]
    assert (d.reproduced == "no").all() and "not reproduced" in d.verdict.iloc[0]
    assert not d.set_index("row").loc["generated", "agrees"]
    # the reference row itself carries no direction
    assert pd.isna(d.set_index("row").loc["training", "agrees"])


def test_pdiff_direction_comes_from_its_ranges(doc):
    # the paper's P-diff samples are farther from the checkpoints (≈4.8–6.2 vs ≈0.2–0.6)
    out = paper.compare(doc, {"sets": _sets(0.5, 3.0, "pdiff")}, ["pdiff"], "embedded")
    d = out[out.table == "distance"].set_index("row")
    assert d.loc["generated", "paper_direction"] == ">" and d.loc["generated", "agrees"]
    assert d.loc["generated", "paper"] == "≈4.8–6.2"
    # its behaviour table needs accuracy and max_similarity, which these sets lack
    b = out[out.table == "behaviour"]
    assert (b.reproduced == "not computed").all() and b.run.isna().all()


def test_modeling_factors_partly_reproduced_and_missing_columns(doc):
    fac = pd.DataFrame({"method": "gpt",
                        "variant": ["training", "default", "layer_down", "dim_head_up"],
                        "accuracy": [90.0, 89.0, 91.0, 80.0],
                        "min_l2": [3.0, 2.0, 1.0, 2.5], "params": [None, 1e5, 5e4, 2e5]})
    out = paper.compare(doc, {"modeling_factors": fac}, ["gpt"], "embedded")
    f = out[out.table == "modeling_factors"]
    rows = f.set_index(["row", "quantity"])
    # paper −layer: accuracy 86.6 < 94.4 and min L2 3.70 > 3.64; this run: 91 > 90 and 1 < 3
    assert not rows.loc[("layer_down", "accuracy"), "agrees"]
    assert not rows.loc[("layer_down", "min_l2"), "agrees"]
    assert rows.loc[("default", "min_l2"), "agrees"] and rows.loc[("dim_head_up", "accuracy"), "agrees"]
    # variants this run did not train are not computed; params have no training value: no direction
    assert pd.isna(rows.loc[("noise", "min_l2"), "run"]) and pd.isna(rows.loc[("noise", "min_l2"), "agrees"])
    assert rows.loc[("default", "params"), "paper_direction"] == ""
    assert (f.reproduced == "partly").all()
    v = f.verdict.iloc[0]
    assert "4 of 6 comparisons with training agree" in v and "disagreeing: layer_down" in v
    assert "14 not computed in this run" in v
    # the report's side-by-side table: one line per variant, paper beside run per quantity
    wide = report._side_by_side(f).set_index("row")
    assert wide.loc["layer_down", "accuracy: paper"] == "86.6"
    assert wide.loc["layer_down", "accuracy: this run"] == "91"
    assert wide.loc["layer_down", "min_l2: vs reference (paper / run)"] == "> / <"
    assert wide.loc["noise", "min_l2: this run"] == "not computed"
    assert wide.loc["noise", "min_l2: vs reference (paper / run)"] == "< / –"
    assert "params: vs reference (paper / run)" not in wide  # counts carry no direction
    # another method's rows are never read; no table at all → not computed
    hd = paper.compare(doc, {"modeling_factors": fac}, ["hyperdiffusion"], "embedded")
    assert (hd[hd.table == "modeling_factors"].reproduced == "not computed").all()


def test_invariance_rows_and_directions(doc):
    inv = pd.DataFrame({"transform": ["original", "permuted", "scaled"], "models": 8,
                        "abs_accuracy_difference": [10.0, 4.0, 3.0],
                        "one_minus_similarity": [0.5, 0.3, 0.9]})
    out = paper.compare(doc, {"invariance": inv}, ["hyperrep"], "paper")
    f = out[out.table == "invariance"]
    assert len(f) == 6 and (f.reproduced == "yes").all()
    assert "4 of 4 comparisons with original agree" in f.verdict.iloc[0]
    lines = paper.directions(out)
    assert list(lines.table) == ["distance", "modeling_factors", "invariance"]
    # methods not in the run are left out
    assert set(out.method) == {"hyperrep"}


def test_set_means_follow_the_histogram_reference():
    t = pd.DataFrame({"model": [0, 1, 2, 3], "accuracy": [50.0, 60.0, 70.0, 0.0],
                      "diverged": [False, False, False, True],
                      "max_similarity": [0.9, 0.8, 0.7, 0.0], "min_l2": [1.0, 2.0, 3.0, 9.0],
                      "min_l2_reference": [10.0, 20.0, 40.0, 99.0],
                      "in_reference": [True, False, True, True]})
    m = report.set_means(methods.get("hyperrep"), {"training": t, "generated": t}).set_index("set")
    assert m.loc["training", "accuracy"] == 60.0  # the diverged model is left out
    assert m.loc["training", "mean_min_l2"] == 25.0  # only the histogram's models, its distance
    assert m.loc["generated", "mean_min_l2"] == pytest.approx(70 / 3)
    assert "model" not in m


def test_report_page_has_the_paper_section(doc):
    out = paper.compare(doc, {"sets": _sets(12.0, 3.0)}, ["hyperdiffusion"], "embedded")
    f = pd.DataFrame([{"finding": "F1", "method": "hyperdiffusion", "holds": True, "claim": "c",
                       "evidence": "e"}])
    cfg = {"scale": "embedded", "methods": ["gpt"], "gpt": {"dataset": "digits"},
           "data": {"digits": {"source": "digits"}}}
    line = paper.scale_line(cfg)
    assert line.startswith("Scale of this run: embedded") and "image data: digits" in line
    page = report.html_page(f, pd.DataFrame({"a": [1]}), [], {}, out, line)
    assert "The paper beside this run" in page and "Scale of this run: embedded" in page
    assert "hyperdiffusion distance: direction of the paper&#x27;s result reproduced" in page
    assert "109.5" in page
    assert "paper (the study" in paper.scale_line({**cfg, "scale": "paper"})
    # without comparison the page still renders
    assert "No paper numbers" in report.html_page(f, pd.DataFrame({"a": [1]}), [], {})


def test_hyperrep_declares_the_invariance_figure_only_with_its_section():
    d = methods.get("hyperrep")
    assert "invariance" in d.figures_for({"invariance": {"models": 8}})
    assert "invariance" not in d.figures_for({})
    assert methods.get("gpt").figures_for({}) == methods.get("gpt").figures


def test_invariance_bars_draw_run_beside_paper(doc):
    from weightmem.figures import study

    inv = pd.DataFrame({"transform": ["original", "permuted", "scaled"], "models": 8,
                        "abs_accuracy_difference": [10.0, 4.0, 3.0],
                        "one_minus_similarity": [0.5, 0.3, 0.9]})
    fig = study.invariance_bars(inv, paper.row_values(doc, "hyperrep", "invariance"), "t")
    axes = [a for a in fig.axes if a.patches]
    assert len(axes) == 2
    heights = [round(p.get_height(), 2) for p in axes[0].patches]
    assert heights == [10.0, 4.0, 3.0, 12.72, 6.01, 5.82]  # this run's bars, then the paper's
    assert [t.get_text().split("\n")[0] for t in axes[1].get_xticklabels()] == [
        "original", "permuted", "scaled"]


def test_composed_panels_keep_every_image():
    from weightmem.figures import study

    imgs = [np.random.default_rng(i).random((30 + 10 * i, 40, 3)) for i in range(5)]
    fig = study.composed(imgs, list("ABCDE"), "title")
    shown = [a for a in fig.axes if a.images]
    assert len(shown) == 5 and shown[4].get_title(loc="left") == "(e) E"
    assert len(fig.axes) == 8  # two rows of four; the three spare cells switched off
    assert sum(a.axison for a in fig.axes) == 0

