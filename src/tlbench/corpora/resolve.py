"""Turns a corpus name or path from a study into a :class:`Corpus`, through the registry.

A name is a registered corpus (``imdb``; ``blitzer:books`` passes ``books`` as ``options.arg``). A path is offered
to every registered corpus: one whose factory ``claims(path)`` (:meth:`Corpus.claims`; the built-ins claim their
distributions' names, ``aclImdb_v1.tar.gz``, ``sorted_data_acl/``…) opens it with ``data_dir`` set to the path;
a path no corpus claims is read as a user file (:class:`~tlbench.corpora.user_files.FileCorpus`). When both a
third party's corpus and a built-in claim a path, the third party's wins: it was installed to read such files.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

from tlbench.corpora.base import Corpus, CorpusOptions
from tlbench.errors import ConfigError, DataError, TlbenchWarning, UnknownComponent
from tlbench.registry import Component, Registry, suggest
from tlbench.study import StudySpec


def open_corpus(name: str, registry: Registry, spec: StudySpec) -> Corpus:
    """A registered corpus (``imdb``, ``blitzer:books``) or a user's file/folder given as a path; ``PATH:arg``
    passes ``arg`` to the corpus that claims PATH (``sorted_data_acl.tar.gz:books``)."""
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
        return open_path(path, options, registry)
    if arg and Path(base).expanduser().exists():  # PATH:arg, e.g. sorted_data_acl.tar.gz:books
        return open_path(Path(base).expanduser(), options, registry)
    if "/" in name or path.suffix:
        raise UnknownComponent(f"corpus file {name} does not exist: check the path (relative paths start from "
                               f"{Path.cwd()})")
    raise UnknownComponent(
        f"unknown corpus {name!r}: {suggest(base, registry.names('corpus'))} "
        "(or give the path of a csv/tsv/jsonl/fastText file or a folder per label)"
    )


def open_path(path: str | Path, options: CorpusOptions | None = None, registry: Registry | None = None) -> Corpus:
    """The corpus a path names: the registered corpus that claims it (opened with ``data_dir`` set to the path),
    otherwise a ``FileCorpus``. ``registry`` defaults to the process-wide one."""
    options = options or CorpusOptions()
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"{p}: no such file or folder")
    if registry is None:
        from tlbench.plugins import get_registry

        registry = get_registry()
    claimant = claimant_of(p, registry)
    if claimant is not None:
        return claimant.resolve()(replace(options, data_dir=p))
    if options.arg:
        raise ConfigError(f"{p}:{options.arg}: a user file takes no ':{options.arg}' part (only a corpus such as "
                          f"blitzer:DOMAIN does); give the path alone")
    from tlbench.corpora.user_files import FileCorpus

    return FileCorpus(p, options)


def claimant_of(path: Path, registry: Registry) -> Component | None:
    """The registered corpus that claims ``path``, None when none does. A third party's claim wins over a
    built-in's; two third parties claiming one path is a ConfigError naming both. A corpus whose plugin cannot
    be imported, or whose ``claims`` raises, is reported as a warning and passed over."""
    from tlbench.plugins import CORE

    claims = [c for c in registry.components("corpus") if _claims(c, path)]
    if len(claims) > 1:
        claims = [c for c in claims if c.plugin != CORE] or claims
    if len(claims) > 1:
        names = " and ".join(f"{c.name} (plugin {c.dist or c.plugin})" for c in claims)
        raise ConfigError(f"{path}: corpora {names} both read files named {path.name!r}; name the one you mean "
                          f"instead of the path (e.g. {claims[0].name} with --data-dir {path.parent})")
    return claims[0] if claims else None


def _claims(component: Component, path: Path) -> bool:
    try:
        claims = getattr(component.resolve(), "claims", None)
        return bool(claims(path)) if callable(claims) else False
    except Exception as exc:  # a broken plugin is reported, never fatal: the path may still be a user file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        warnings.warn(f"corpus {component.name} (plugin {component.dist or component.plugin}) cannot say whether "
                      f"it reads {path}: {first}; passed over", TlbenchWarning, stacklevel=2)
        return False
