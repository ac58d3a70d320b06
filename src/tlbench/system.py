"""What plugins implement: Systems (trainable classifiers), Embeddings and Strategies, plus the Context.

NumPy arrays and plain Python are the currency between backends, so a gensim embedding can feed a Keras encoder.
Nothing here mutates its inputs.

Capabilities a System may offer (a Strategy lists the ones it needs in ``requires``):

- ``prepare(train, ctx) -> None``: build what depends on the training texts (vocabulary, embedding matrix)
  without training; ``fit`` calls it itself when nobody did. Strategies call it before copying weights in.
- ``export_vectors() -> Vectors`` and ``import_vectors(vectors) -> int`` (embedding-transfer): after
  ``prepare``, overwrite the vectors of shared words and return how many were updated
- ``import_embedding(other) -> int`` (embedding-transfer, for systems whose embedding is a model rather than a
  table): start this system's embedding from the fitted ``other``'s
- ``init_from(other, *, include_head: bool, freeze_encoder: bool) -> int`` (weight-transfer, fine-tune,
  frozen-features): after ``prepare``, copy another fitted system's weights; return how many tensors were copied
- ``adapt(target_texts, ctx, source_texts=()) -> None`` (domain-adaptive): continue unsupervised training of the
  embedding on unlabeled text (source text first where the method uses it), before ``fit``
- ``save(path)`` and ``load(path)`` (an instance method that restores a saved state into a fresh system): lets
  the runner cache source models on disk and share them between processes

Constructors only store their options (scikit-learn's convention): creating a system must be cheap, because the
runner creates one to read its config and capabilities before deciding to run a cell.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from tlbench.device import Device

if TYPE_CHECKING:
    from tlbench.cache import ContentCache
    from tlbench.corpora.base import Split

CAPABILITIES = ("prepare", "export_vectors", "import_vectors", "import_embedding", "init_from", "adapt", "save", "load")


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report: ``stage`` (``"epoch"``, ``"step"``, ``"pretrain"``), position, total and metrics."""

    stage: str
    step: int
    total: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class Context:
    """Everything a plugin may use while it trains: no globals.

    ``info`` is where a system or strategy records facts the results should carry (``n_updated`` vectors,
    perplexity, early-stopping epoch); the runner stores it in the cell's record. A system whose vocabulary or
    embedding may have seen test text (e.g. vectors loaded from a file trained on the test corpus) sets
    ``info["saw_test_text"] = True``; reports then warn that the comparison is unfair.
    """

    device: Device = field(default_factory=Device)
    seed: int = 0
    cache: ContentCache | None = None
    progress: Callable[[ProgressEvent], None] | None = None
    workdir: Path | None = None
    info: dict[str, Any] = field(default_factory=dict)
    #: Unlabeled text of the domain being trained on. For the target this is the cell's *unlabeled pool*: the
    #: target's unlabeled split plus the training texts outside the cell's labelled fraction and outside its
    #: validation part (never a test text, never one of the cell's labelled or validation texts; see
    #: tlbench.unlabeled_pool). For the source: its training texts plus its unlabeled split. Systems that pretrain
    #: an embedding on text (word2vec, elmo) and semi-supervised strategies (self-training) may use it.
    unlabeled: Sequence[str] = ()
    #: How ``new_system`` builds another registered system (the runner passes one that applies the study's
    #: ``-o NAME.KEY=VALUE`` options); None falls back to the installed plugins with default options.
    system_factory: Callable[[str], Any] | None = None

    def report(self, stage: str, step: int, total: int | None = None, **metrics: float) -> None:
        """Send a progress event to whoever listens (the CLI shows epochs and steps)."""
        if self.progress is not None:
            self.progress(ProgressEvent(stage, step, total, {k: float(v) for k, v in metrics.items()}))

    def new_system(self, name: str) -> System:
        """A fresh, unfitted instance of any registered system (a preset or ``EMBEDDING+ENCODER``), e.g. a teacher
        for a teacher → student strategy. Unknown names raise ``UnknownComponent`` with a suggestion."""
        if self.system_factory is not None:
            return self.system_factory(name)
        from tlbench.plugins import get_registry

        return get_registry().create_system(name, {})

    def child(self, **changes: Any) -> Context:
        """A copy with some fields changed; ``info`` stays shared so everything lands in one record."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        return Context(**values)

    def seed_everything(self) -> None:
        """Seed Python's and NumPy's global generators (frameworks seed their own in the plugins)."""
        import random

        random.seed(self.seed)
        np.random.seed(self.seed % (2**32))


@dataclass(frozen=True)
class Vectors:
    """A word-vector table: ``words[i]`` has vector ``matrix[i]``."""

    words: tuple[str, ...]
    matrix: np.ndarray

    def __post_init__(self) -> None:
        if self.matrix.ndim != 2 or self.matrix.shape[0] != len(self.words):
            raise ValueError(f"{len(self.words)} words but a matrix of shape {self.matrix.shape}")

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


@runtime_checkable
class System(Protocol):
    """A trainable text classifier. ``fit`` trains it (again, from its current state); ``predict_proba``
    returns an array of shape (n_texts, n_labels) whose rows sum to 1."""

    name: str

    def fit(self, train: Split, valid: Split | None, ctx: Context) -> System: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def get_config(self) -> dict[str, Any]: ...


@runtime_checkable
class Embedding(Protocol):
    """Turns tokens into vectors. ``lookup`` returns a (len(words), dim) float32 matrix and a boolean mask of the
    words it knew; rows of unknown words are left to the caller (encoders document their OOV handling).

    Embeddings trained on text also offer ``fit(texts, ctx)`` and, for domain-adaptive transfer,
    ``adapt(texts, ctx)``."""

    name: str
    dim: int

    def lookup(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]: ...

    def get_config(self) -> dict[str, Any]: ...


@runtime_checkable
class Strategy(Protocol):
    """How source knowledge reaches the target model. Everything here is what the runner reads or calls.

    - ``name``: the registered name; ``requires``: capability names the system must offer (see
      :data:`CAPABILITIES`).
    - ``uses_source``: the strategy cannot run without a source corpus (the runner skips, and reports, its cells
      when no ``--source`` is given).
    - ``uses_target``: it trains on the target's labels. When False (zero-shot) its predictions do not depend on
      the target fraction, so the runner predicts once per (system, seed, strategy config) and shares them.
    - ``uses_source_model``: ``run`` asks for ``source.fitted(ctx)``; executors train that model once, before the
      cells that share it.
    - ``unsupported(system)``: why this system cannot run the strategy (a one-line reason), or None when it can.
      Called on a freshly created, untrained system while planning.
    - ``run`` gets a factory for fresh systems, the source side (or None) and the target side (the training
      fraction, its validation part, unlabeled text); it never sees the test split.
    - ``get_config()``: JSON-able, with ``name``; part of every cell's key.

    :class:`tlbench.strategies.base.BaseStrategy` provides all but ``run``.
    """

    name: str
    requires: tuple[str, ...]
    uses_source: bool
    uses_target: bool
    uses_source_model: bool

    def unsupported(self, system: System) -> str | None: ...

    def run(
        self,
        new_system: Callable[[], System],
        source: SourceSide | None,
        target: TargetSide,
        ctx: Context,
    ) -> System: ...

    def get_config(self) -> dict[str, Any]: ...


class SourceSide(Protocol):
    """The source corpus as a strategy sees it: its labelled training part, its unlabeled text, and a system
    trained on it (trained once per system config and seed, then shared by every cell that asks)."""

    train: Split
    valid: Split | None

    def texts(self) -> Sequence[str]:
        """All source text a model may learn from without labels: train + unlabeled (never test)."""
        ...

    def fitted(self, ctx: Context) -> System: ...


class TargetSide(Protocol):
    """The target corpus as a strategy sees it: the cell's training fraction, its validation part, and the cell's
    unlabeled pool: the target's unlabeled split plus the training texts outside the labelled fraction and outside
    the validation part. The pool never holds a test text nor one of the cell's labelled or validation texts, so a
    strategy may pseudo-label all of it without touching what model selection relies on."""

    train: Split
    valid: Split | None

    def unlabeled(self) -> Sequence[str]: ...


def missing_capabilities(system: object, requires: Sequence[str]) -> list[str]:
    """The capabilities in ``requires`` that ``system`` does not offer."""
    return [name for name in requires if not callable(getattr(system, name, None))]


class Stopwatch:
    """Wall seconds of a block: ``with Stopwatch() as sw: ...; sw.seconds``."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
