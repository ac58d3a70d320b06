"""tlbench: a workbench for transfer learning on text classification.

Importing ``tlbench`` is light (``tlbench list`` must start fast); the types below load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

__version__ = "0.1.0"

#: Mark a plugin's hook implementations with ``@tlbench.hookimpl``.
hookimpl = pluggy.HookimplMarker("tlbench")

_LAZY = {
    "TlbenchError": "tlbench.errors",
    "Corpus": "tlbench.corpora.base",
    "CorpusOptions": "tlbench.corpora.base",
    "Split": "tlbench.corpora.base",
    "Device": "tlbench.device",
    "Context": "tlbench.system",
    "Embedding": "tlbench.system",
    "Strategy": "tlbench.system",
    "System": "tlbench.system",
    "Vectors": "tlbench.system",
    "load_model": "tlbench.saved_model",
    "SavedModel": "tlbench.saved_model",
}

if TYPE_CHECKING:
    from tlbench.corpora.base import Corpus, CorpusOptions, Split
    from tlbench.device import Device
    from tlbench.errors import TlbenchError
    from tlbench.saved_model import SavedModel, load_model
    from tlbench.system import Context, Embedding, Strategy, System, Vectors


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tlbench' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = ["Context", "Corpus", "CorpusOptions", "Device", "Embedding", "SavedModel", "Split", "Strategy", "System",
           "TlbenchError", "Vectors", "__version__", "hookimpl", "load_model"]
