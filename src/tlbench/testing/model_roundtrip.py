"""The save → load round trip every system must pass: train a cell's model on a small real slice with
``train_model``, then load the saved directory in a fresh Python process and predict the same texts.

Plugin tests call :func:`round_trip` and compare ``before`` (the fitted model in memory) with ``after`` (the
model loaded in the fresh process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_CHILD = """
import json, sys
import tlbench
model = tlbench.load_model(sys.argv[1], device="cpu")
texts = json.loads(open(sys.argv[2], encoding="utf-8").read())
print(json.dumps({"proba": model.predict_proba(texts).tolist(), "labels": model.predict(texts),
                  "label_names": list(model.label_names)}))
"""


@dataclass(frozen=True)
class RoundTrip:
    card: dict[str, Any]
    texts: list[str]
    #: Probabilities of the fitted model in the training process, and of the one loaded in a fresh process.
    before: np.ndarray
    after: np.ndarray
    labels_after: list[str]


def round_trip(system: str, out: Path, *, target: str = "imdb", options: dict[str, Any] | None = None,
               strategy: str = "target-only", source: str | None = None, fraction: float = 1.0, seed: int = 0,
               max_train: int = 200, max_source: int | None = None, n_texts: int = 32,
               cache_dir: Path | None = None, timeout: float = 600) -> RoundTrip:
    """Train ``system`` on ``max_train`` texts of ``target``, save it to ``out``, reload it in a subprocess."""
    from tlbench.study import StudySpec
    from tlbench.training import train_model

    spec = StudySpec(systems=[system], target=target, source=source, strategies=[strategy], fractions=[fraction],
                     seeds=[seed], system_options={system: dict(options or {})}, max_train=max_train,
                     max_source=max_source, device="cpu", cache_dir=str(cache_dir) if cache_dir else None)
    trained = train_model(spec, out)
    texts = list(trained.env.split("target", "test").texts[:n_texts])
    before = np.asarray(trained.model.predict_proba(texts), dtype=np.float64)
    texts_file = Path(out).parent / f"{Path(out).name}-texts.json"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", _CHILD, str(out), str(texts_file)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ})
    if done.returncode != 0:
        raise AssertionError(f"loading {out} in a fresh process failed:\n{done.stderr[-3000:]}")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["label_names"] == trained.card["label_names"]
    return RoundTrip(trained.card, texts, before, np.asarray(got["proba"]), got["labels"])


def assert_same_predictions(result: RoundTrip, atol: float = 1e-6) -> None:
    """The reloaded model predicts the same labels and (to ``atol``) the same probabilities."""
    assert result.after.shape == result.before.shape == (len(result.texts), len(result.card["label_names"]))
    names = result.card["label_names"]
    assert result.labels_after == [names[i] for i in result.before.argmax(axis=1)]
    np.testing.assert_allclose(result.after, result.before, rtol=0, atol=atol)


def check_round_trip(system: str, tmp_path: Path, dist: str, **options: Any) -> RoundTrip:
    """``round_trip`` in ``tmp_path`` (model and caches), then the checks every system must pass: the same
    predictions after reloading, and a card naming ``dist`` as the distribution that provides ``system``."""
    result = round_trip(system, tmp_path / "model", cache_dir=tmp_path / "cache", **options)
    assert_same_predictions(result)
    assert result.card["system"]["provided_by"]["dist"] == dist
    return result


def load_moved(path: Path, device: str = "cpu"):
    """``load_model(path, device=device)`` in this process, checking that the system's ``to_device`` was called
    once, after ``load``, with the resolved Device. Returns the SavedModel (tests then check where it predicts)."""
    from unittest import mock

    from tlbench.device import resolve_device
    from tlbench.plugins import get_registry
    from tlbench.saved_model import load_model

    card = json.loads((Path(path) / "model.json").read_text(encoding="utf-8"))
    kind = type(get_registry().create_system(card["system"]["name"], card["system"].get("options") or {}))
    original, calls = kind.to_device, []

    def spy(self, where):
        calls.append(where)
        return original(self, where)

    with mock.patch.object(kind, "to_device", spy):
        model = load_model(path, device=device)
    assert calls == [resolve_device(device)], calls
    return model


def check_moved(result: RoundTrip, path: Path, device: str = "cpu", atol: float = 1e-6):
    """``load_moved`` then the same predictions as the model loaded in the fresh process; returns the model."""
    model = load_moved(path, device)
    np.testing.assert_allclose(model.predict_proba(result.texts), result.after, rtol=0, atol=atol)
    return model
