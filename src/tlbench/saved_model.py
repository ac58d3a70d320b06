"""A model saved by ``tlbench train``, loaded back for prediction (:func:`load_model`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.errors import ConfigError, DataError, Incompatible, TlbenchError
from tlbench.model_card import MODEL, read_card


class SavedModel:
    """A fitted system restored from a model directory, with its card.

    ``predict_proba(texts)`` returns an array of shape (len(texts), len(label_names)) whose rows sum to 1;
    ``predict(texts)`` the label name of each text; ``card`` is the model card as a dict.
    """

    def __init__(self, system: Any, card: dict[str, Any], path: Path) -> None:
        self.system, self.card, self.path = system, card, path
        self.label_names: tuple[str, ...] = tuple(card["label_names"])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.label_names)))
        proba = np.asarray(self.system.predict_proba(texts), dtype=np.float64)
        if proba.shape != (len(texts), len(self.label_names)):
            raise Incompatible(f"{self.card['system']['name']} returned probabilities of shape {proba.shape}, "
                               f"expected {(len(texts), len(self.label_names))}")
        return proba

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.label_names[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def __repr__(self) -> str:
        return f"SavedModel({self.card['system']['name']!r}, labels={list(self.label_names)}, path={str(self.path)!r})"


def load_model(path: str | Path, device: str = "auto", registry: Any = None) -> SavedModel:
    """Load a model directory written by ``tlbench train`` (``model.json`` + ``model/``).

    Raises a TlbenchError whose one-line message says what to do when the directory is not a tlbench model, its
    card format is newer than this tlbench, or the plugin distribution that provides its system is not installed.
    ``device`` (auto | cpu | cuda[:N] | mps) is resolved before loading (a device that does not exist here is a
    ConfigError) and handed to the system's ``to_device`` after ``load`` when it has one (every built-in torch
    and Keras system does); others predict where their ``load`` puts them (tfidf-lr, word2vec-mean: CPU).
    """
    from tlbench.device import resolve_device
    from tlbench.plugins import get_registry

    path = Path(path).expanduser()
    card = read_card(path)
    registry = registry or get_registry()
    _check_installed(card, registry)
    system_card = card["system"]
    system = registry.create_system(system_card["name"], system_card.get("options") or {})
    _check_config(system.get_config(), system_card)
    movable = callable(getattr(system, "to_device", None))
    # resolving "auto" probes CUDA (imports torch): only where the answer is used, or to refuse a bad --device
    chosen = resolve_device(device) if movable or device.strip().lower() not in ("auto", "cpu") else None
    try:
        loaded = system.load(path / MODEL)
    except Exception as exc:
        if isinstance(exc, TlbenchError) and not isinstance(exc, DataError):
            raise
        # a damaged or partial copy (a system's DataError says so itself): one line, not a framework traceback
        message = (str(exc) if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}").splitlines()[0][:300]
        raise DataError(f"cannot load the model in {path / MODEL} ({message}): copy the whole directory again "
                        "or train the model again") from exc
    if movable and chosen is not None:
        loaded.to_device(chosen)
    return SavedModel(loaded, card, path)


def _check_installed(card: dict[str, Any], registry: Any) -> None:
    for part in card["system"].get("parts", []):
        if (part["kind"], part["name"]) not in registry:
            dist = part.get("dist") or part.get("plugin") or "the plugin"
            raise ConfigError(f"this model needs {part['kind']} {part['name']!r} from the distribution {dist} "
                              f"{part.get('version', '')}, which is not installed (or failed to load: see "
                              f"`tlbench list`): pip install {dist}")


def _check_config(now: dict[str, Any], system_card: dict[str, Any]) -> None:
    import json

    saved = system_card.get("config") or {}
    now = json.loads(json.dumps(now))  # as the card stored it: tuples become lists
    differs = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
    if differs:
        source = system_card.get("provided_by", {})
        raise Incompatible(f"the installed {source.get('dist', 'plugin')} builds {system_card['name']} with other "
                           f"settings ({', '.join(differs)}) than the saved model: install the version it was "
                           f"saved with (pip install {source.get('dist')}=={source.get('version')})")
