"""tlbench.report on a synthetic-but-valid study: 2 systems × 3 strategies × 2 fractions × 3 seeds, built as
CellResult records the way the runner writes them, with gains known by construction."""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tlbench.errors import ConfigError, TlbenchError
from tlbench.report import seed_table, terminal_tables, write_report
from tlbench.report.summary import latest_ok, split_studies, summarize
from tlbench.results import CellResult, ResultStore, encode_labels

SYSTEMS = ("glove-cnn", "tfidf-lr")
STRATEGIES = ("target-only", "embedding-transfer", "fine-tune")
FRACTIONS = (0.05, 1.0)
SEEDS = (0, 1, 2)
# (system, strategy, fraction) -> accuracy; embedding-transfer on glove-cnn helps at 5% and hurts at 100%.
ACCURACY = {
    ("glove-cnn", 0.05): 0.70, ("glove-cnn", 1.0): 0.84,
    ("tfidf-lr", 0.05): 0.74, ("tfidf-lr", 1.0): 0.88,
}
GAIN = {
    ("glove-cnn", "embedding-transfer", 0.05): 0.12, ("glove-cnn", "embedding-transfer", 1.0): -0.05,
    ("glove-cnn", "fine-tune", 0.05): 0.06, ("glove-cnn", "fine-tune", 1.0): 0.02,
    ("tfidf-lr", "embedding-transfer", 0.05): 0.0, ("tfidf-lr", "embedding-transfer", 1.0): 0.0,
    ("tfidf-lr", "fine-tune", 0.05): 0.03, ("tfidf-lr", "fine-tune", 1.0): -0.01,
}


def _flip(correct: np.ndarray, gain: float, rng: np.random.Generator) -> np.ndarray:
    """Turn ``|gain| * n`` wrong answers right (gain > 0) or right answers wrong (gain < 0)."""
    out = correct.copy()
    k = int(round(abs(gain) * out.size))
    pool = np.flatnonzero(~out if gain > 0 else out)
    out[rng.choice(pool, size=min(k, pool.size), replace=False)] = gain > 0
    return out


def make_results(n_test: int = 1200, seeds=SEEDS, digest: str = "d1gest",
                 overrides: dict | None = None) -> list[CellResult]:
    """Every ok cell of a 2 systems × 3 strategies × 2 fractions × len(seeds) study on one test set; ``overrides``:
    (system, strategy, fraction, seed) -> fields to replace in that cell."""
    overrides = overrides or {}
    y_true = np.arange(n_test) % 2
    out = []
    for system in SYSTEMS:
        for fraction in FRACTIONS:
            for seed in seeds:
                rng = np.random.default_rng([SYSTEMS.index(system), int(fraction * 100), seed])
                base = rng.random(n_test) < ACCURACY[(system, fraction)] + 0.01 * (seed - 1)
                for strategy in STRATEGIES:
                    correct = base if strategy == "target-only" else _flip(
                        base, GAIN[(system, strategy, fraction)], rng)
                    y_pred = np.where(correct, y_true, 1 - y_true)
                    record = dict(
                        key=f"{system}/{strategy}/{fraction}/{seed}", status="ok", system=system,
                        strategy=strategy, target="imdb", source="amazon",
                        fraction=fraction, seed=seed, system_config={"name": system},
                        strategy_config={"name": strategy}, n_train=int(25000 * fraction * 0.9),
                        n_valid=int(25000 * fraction * 0.1), n_test=n_test,
                        metrics={"accuracy": float(correct.mean()), "macro_f1": float(correct.mean()),
                                 "log_loss": 0.5},
                        label_names=["neg", "pos"], y_true=encode_labels(y_true), y_pred=encode_labels(y_pred),
                        cost={"train_seconds": (3.0 if system == "tfidf-lr" else 40.0) * (1 + 19 * fraction),
                              "source_seconds": 120.0 if strategy != "target-only" and seed == 0 else 0.0,
                              "predict_seconds": 1.0, "predict_examples_per_s": 2000.0, "peak_rss_mb": 900.0,
                              "peak_gpu_mb": 0.0},
                        device="cpu",
                        versions={"tlbench": "0.1.0", "python": "3.11.2", "platform": "Linux-x86_64",
                                  "plugins": {"tlbench-keras": "0.1.0"}},
                        corpora={"target": {"name": "imdb", "variant": "aclImdb", "fingerprint": "f00d",
                                            "sizes": {"train": 25000, "test": 25000}},
                                 "source": {"name": "amazon", "variant": "fasttext", "fingerprint": "beef",
                                            "sizes": {"train": 3600000, "test": 400000}}},
                        test_set={"name": "imdb", "variant": "aclImdb", "fingerprint": "f00d", "n": n_test,
                                  "digest": digest},
                        info={}, started_at="2026-11-22T10:00:00+00:00", finished_at="2026-11-22T11:00:00+00:00",
                        host="bench-1",
                    )
                    record.update(overrides.get((system, strategy, fraction, seed), {}))
                    out.append(CellResult(**record))
    return out


def _store(tmp_path: Path, results: list[CellResult]) -> Path:
    path = tmp_path / "study" / "results.jsonl"
    store = ResultStore(path)
    for r in results:
        store.append(r)
    return path


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> tuple[Path, list[Path]]:
    tmp = tmp_path_factory.mktemp("report")
    path = _store(tmp, make_results())
    return tmp / "out", write_report(path, tmp / "out", ["md", "html", "csv", "json"])


def _csv_rows(out: Path) -> dict[tuple[str, str, float], dict[str, str]]:
    with (out / "summary.csv").open(newline="", encoding="utf-8") as f:
        return {(r["system"], r["strategy"], float(r["fraction"])): r for r in csv.DictReader(f)}


def test_write_report_writes_every_format(report_dir):
    out, written = report_dir
    names = sorted(p.name for p in written)
    assert names == ["accuracy_vs_cost.png", "learning_curve.png", "report.html", "report.md", "summary.csv",
                     "summary.json"]
    assert all(p.parent == out and p.stat().st_size > 0 for p in written)
    for png in ("learning_curve.png", "accuracy_vs_cost.png"):
        width, height = _png_size((out / png).read_bytes())
        assert width > 400 and height > 250


def test_markdown_has_tables_plots_and_environment(report_dir):
    out, _ = report_dir
    md = (out / "report.md").read_text(encoding="utf-8")
    for heading in ("accuracy (%) on amazon → imdb", "transfer gain over target-only", "cost on amazon → imdb",
                    "## Protocol warnings", "## Environment", "## Method"):
        assert heading in md
    assert "](learning_curve.png)" in md and "](accuracy_vs_cost.png)" in md
    # Constructed: embedding-transfer on glove-cnn loses exactly 5 points at 100% -> flagged, crossover at 100%.
    assert re.search(r"\| glove-cnn \| embedding-transfer \| \+12\.0 \[[^]]+\] p<0\.001 \| ▼ -5\.0 ", md)
    assert "embedding-transfer on glove-cnn stops helping from 100%" in md
    assert "fine-tune on glove-cnn stops helping" not in md  # +6 then +2: helps throughout
    assert "tlbench-keras 0.1.0" in md and "3.11.2" in md and "fingerprint f00d" in md and "digest d1gest" in md


def test_verdict_at_the_top_and_in_summary_json(report_dir):
    out, _ = report_dir
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.index("## Verdict") < md.index("## Protocol warnings") < md.index("accuracy (%) on")
    assert "Pareto front" in md and 'id="verdict"' in (out / "report.html").read_text(encoding="utf-8")
    study = json.loads((out / "summary.json").read_text(encoding="utf-8"))["studies"][0]
    assert [v["fraction"] for v in study["verdict"]] == [0.05, 1.0]
    for v in study["verdict"]:
        assert {"fraction", "best", "equivalent", "recommended", "reason"} <= set(v)
        assert v["recommended"]["train_command"].startswith(f"tlbench train {v['recommended']['system']} ")
    # Constructed: at 5% glove-cnn embedding-transfer (70 + 12 points) is the best row, 5 points above the next.
    assert (study["verdict"][0]["best"]["system"], study["verdict"][0]["best"]["strategy"]) == \
        ("glove-cnn", "embedding-transfer")
    for row in study["rows"]:
        assert ("labels_equivalent" in row) == (row["strategy"] != "target-only")


def test_csv_matches_hand_computed_values(report_dir):
    out, _ = report_dir
    rows = _csv_rows(out)
    assert len(rows) == 2 * 3 * 2
    cells = [r for r in make_results() if (r.system, r.strategy, r.fraction) == ("tfidf-lr", "fine-tune", 0.05)]
    accuracies = [r.metrics["accuracy"] for r in cells]
    row = rows[("tfidf-lr", "fine-tune", 0.05)]
    assert float(row["accuracy_mean"]) == pytest.approx(np.mean(accuracies))
    assert float(row["accuracy_sd"]) == pytest.approx(np.std(accuracies, ddof=1))
    assert float(row["accuracy_ci_low"]) < float(row["accuracy_mean"]) < float(row["accuracy_ci_high"])
    assert row["n_seeds"] == "3" and row["seeds"] == "0 1 2"
    # 1200 examples: +3% is exactly 36 flipped answers per seed, all wins; the sign test counts each example
    # once, as a win when the strategy is right on more seeds than the baseline.
    assert float(row["gain_mean"]) == pytest.approx(0.03)
    base = [r for r in make_results() if (r.system, r.strategy, r.fraction) == ("tfidf-lr", "target-only", 0.05)]
    diff = np.mean([c.correct().astype(int) - b.correct().astype(int) for c, b in zip(cells, base)], axis=0)
    assert (int(row["paired_wins"]), row["paired_losses"]) == (int(np.sum(diff > 0)), "0")
    assert 36 < int(row["paired_wins"]) <= 3 * 36
    neg = rows[("glove-cnn", "embedding-transfer", 1.0)]
    assert float(neg["gain_mean"]) == pytest.approx(-0.05) and float(neg["gain_ci_high"]) < 0
    assert neg["negative_transfer"] == "True"
    same = rows[("tfidf-lr", "embedding-transfer", 1.0)]
    assert float(same["gain_ci_low"]) == float(same["gain_ci_high"]) == 0.0 and same["p_mid"] == "1.0"
    base = rows[("glove-cnn", "target-only", 0.05)]
    assert base["gain_mean"] == "" and base["negative_transfer"] == "False"
    assert float(rows[("glove-cnn", "fine-tune", 1.0)]["source_seconds_max"]) == 120.0


def test_json_is_strict_and_complete(report_dir):
    out, _ = report_dir
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert data["report_schema"] == 1 and data["cells"] == {"ok": 36}
    assert data["environment"]["device"] == "cpu" and data["environment"]["python"] == "3.11.2"
    (study,) = data["studies"]
    assert (study["target"], study["source"], study["fractions"]) == ("imdb", "amazon", [0.05, 1.0])
    assert len(study["rows"]) == 12 and study["warnings"] == [] and data["warnings"] == []
    crossovers = {(c["system"], c["strategy"]): c["fraction"] for c in study["crossovers"]}
    assert crossovers == {("glove-cnn", "embedding-transfer"): 1.0, ("glove-cnn", "fine-tune"): None,
                          ("tfidf-lr", "embedding-transfer"): None, ("tfidf-lr", "fine-tune"): 1.0}


def test_html_is_self_contained(report_dir):
    out, _ = report_dir
    page = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", page)
    images = re.findall(r'<img id="([\w-]+)"[^>]* src="data:image/png;base64,([^"]+)"', page)
    assert [name for name, _ in images] == ["learning-curve", "accuracy-vs-cost"]
    for _, data in images:
        assert _png_size(base64.b64decode(data))[0] > 400
    assert '<td class="neg">▼ -5.0' in page


def test_terminal_tables_flag_negative_transfer():
    tables = terminal_tables(make_results())
    assert [t.title.split(" on ")[0] for t in tables] == ["accuracy (%)", "transfer gain over target-only (points)",
                                                         "cost"]
    gain = {(row[0], row[1]): row[2:] for row in tables[1].rows}
    assert gain[("glove-cnn", "embedding-transfer")][1].startswith("▼ -5.0")
    assert not gain[("glove-cnn", "fine-tune")][1].startswith("▼")
    assert any(n.startswith("▼ negative transfer") and "glove-cnn embedding-transfer at 100%" in n
               for n in tables[1].notes)
    assert not any(n.startswith("⚠") for t in tables for n in t.notes)


def test_language_model_pretraining_gets_its_own_table():
    lm = {"lm_text": "unlabeled", "lm_tokens_trained": 8_002_560, "lm_perplexity": 375.7, "lm_seconds": 663.7}
    overrides = {("glove-cnn", "target-only", f, seed): {"info": dict(lm)} for f in FRACTIONS for seed in SEEDS}
    overrides[("glove-cnn", "target-only", 1.0, SEEDS[0])]["info"]["lm_perplexity"] = 401.2  # another biLM
    tables = terminal_tables(make_results(overrides=overrides))
    lm_table = next(t for t in tables if t.title.startswith("language-model pretraining"))
    assert lm_table.rows == [["glove-cnn", "target-only", "unlabeled", "8.00M", "376–401", "—", "664"]]
    # Studies in which no system pretrained a language model have no such table.
    assert not any(t.title.startswith("language-model") for t in terminal_tables(make_results()))


def test_seed_table_keeps_its_shape():
    table = seed_table(make_results())
    assert table.columns == ["system", "strategy", "5%", "100%"] and len(table.rows) == 6
    row = next(r for r in table.rows if r[:2] == ["glove-cnn", "embedding-transfer"])
    assert re.fullmatch(r"\d+\.\d ± \d+\.\d", row[2])


def _warnings(results: list[CellResult]) -> list[str]:
    return [n for t in terminal_tables(results) for n in t.notes if n.startswith("⚠")]


def test_warning_single_seed():
    (warning,) = _warnings(make_results(seeds=(0,)))
    assert "single seed" in warning and "--seeds 3" in warning


def test_warning_different_test_sets_and_unpaired_cells():
    other = {"test_set": {"name": "imdb", "n": 1200, "digest": "other"}}
    results = make_results(overrides={("glove-cnn", "fine-tune", 0.05, 1): other})
    warnings = _warnings(results)
    assert any("2 different test sets" in w for w in warnings)
    assert any("left out of the gain" in w and "glove-cnn fine-tune at 5%, seed 1" in w for w in warnings)
    gain = {(row[0], row[1]): row[2:] for row in terminal_tables(results)[1].rows}
    assert gain[("glove-cnn", "fine-tune")][0].endswith("(n=2)")
    assert any(n.startswith("(n=k)") for n in terminal_tables(results)[1].notes)


def test_warning_test_text_in_vocabulary():
    flagged = {"info": {"vocabulary": {"saw_test_text": True}}}
    results = make_results(overrides={("tfidf-lr", "fine-tune", f, s): flagged for f in (0.05, 1.0) for s in (0, 1)})
    (warning,) = _warnings(results)
    assert "tfidf-lr (fine-tune)" in warning and "info.vocabulary.saw_test_text" in warning


def test_warning_small_test_set_and_failed_cells():
    results = make_results(n_test=200)
    failed = CellResult(key="x", status="failed", system="glove-cnn", strategy="fine-tune", target="imdb",
                        fraction=0.05, seed=3, error="CUDA out of memory")
    warnings = _warnings(results + [failed])
    assert any("only 200 test examples" in w and "±6.9 points" in w for w in warnings)
    assert any("1 cell(s) failed" in w and "CUDA out of memory" in w for w in warnings)


def test_warning_no_baseline():
    results = [r for r in make_results() if r.strategy != "target-only"]
    tables = terminal_tables(results)
    assert any("no target-only cells" in n for n in tables[-1].notes)
    assert all(cell == "—" for row in tables[1].rows for cell in row[2:])


def test_rerun_supersedes_and_reruns_with_other_config_are_reported():
    results = make_results()
    rerun = CellResult(**{**results[0].to_dict(), "key": "other-config", "metrics": {"accuracy": 0.5}})
    cells, superseded = latest_ok(results + [rerun])
    assert superseded == 1 and len(cells) == len(results)
    assert any("superseded" in w for w in _warnings(results + [rerun]))


def test_studies_are_split_by_target_and_source():
    results = make_results()
    base_no_source = [CellResult(**{**r.to_dict(), "source": None}) for r in results if r.strategy == "target-only"]
    rest = [r for r in results if r.strategy != "target-only"]
    other_source = [CellResult(**{**r.to_dict(), "key": r.key + "/yelp", "source": "yelp"}) for r in rest]
    studies = split_studies(latest_ok(base_no_source + rest + other_source)[0])
    assert [(s.target, s.source) for s in studies] == [("imdb", "amazon"), ("imdb", "yelp")]
    # The source-free baseline joins both studies, so both get gains.
    for study in studies:
        summary = summarize(study)
        assert len(summary.groups) == 12
        assert summary.group("glove-cnn", "fine-tune", 0.05).gain.estimate == pytest.approx(0.06)


def test_several_studies_get_their_own_plots(tmp_path):
    results = make_results()
    results += [CellResult(**{**r.to_dict(), "key": r.key + "/rt", "target": "rotten-tomatoes"}) for r in results]
    written = write_report(_store(tmp_path, results), tmp_path / "out", ["md"])
    names = {p.name for p in written}
    assert {"learning_curve-amazon-to-imdb.png", "learning_curve-amazon-to-rotten-tomatoes.png",
            "accuracy_vs_cost-amazon-to-rotten-tomatoes.png", "report.md"} <= names
    assert "## Study: amazon → rotten-tomatoes" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_bad_input_is_one_line_error(tmp_path):
    def fails(path, formats=("md",), kind=TlbenchError):
        with pytest.raises(kind) as info:
            write_report(path, tmp_path / "out", list(formats))
        assert "\n" not in str(info.value)
        return str(info.value)

    assert "does not exist" in fails(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    assert "holds no tlbench results" in fails(tmp_path / "empty.jsonl")
    (tmp_path / "junk.jsonl").write_text("not json\n")
    assert "holds no tlbench results" in fails(tmp_path / "junk.jsonl")
    failed = CellResult(key="k", status="failed", system="s", strategy="target-only", target="imdb", fraction=1.0,
                        seed=0, error="boom: the corpus is missing")
    assert "boom" in fails(_store(tmp_path, [failed]))
    newer = CellResult(**{**make_results(seeds=(0,))[0].to_dict(), "schema": 99})
    assert "schema 99" in fails(_store(tmp_path / "newer", [newer]))
    good = _store(tmp_path / "good", make_results(seeds=(0,)))
    assert "pdf" in fails(good, ["md", "pdf"], ConfigError)
    assert not (tmp_path / "out").exists()


def test_report_import_stays_light():
    code = ("import sys, tlbench.report, tlbench.stats; "
            "bad = [m for m in ('matplotlib', 'scipy', 'pandas') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


CHROMIUM = "/usr/bin/chromium"
_CHECK = """<script>window.addEventListener('load', function () {
  var out = document.createElement('pre'); out.id = 'img-check';
  out.textContent = Array.prototype.map.call(document.images, function (img) {
    return img.id + ' ' + img.complete + ' ' + img.naturalWidth + ' ' + img.naturalHeight; }).join('|');
  document.body.appendChild(out); });</script>"""


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True, text=True, timeout=180, check=True)


def test_html_renders_in_headless_chromium(report_dir, tmp_path):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    out, _ = report_dir
    page = (out / "report.html").read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", _CHECK + "</body>"), encoding="utf-8")
    dom = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()).stdout
    found = re.search(r'<pre id="img-check">([^<]*)</pre>', dom)
    assert found, "the check script did not run"
    loaded = {}
    for entry in found.group(1).split("|"):
        name, complete, width, height = entry.split()
        loaded[name] = (complete, int(width), int(height))
    assert set(loaded) == {"learning-curve", "accuracy-vs-cost"}
    for name, (complete, width, height) in loaded.items():
        assert complete == "true" and width > 400 and height > 250, (name, loaded[name])
    # The rendered page, for a person to look at (kept under pytest's tmp dir).
    shot = tmp_path / "report.png"
    _chromium(tmp_path, "--hide-scrollbars", "--window-size=1280,2600", f"--screenshot={shot}",
              (out / "report.html").as_uri())
    width, height = _png_size(shot.read_bytes())
    assert (width, height) == (1280, 2600)


def test_cli_report_prints_tables_and_writes_files(tmp_path):
    path = _store(tmp_path, make_results())
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "tlbench", "report", str(path), "--format", "md,html,csv",
                          "--out", str(out)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "COLUMNS": "200"})
    assert run.returncode == 0, run.stderr
    assert "transfer gain over target-only" in run.stdout and "▼ -5.0" in run.stdout
    assert {p.name for p in out.iterdir()} == {"report.md", "report.html", "summary.csv", "learning_curve.png",
                                              "accuracy_vs_cost.png"}
