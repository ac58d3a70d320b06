"""Where tlbench keeps its caches (light module: no numpy, no pathlib, used at start-up)."""

from __future__ import annotations

import os
import sys


def cache_root() -> str:
    """``$TLBENCH_CACHE_DIR``, else the user cache directory (``$XDG_CACHE_HOME/tlbench`` or
    ``~/.cache/tlbench`` on Linux; platformdirs' choice elsewhere)."""
    env = os.environ.get("TLBENCH_CACHE_DIR")
    if env:
        return os.path.expanduser(env)
    if sys.platform.startswith("linux"):
        # platformdirs' rule on Linux, without its import cost on the `tlbench list` path.
        base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
        return os.path.join(base, "tlbench")
    import platformdirs

    return platformdirs.user_cache_dir("tlbench")


def default_cache_dir():
    """:func:`cache_root` as a ``pathlib.Path``."""
    from pathlib import Path

    return Path(cache_root())
