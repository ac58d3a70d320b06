"""Where tlbench keeps its caches (light module: no numpy, used at start-up)."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """``$TLBENCH_CACHE_DIR``, else the user cache directory (``~/.cache/tlbench`` on Linux)."""
    env = os.environ.get("TLBENCH_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("tlbench"))
