"""`tlbench train` / `tlbench predict` / `tlbench.load_model`: a saved model is the study cell's model, it
reloads in a fresh process with the same predictions, and predict streams its input and fails in one line."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc

import numpy as np
import pytest
from typer.testing import CliRunner

import tlbench
from tlbench import prediction
from tlbench.cli import app
from tlbench.testing.model_roundtrip import assert_same_predictions, round_trip

runner = CliRunner()
SMALL = ["--target", "imdb", "--max-train", "300", "--device", "cpu"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("trained") / "model"
    result = runner.invoke(app, ["train", "tfidf-lr", *SMALL, "--fraction", "0.5", "--seed", "1", "--out",
                                 str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    return out


def test_tfidf_lr_round_trip_in_a_fresh_process(tmp_path):
    result = round_trip("tfidf-lr", tmp_path / "m", max_train=300, n_texts=50)
    assert_same_predictions(result, atol=0)
    card = result.card
    assert card["system"]["name"] == "tfidf-lr" and card["system"]["provided_by"]["dist"] == "tlbench"
    assert card["label_names"] == ["neg", "pos"] and card["versions"]["tlbench"] == tlbench.__version__
    assert card["corpora"]["target"]["fingerprint"] and card["sample"]["n_valid"] > 0
    assert 0.5 < card["validation"]["accuracy"] <= 1.0
    assert card["learning"]["n_valid"] == card["sample"]["n_valid"] and card["learned"] in (True, None)


def test_train_saves_the_study_cells_model(model_dir, tmp_path):
    """Same sample and same model as the cell (tfidf-lr, 50%, seed 1) of a study: same test accuracy."""
    out = tmp_path / "run"
    result = runner.invoke(app, ["compare", "tfidf-lr", *SMALL, "--max-test", "200", "--fractions", "0.25,0.5",
                                 "--seeds", "2", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    cell = next(json.loads(line) for line in result.stdout.splitlines()
                if line.startswith("{") and json.loads(line)["fraction"] == 0.5 and json.loads(line)["seed"] == 1)
    card = json.loads((model_dir / "model.json").read_text())
    assert (card["sample"]["n_train"], card["sample"]["n_valid"]) == (cell["n_train"], cell["n_valid"])
    # One guard (tlbench.evaluation.validation_check) for both: the same verdict and figures, timing aside.
    timeless = [{k: v for k, v in figures.items() if k != "seconds"} for figures in (card["learning"], cell["learning"])]
    assert card["learned"] == cell["learned"] and timeless[0] == timeless[1]
    assert card["system"]["config"] == cell["system_config"]
    from tlbench.runner import StudyEnv
    from tlbench.plugins import get_registry
    from tlbench.study import StudySpec

    test = StudyEnv(StudySpec(["tfidf-lr"], "imdb", max_test=200), get_registry()).split("target", "test")
    model = tlbench.load_model(model_dir)
    accuracy = float((model.predict_proba(list(test.texts)).argmax(axis=1) == test.labels).mean())
    assert accuracy == pytest.approx(cell["metrics"]["accuracy"], abs=1e-6)


def _write_csv(path, rows, header=("id", "review")):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_predict_writes_csv_and_jsonl(model_dir, tmp_path):
    texts = ["a wonderful, moving film", "dull, boring and far too long", "the worst acting I have seen"]
    _write_csv(tmp_path / "in.csv", [(f"doc-{i}", t) for i, t in enumerate(texts)])
    result = runner.invoke(app, ["predict", str(model_dir), str(tmp_path / "in.csv")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == ["doc-0", "doc-1", "doc-2"]
    model = tlbench.load_model(model_dir)
    assert [r["label"] for r in rows] == model.predict(texts)
    assert all(abs(float(r["p_neg"]) + float(r["p_pos"]) - 1) < 1e-5 for r in rows)

    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n\n", encoding="utf-8")
    result = runner.invoke(app, ["predict", str(model_dir), str(tmp_path / "in.txt"), "--out",
                                 str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in lines] == [1, 2, 3] and [r["label"] for r in lines] == model.predict(texts)
    np.testing.assert_allclose([list(r["probabilities"].values()) for r in lines], model.predict_proba(texts),
                               atol=1e-6)


def _one_line_error(args, message):
    result = runner.invoke(app, args)
    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert text.startswith("error:") and message in text and "Traceback" not in result.output


def test_predict_errors_are_one_line(model_dir, tmp_path):
    _write_csv(tmp_path / "in.csv", [("1", "fine")], header=("id", "comment"))
    _one_line_error(["predict", str(model_dir), str(tmp_path / "in.csv")], "no text column among id, comment")
    (tmp_path / "empty.txt").write_text("\n  \n", encoding="utf-8")
    _one_line_error(["predict", str(model_dir), str(tmp_path / "empty.txt")], "holds no documents")
    (tmp_path / "ok.txt").write_text("good\n", encoding="utf-8")
    _one_line_error(["predict", str(tmp_path), str(tmp_path / "ok.txt")], "is not a tlbench model")
    _one_line_error(["predict", str(model_dir), str(tmp_path / "ok.txt"), "--out", "x.xlsx"],
                    "unknown output type .xlsx")
    _one_line_error(["predict", str(model_dir), str(tmp_path / "ok.txt"), "--out", str(tmp_path / "no" / "o.csv")],
                    "check that its folder exists")
    _one_line_error(["predict", str(model_dir), str(tmp_path / "missing.csv")], "no such file")
    _one_line_error(["predict", str(model_dir), str(tmp_path / "ok.txt"), "--batch-size", "0"], "give at least 1")
    _one_line_error(["predict", str(model_dir), str(tmp_path / "ok.txt"), "--device", "cuda:7"],
                    "device cuda:7 is not available")
    _one_line_error(["predict", str(model_dir), str(tmp_path / "ok.txt"), "--device", "tpu"], "unknown device 'tpu'")


def test_plain_text_input_is_read_without_pandas(tmp_path):
    import subprocess
    import sys

    (tmp_path / "in.txt").write_text("a fine film\n\n__label__2 dull\n", encoding="utf-8")
    code = ("import sys; from tlbench import prediction; "
            "print(list(prediction.read_batches(__import__('pathlib').Path(sys.argv[1]), 10))); "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "in.txt")], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["[([1, 3], ['a fine film', 'dull'])]", "False"]


def test_predict_cli_batches_keep_every_document_in_order(model_dir, tmp_path):
    texts = [f"review {i}: {'a great film' if i % 3 else 'awful, dull'}" for i in range(53)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"Text": t}) + "\n" for t in texts), encoding="utf-8")
    result = runner.invoke(app, ["predict", str(model_dir), str(tmp_path / "in.jsonl"), "--batch-size", "7",
                                 "--out", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert [int(r["id"]) for r in rows] == list(range(1, 54))
    assert [r["label"] for r in rows] == tlbench.load_model(model_dir).predict(texts)


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(format_version=99), "format 99"),
    (lambda c: c["system"].update(name="lstm-x", parts=[{"kind": "system", "name": "lstm-x", "dist":
                                                         "tlbench-lstm", "version": "1.2"}]),
     "pip install tlbench-lstm"),
    (lambda c: c["system"]["config"].update(ngram_max=3), "other settings (ngram_max)"),
    (None, "cannot load the model in"),
])
def test_model_cards_this_tlbench_cannot_load(model_dir, tmp_path, change, message):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy)
    if change is None:  # a damaged copy: the saved files are there but empty
        for f in (copy / "model").iterdir():
            f.write_bytes(b"")
    card = json.loads((copy / "model.json").read_text())
    if change is not None:
        change(card)
    (copy / "model.json").write_text(json.dumps(card))
    (tmp_path / "ok.txt").write_text("good\n", encoding="utf-8")
    _one_line_error(["predict", str(copy), str(tmp_path / "ok.txt")], message)


def test_train_errors_are_one_line(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    _one_line_error(["train", "tfidf-lr", *SMALL, "--out", str(tmp_path / "busy")], "non-empty directory")
    _one_line_error(["train", "tfidf-lr", *SMALL, "--strategy", "zero-shot", "--out", str(tmp_path / "m")],
                    "needs a source corpus")
    _one_line_error(["train", "tfidf-rl", *SMALL, "--out", str(tmp_path / "m")], "did you mean 'tfidf-lr'")
    assert not (tmp_path / "m").exists()


class _CountingModel:
    """Stands in for a model: records how many texts each call got, and the memory traced at that moment."""

    label_names = ("neg", "pos")

    def __init__(self):
        self.calls: list[int] = []

    def predict_proba(self, texts):
        self.calls.append(len(texts))
        p = np.array([[0.25, 0.75] if "good" in t else [0.6, 0.4] for t in texts])
        return p


class _Sink:
    """An output that keeps nothing: the output is not what is measured."""

    def write(self, text):
        return len(text)


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv", ".jsonl"])
def test_predict_streams_a_large_input(tmp_path, suffix):
    n, size = 100_000, 1_000
    path = tmp_path / f"big{suffix}"
    body = "a good film and some more words to make the line longer than the id " * 3
    with path.open("w", encoding="utf-8") as f:
        if suffix in (".csv", ".tsv"):
            f.write("text\n")
        for i in range(n):
            f.write(json.dumps({"text": f"{i} {body}"}) + "\n" if suffix == ".jsonl" else f"{i} {body}\n")
    model = _CountingModel()
    writer = prediction.PredictionWriter(_Sink(), "csv", model.label_names)
    tracemalloc.start()
    try:
        done = prediction.predict_stream(model, prediction.open_input(path, size), writer)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert done == n and sum(model.calls) == n and max(model.calls) <= size
    assert len(model.calls) == n // size
    file_mb = path.stat().st_size / 2**20
    assert file_mb > 20 and peak / 2**20 < file_mb / 5, (peak / 2**20, file_mb)


def test_import_tlbench_stays_light_and_load_model_is_lazy():
    import subprocess
    import sys

    code = ("import sys, tlbench; assert 'tlbench.saved_model' not in sys.modules; "
            "assert 'pandas' not in sys.modules; assert callable(tlbench.load_model); "
            "assert 'tlbench.saved_model' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_train_replaces_an_existing_model_and_leaves_nothing_behind(tmp_path):
    out = tmp_path / "models" / "m"
    for seed in ("0", "1"):
        result = runner.invoke(app, ["train", "tfidf-lr", *SMALL, "--seed", seed, "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert json.loads((out / "model.json").read_text())["sample"]["seed"] == 1
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["m"]


def test_train_with_a_source_records_both_corpora(tmp_path):
    out = tmp_path / "zs"
    result = runner.invoke(app, ["train", "tfidf-lr", *SMALL, "--source", "rotten-tomatoes", "--max-source", "300",
                                 "--strategy", "zero-shot", "--out", str(out)])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "model.json").read_text())
    assert card["strategy"]["name"] == "zero-shot" and card["corpora"]["source"]["name"] == "rotten-tomatoes"
    assert card["corpora"]["source"]["fingerprint"] != card["corpora"]["target"]["fingerprint"]
    assert card["cost"]["source_seconds"] > 0 and card["sample"]["max_source"] == 300
    assert tlbench.load_model(out).predict(["a fine film"])[0] in ("neg", "pos")
