"""tlbench: a workbench for transfer learning on text classification."""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

#: Mark a plugin's hook implementations with ``@tlbench.hookimpl``.
hookimpl = pluggy.HookimplMarker("tlbench")

from tlbench.errors import TlbenchError  # noqa: E402
from tlbench.corpora.base import Corpus, CorpusOptions, Split  # noqa: E402
from tlbench.device import Device  # noqa: E402
from tlbench.system import Context, Embedding, Strategy, System, Vectors  # noqa: E402

__all__ = [
    "Context",
    "Corpus",
    "CorpusOptions",
    "Device",
    "Embedding",
    "Split",
    "Strategy",
    "System",
    "TlbenchError",
    "Vectors",
    "__version__",
    "hookimpl",
]
