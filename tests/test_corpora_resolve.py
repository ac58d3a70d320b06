"""Names and paths resolve through the registry: a corpus class says which paths it claims (``Corpus.claims``),
the built-ins claim their distributions' names as any plugin would, and a third party's corpus can claim a file
name — its own, or a built-in distribution's."""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import pytest

from tlbench import hookimpl
from tlbench.corpora.base import SENTIMENT, Corpus, CorpusOptions, Split
from tlbench.corpora.blitzer import BlitzerCorpus
from tlbench.corpora.imdb import ImdbCorpus
from tlbench.corpora.resolve import claimant_of, open_corpus, open_path
from tlbench.corpora.user_files import FileCorpus
from tlbench.errors import ConfigError, DataError, UnknownComponent
from tlbench.plugins import load_plugins
from tlbench.runner import run_study
from tlbench.study import StudySpec
from tlbench.testing.data import small_sentiment


class PolarityLines(Corpus):
    """A third party's corpus: ``<data_dir>/neg.txt`` and ``pos.txt``, one text a line, every fifth line test."""

    name = "polarity-lines"
    variant = "lines"
    label_names = SENTIMENT
    distribution_names = ("polarity-lines",)

    def sources(self) -> list[Path]:
        folder = Path(self.options.data_dir or ".")
        files = [folder / "neg.txt", folder / "pos.txt"]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise DataError(f"polarity-lines: no {', '.join(missing)}")
        return files

    def parse(self) -> dict[str, Split]:
        parts: dict[str, tuple[list[str], list[int]]] = {"train": ([], []), "test": ([], [])}
        for label, file in enumerate(self.sources()):
            lines = [line for line in file.read_bytes().decode("utf-8").split("\n") if line]
            for i, line in enumerate(lines):
                texts, labels = parts["test" if i % 5 == 4 else "train"]
                texts.append(line)
                labels.append(label)
        return {part: Split(texts, np.array(labels), SENTIMENT) for part, (texts, labels) in parts.items()}


class ImdbMirror(PolarityLines):
    """A third party's corpus that claims the Stanford IMDB tarball's name (say, a reader that keeps ratings)."""

    name = "imdb-mirror"

    @classmethod
    def claims(cls, path: Path) -> bool:
        return path.name == "aclImdb_v1.tar.gz"


def plugin(name: str, corpora: dict[str, object]):
    class Plugin:
        __name__ = name

        @hookimpl
        def register_corpora(self, register):
            for corpus_name, factory in corpora.items():
                register(corpus_name, factory, description="test corpus")

    return Plugin()


def spec(tmp_path: Path, target: str = "x") -> StudySpec:
    return StudySpec(systems=["tfidf-lr"], target=target, data_dir=str(tmp_path / "no-data"),
                     cache_dir=str(tmp_path / "cache"), out=str(tmp_path / "out"), fractions=[1.0], seeds=[0],
                     device="cpu")


def lines_folder(root: Path, n: int = 200) -> Path:
    folder = root / "polarity-lines"
    folder.mkdir(parents=True)
    reviews = small_sentiment("rotten-tomatoes", "train", n, seed=1)
    for label, name in enumerate(reviews.label_names):
        texts = [t.replace("\n", " ") for t, y in zip(reviews.texts, reviews.labels) if y == label]
        (folder / f"{name}.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    return folder


def empty_tarball(path: Path) -> Path:
    with tarfile.open(path, "w:gz"):
        pass
    return path


def test_builtins_claim_their_distribution_names_through_the_registry(tmp_path):
    registry = load_plugins(allow="core").registry
    tarball = empty_tarball(tmp_path / "aclImdb_v1.tar.gz")
    assert claimant_of(tarball, registry).name == "imdb"
    assert claimant_of(tmp_path / "sorted_data_acl.tar.gz", registry).name == "blitzer"
    assert claimant_of(tmp_path / "mine.csv", registry) is None
    corpus = open_corpus(str(tarball), registry, spec(tmp_path))
    assert type(corpus) is ImdbCorpus and corpus.sources() == [tarball]
    assert ImdbCorpus.claims(tarball) and not BlitzerCorpus.claims(tarball) and not Corpus.claims(tarball)


def test_a_plugin_corpus_claims_its_own_file_name_and_runs_in_a_study(tmp_path):
    registry = load_plugins(allow="core", extra=[plugin("lines-plugin", {"polarity-lines": PolarityLines})]).registry
    folder = lines_folder(tmp_path)
    corpus = open_corpus(str(folder), registry, spec(tmp_path))
    assert type(corpus) is PolarityLines and corpus.options.data_dir == folder
    assert len(corpus.load("train")) == 160 and corpus.load("test").class_counts() == {"neg": 20, "pos": 20}
    # without the plugin the same folder is a user folder (label folders expected), as before
    plain = open_corpus(str(folder), load_plugins(allow="core").registry, spec(tmp_path))
    assert type(plain) is FileCorpus
    run = run_study(spec(tmp_path, str(folder)), registry)
    assert [r.status for r in run.results] == ["ok"] and run.results[0].metrics["accuracy"] > 0.5


def test_a_plugin_corpus_claims_a_builtin_distribution_name(tmp_path):
    registry = load_plugins(allow="core", extra=[plugin("mirror-plugin", {"imdb-mirror": ImdbMirror})]).registry
    tarball = empty_tarball(tmp_path / "aclImdb_v1.tar.gz")
    assert claimant_of(tarball, registry).name == "imdb-mirror"
    assert type(open_path(tarball, CorpusOptions(cache_dir=tmp_path), registry)) is ImdbMirror
    assert type(registry.get("corpus", "imdb").resolve()(CorpusOptions())) is ImdbCorpus  # the name still works


def test_two_plugins_claiming_one_path_is_a_one_line_error(tmp_path):
    class OtherMirror(ImdbMirror):
        name = "other-mirror"

    registry = load_plugins(allow="core", extra=[plugin("a", {"imdb-mirror": ImdbMirror}),
                                                 plugin("b", {"other-mirror": OtherMirror})]).registry
    tarball = empty_tarball(tmp_path / "aclImdb_v1.tar.gz")
    with pytest.raises(ConfigError) as raised:
        open_corpus(str(tarball), registry, spec(tmp_path))
    message = str(raised.value)
    assert "\n" not in message and "imdb-mirror" in message and "other-mirror" in message
    assert "name the one you mean" in message


def test_a_broken_corpus_plugin_is_reported_and_passed_over(tmp_path):
    broken = plugin("broken-plugin", {"ghost": "tlbench_no_such_module:Ghost", "raiser": _RaisingClaims})
    registry = load_plugins(allow="core", extra=[broken]).registry
    path = tmp_path / "mine.csv"
    path.write_text("text,label\n" + "".join(f"text {i},{'pos' if i % 2 else 'neg'}\n" for i in range(20)))
    with pytest.warns(UserWarning) as warned:
        corpus = open_corpus(str(path), registry, spec(tmp_path))
    assert type(corpus) is FileCorpus and len(corpus.load("train")) == 16
    shown = " | ".join(str(w.message) for w in warned)
    assert "corpus ghost" in shown and "corpus raiser" in shown and "passed over" in shown


class _RaisingClaims(PolarityLines):
    @classmethod
    def claims(cls, path: Path) -> bool:
        raise RuntimeError("boom")


def test_unknown_names_and_missing_paths_keep_their_errors(tmp_path):
    registry = load_plugins(allow="core").registry
    with pytest.raises(UnknownComponent, match="unknown corpus 'imbd': did you mean 'imdb'"):
        open_corpus("imbd", registry, spec(tmp_path))
    with pytest.raises(UnknownComponent, match="corpus file no/such.csv does not exist: check the path"):
        open_corpus("no/such.csv", registry, spec(tmp_path))
    with pytest.raises(DataError, match="no such file or folder"):
        open_path(tmp_path / "nope.csv", CorpusOptions(), registry)


def test_path_colon_arg_goes_to_the_corpus_that_claims_the_path(tmp_path):
    registry = load_plugins(allow="core").registry
    tarball = empty_tarball(tmp_path / "sorted_data_acl.tar.gz")
    corpus = open_corpus(f"{tarball}:books", registry, spec(tmp_path))
    assert type(corpus) is BlitzerCorpus and corpus.options.arg == "books" and corpus.options.data_dir == tarball
    user_csv = tmp_path / "mine.csv"
    user_csv.write_text("text,label\ngood,pos\nbad,neg\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="takes no ':books' part"):
        open_corpus(f"{user_csv}:books", registry, spec(tmp_path))
    with pytest.raises(UnknownComponent, match="does not exist"):
        open_corpus(f"{tmp_path / 'missing.tar.gz'}:books", registry, spec(tmp_path))
