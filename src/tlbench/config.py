"""``tlbench.toml``: the default study, data directory and per-component options.

Precedence for every setting: command-line flag, then environment (``TLBENCH_DATA_DIR``), then the config file
(``--config FILE``, else ``./tlbench.toml`` when present), then built-in defaults. Where data lives when nothing
says: ``<user cache dir>/tlbench/data``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from tlbench.paths import default_cache_dir
from tlbench.errors import ConfigError

DEFAULT_CONFIG = Path("tlbench.toml")
_STUDY_KEYS = {"systems", "strategies", "fractions", "seeds", "source", "target", "valid_fraction", "device",
               "out", "max_train", "max_test", "max_source", "executor", "address", "retries", "allow_download"}


def read_config(path: Path | None) -> dict[str, Any]:
    """The parsed config file (``{}`` when none is given and ./tlbench.toml does not exist)."""
    if path is None:
        if not DEFAULT_CONFIG.exists():
            return {}
        path = DEFAULT_CONFIG
    path = Path(path).expanduser()
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist: check the path given to --config")
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = set(config.get("study", {})) - _STUDY_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown [study] key(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(_STUDY_KEYS))}")
    return config


def data_dir(flag: str | None, config: dict[str, Any]) -> Path:
    """Where corpora are looked for: --data-dir, $TLBENCH_DATA_DIR, [data] dir, then the user cache."""
    for value in (flag, os.environ.get("TLBENCH_DATA_DIR"), config.get("data", {}).get("dir")):
        if value:
            return Path(value).expanduser()
    return default_cache_dir() / "data"


def seeds_from(value: int | list[int]) -> list[int]:
    """``3`` means seeds 0, 1, 2; a list is taken as given."""
    if isinstance(value, int):
        if value < 1:
            raise ConfigError(f"seeds must be >= 1, got {value}")
        return list(range(value))
    return [int(v) for v in value]


def parse_value(text: str) -> Any:
    """A CLI option value: TOML literal when it parses (``true``, ``3``, ``[1, 2]``), else the string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_options(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``["glove-cnn.epochs=3", "weight-transfer.freeze=false"]`` -> ``{"glove-cnn": {"epochs": 3}, ...}``."""
    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        component, dot, option = name.partition(".")
        if not sep or not dot or not option:
            raise ConfigError(f"bad option {pair!r}: write COMPONENT.OPTION=VALUE, e.g. glove-cnn.epochs=3")
        out.setdefault(component, {})[option] = parse_value(value)
    return out
