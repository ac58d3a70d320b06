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


#: First characters of a value meant as a TOML array, table or quoted string: a parse error there is reported.
_TOML_STARTS = ("[", "{", '"', "'")
#: ``-o`` names for the study's corpora: ``-o target.text_column=body``, ``-o source.label_map={...}``.
CORPUS_ROLES = ("target", "source")


def parse_value(text: str) -> Any:
    """A CLI option value: TOML literal when it parses (``true``, ``3``, ``[1, 2]``), else the string.

    A value that starts like a TOML array, table or quoted string but does not parse is an error, not a string.
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError as exc:
        if text.strip().startswith(_TOML_STARTS):
            raise ConfigError(f"value {text!r} is not valid TOML ({exc}); write e.g. [1, 2], "
                              "{neg = \"negative\"} or \"a string\" (quote it for your shell)") from None
        return text


def parse_options(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``["glove-cnn.epochs=3", "weight-transfer.freeze=false"]`` -> ``{"glove-cnn": {"epochs": 3}, ...}``."""
    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        component, dot, option = name.partition(".")
        if not sep or not dot or not option:
            raise ConfigError(f"bad option {pair!r}: write COMPONENT.OPTION=VALUE, e.g. glove-cnn.epochs=3")
        try:
            out.setdefault(component, {})[option] = parse_value(value)
        except ConfigError as exc:
            raise ConfigError(f"option {name}: {exc}") from None
    return out


def route_options(options: dict[str, dict[str, Any]], study: dict[str, Any],
                  sections: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Merge ``-o`` options into ``sections`` (``systems``, ``strategies``, ``corpora``) of a study.

    A component the study does not use is an error with a suggestion (it would otherwise be ignored);
    ``target``/``source`` address the study's corpora by role.
    """
    from tlbench.registry import suggest

    systems, strategies = list(study.get("systems") or []), list(study.get("strategies") or [])
    roles = {r: study[r] for r in CORPUS_ROLES if study.get(r)}
    for name, opts in options.items():
        if name in roles:
            sections["corpora"].setdefault(str(roles[name]), {}).update(opts)
        elif name in strategies:
            sections["strategies"].setdefault(name, {}).update(opts)
        elif name in systems:
            sections["systems"].setdefault(name, {}).update(opts)
        else:
            known = systems + strategies + list(roles)
            raise ConfigError(f"-o {name}.…: {name!r} is not in this study: "
                              f"{suggest(name, known)} (-o takes a system, a strategy, target or source)")
