"""The model card: ``model.json`` beside a saved model, saying what it is and how it was made.

A model directory written by ``tlbench train`` holds ``model.json`` (this card, plain JSON) and ``model/`` (what
the system's own ``save(path)`` wrote: safetensors, Keras weights, arrays and JSON). The card is what
``tlbench predict`` and :func:`tlbench.load_model` read first: which system to rebuild with which options, and
which plugin distribution provides it. Fields: docs/train-predict.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tlbench.errors import ConfigError, TlbenchError

#: ``format`` of every card; a JSON file without it is not a tlbench model.
FORMAT = "tlbench-model"
#: Bump when a card field that loading reads changes meaning; older tlbench versions then refuse the model.
FORMAT_VERSION = 1
CARD = "model.json"
MODEL = "model"


class NotAModel(TlbenchError):
    """A directory that holds no tlbench model card."""


def provenance(registry: Any, system: str) -> dict[str, Any]:
    """Which plugin (entry point) and distribution, at which version, provide ``system`` and its parts."""
    def one(kind: str, name: str) -> dict[str, str]:
        c = registry.get(kind, name)
        return {"kind": kind, "name": name, "plugin": c.plugin, "dist": c.dist, "version": c.version}

    if "+" in system:
        embedding, _, encoder = system.partition("+")
        parts = [one("encoder", encoder)] + ([one("embedding", embedding)] if embedding != "none" else [])
        return {"provided_by": parts[0], "parts": parts}
    component = registry.get("system", system)
    parts = [one("system", system)]
    parts += [one(kind, name) for kind, name in component.parts.items() if name and name != "none"]
    return {"provided_by": parts[0], "parts": parts}


def write_card(directory: Path, card: dict[str, Any]) -> Path:
    """Write ``card`` (with ``format`` and ``format_version`` added first) as ``directory/model.json``."""
    path = Path(directory) / CARD
    path.write_text(json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **card}, indent=2,
                               ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_card(directory: Path) -> dict[str, Any]:
    """The card of a model directory; raises NotAModel or ConfigError (a newer format) with what to do."""
    directory = Path(directory)
    path = directory / CARD
    if not directory.is_dir():
        raise NotAModel(f"{directory} is not a directory: give the --out directory of `tlbench train`")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotAModel(f"{directory} is not a tlbench model (no {CARD}): give the --out directory of "
                        "`tlbench train`") from None
    except (OSError, UnicodeError, json.JSONDecodeError) as exc:
        raise NotAModel(f"{path} is not a readable model card ({exc}): train the model again") from None
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise NotAModel(f"{path} is not a tlbench model card (no \"format\": \"{FORMAT}\")")
    version = card.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ConfigError(f"{directory} was saved in model-card format {version}, this tlbench reads format "
                          f"{FORMAT_VERSION} and older: upgrade tlbench (pip install -U tlbench) or train the "
                          "model again with this one")
    if not (directory / MODEL).is_dir():
        raise NotAModel(f"{directory} has a model card but no {MODEL}/ folder: copy the whole directory")
    return card
