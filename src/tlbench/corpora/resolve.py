"""Turns a corpus name or path from a study into a :class:`Corpus`."""

from __future__ import annotations

from pathlib import Path

from tlbench.corpora.base import Corpus, CorpusOptions
from tlbench.errors import UnknownComponent
from tlbench.registry import Registry, suggest
from tlbench.study import StudySpec


def open_corpus(name: str, registry: Registry, spec: StudySpec) -> Corpus:
    """A registered corpus (``imdb``, ``blitzer:books``) or a user's file/folder given as a path."""
    base, _, arg = name.partition(":")
    options = CorpusOptions(
        data_dir=Path(spec.data_dir).expanduser() if spec.data_dir else None,
        cache_dir=Path(spec.cache_dir).expanduser() if spec.cache_dir else None,
        arg=arg or None,
        options=dict(spec.corpus_options.get(name, {})),
        allow_download=spec.allow_download,
    )
    if ("corpus", base) in registry:
        return registry.get("corpus", base).resolve()(options)
    path = Path(name).expanduser()
    if path.exists():
        from tlbench.corpora.files import open_path

        return open_path(path, options)
    if "/" in name or path.suffix:
        raise UnknownComponent(f"corpus file {name} does not exist: check the path (relative paths start from "
                               f"{Path.cwd()})")
    raise UnknownComponent(
        f"unknown corpus {name!r}: {suggest(base, registry.names('corpus'))} "
        "(or give the path of a csv/tsv/jsonl/fastText file or a folder per label)"
    )
