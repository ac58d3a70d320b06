"""``tlbench train``: fit one study cell's model on the user's labels and save it with its model card.

The model is trained by the study's own code path (:func:`tlbench.cell.fit_cell`): the same plan, the same nested
sampler, the validation part carved from the labelled fraction, the same strategy code and device choice. So
``tlbench train bert --target T --fraction F --seed S`` gives the model of the study cell (bert, F, S).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from tlbench.errors import ConfigError
from tlbench.model_card import CARD, MODEL, provenance, write_card
from tlbench.study import StudySpec


def check_out_dir(out: Path) -> None:
    """Refuse, before any training, an ``--out`` that is a file or a non-empty directory that is not a model."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file: give a directory for the model")
    if out.is_dir() and any(out.iterdir()) and not (out / CARD).is_file():
        raise ConfigError(f"--out {out} is a non-empty directory that holds no tlbench model: give a new or "
                          "empty directory (an existing model directory is replaced)")


@dataclass(frozen=True)
class Trained:
    """What ``train_model`` made: the fitted system (still in memory), its card, and the study env it used."""

    model: Any
    card: dict[str, Any]
    env: Any


def train_model(spec: StudySpec, out: Path, registry: Any = None, listener: Any = None) -> Trained:
    """Train the one cell ``spec`` names (one system, strategy, fraction, seed) and save it with its card to ``out``.

    ``out`` ends up holding ``model.json`` and ``model/``; it is replaced only once the new model is saved.
    """
    from tlbench.cell import fit_cell
    from tlbench.plugins import get_registry
    from tlbench.study_env import StudyEnv

    out = Path(out)
    check_out_dir(out)
    if len(spec.systems) != 1 or len(spec.strategies) != 1 or len(spec.fractions) != 1 or len(spec.seeds) != 1:
        raise ConfigError("train fits one model: give one system, one strategy, one fraction and one seed")
    registry = registry or get_registry()
    env = StudyEnv(spec, registry, listener=listener)
    (cell,) = env.plan()
    if cell.skip:
        raise ConfigError(f"cannot train {cell.label()}: {cell.skip}")
    if not cell.saveable:
        raise ConfigError(f"system {cell.system} cannot be saved (it has no save/load): pick another system")
    info: dict[str, Any] = {}
    if listener is not None:
        listener({"type": "cell_start", "cell": cell})
    fitted = fit_cell(env, cell, info)
    card = _card(env, cell, fitted, info, registry)
    _save(fitted.model, card, out)
    return Trained(fitted.model, card, env)


def _card(env: Any, cell: Any, fitted: Any, info: dict[str, Any], registry: Any) -> dict[str, Any]:
    from tlbench.evaluation import clean_info, environment_versions, now, validation_check

    spec, valid = env.spec, fitted.valid
    guard = validation_check(fitted.model, valid)  # the study's guard on the study's validation part
    validation, learned, learning = guard.metrics(valid), guard.learned, guard.learning
    return {
        "created_at": now(),
        "system": {"name": cell.system, "options": spec.system_options.get(cell.system, {}),
                   "config": env.system_config(cell.system), **provenance(registry, cell.system)},
        "strategy": {"name": cell.strategy, "options": spec.strategy_options.get(cell.strategy, {}),
                     "config": fitted.strategy.get_config()},
        "corpora": {"target": env.corpus_info(env.target), "source": env.corpus_info(env.source)},
        "corpus_options": spec.corpus_options,
        "label_names": list(fitted.train.label_names),
        "sample": {"fraction": cell.fraction, "seed": cell.seed, "valid_fraction": spec.valid_fraction,
                   "max_train": spec.max_train, "max_source": spec.max_source,
                   "n_train": len(fitted.train), "n_valid": len(valid), "cell_key": cell.key},
        "validation": validation,
        "learned": learned, "learning": learning,
        "cost": {"train_seconds": round(fitted.seconds - fitted.source_seconds, 3),
                 "source_seconds": round(fitted.source_seconds, 3)},
        "device": str(env.device),
        "versions": environment_versions(registry),
        "info": clean_info(info),
    }


def _save(model: Any, card: dict[str, Any], out: Path) -> None:
    """Save into a fresh sibling directory, then swap it in: a failed save leaves ``out`` as it was."""
    out.parent.mkdir(parents=True, exist_ok=True)
    # mkdir, not mkdtemp: the model directory gets the user's usual permissions (mkdtemp's are 0700)
    staging = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        staging.mkdir()
        (staging / MODEL).mkdir()
        model.save(staging / MODEL)
        write_card(staging, card)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            staging.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
