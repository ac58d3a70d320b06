"""The hooks a tlbench plugin implements.

Every hook receives a ``register`` callback; calling it adds one component to the registry. Hooks *find*
components, they never run experiments. Register factories, not instances, and keep the plugin module light:
``tlbench list`` imports every plugin module, so heavy libraries (tensorflow, torch, transformers, gensim) must
only be imported inside factories. A factory may also be given as a ``"module:attribute"`` string, which the
registry imports only when the component is used.

A plugin is a module (or class instance) with functions marked ``@tlbench.hookimpl``, exposed by an entry point
in the ``tlbench`` group::

    [project.entry-points.tlbench]
    myplugin = "myplugin.plugin"
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("tlbench")


@hookspec
def register_corpora(register) -> None:
    """Register corpora.

    :param register: ``register(name, factory, description="")``. ``factory(options: CorpusOptions) ->
        tlbench.Corpus``. The options carry the data directory, the part of a parameterised name after a colon
        (``blitzer:books`` calls the ``blitzer`` factory with ``options.arg == "books"``) and user options.
        A path given where a corpus is named opens the corpus whose factory's ``claims(path)`` is true
        (:meth:`tlbench.Corpus.claims`: by default its ``distribution_names``), with ``options.data_dir`` set to it.
    """


@hookspec
def register_embeddings(register) -> None:
    """Register embeddings: things that turn tokens into vectors.

    :param register: ``register(name, factory, description="")``. ``factory(**options) -> tlbench.Embedding``
        (see :class:`tlbench.system.Embedding`): a static table (``lookup``) or a model trained on text
        (``fit``/``adapt``).
    """


@hookspec
def register_encoders(register) -> None:
    """Register encoders: things that turn a document's vectors into a prediction.

    :param register: ``register(name, factory, description="")``. ``factory(embedding, **options) ->
        tlbench.System``; ``embedding`` is an Embedding instance (or ``None`` when the encoder brings its own).
        Users compose any embedding with any encoder as ``EMBEDDING+ENCODER``.
    """


@hookspec
def register_systems(register) -> None:
    """Register system presets: the names users type (``glove-cnn``, ``bert``, ``tfidf-lr``).

    :param register: ``register(name, factory=None, *, embedding=None, encoder=None, description="",
        options=None)``. Either ``factory(**options) -> tlbench.System`` or an ``embedding`` + ``encoder`` pair of
        registered names (``options`` are defaults passed to both factories, split by prefix ``embedding.`` /
        ``encoder.``).
    """


@hookspec
def register_strategies(register) -> None:
    """Register transfer strategies.

    :param register: ``register(name, factory, description="")``. ``factory(**options) -> tlbench.Strategy``.
        A strategy declares the system capabilities it requires; the runner skips, and reports, system ×
        strategy pairs that do not fit.
    """
