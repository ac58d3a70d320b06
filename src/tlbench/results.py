"""Cell results: frozen, typed values stored one JSON object per line in an append-only file.

Schema (version 1) — every line is one cell:

============================ ================================================================================
field                        meaning
============================ ================================================================================
``schema``                   1
``key``                      content key of the cell (system + config, strategy + config, corpora fingerprints,
                             fraction, seed, limits, sampler version); reruns skip keys already ``ok``
``status``                   ``ok`` | ``failed`` | ``skipped`` (strategy does not fit the system)
``error``                    one line, for failed/skipped cells
``system``, ``system_config`` the system name and its full ``get_config()``
``strategy``, ``strategy_config``
``source``, ``target``       corpus names (``source`` may be null)
``fraction``, ``seed``       target training fraction and seed
``n_train``, ``n_valid``, ``n_test``
``metrics``                  ``accuracy``, ``macro_f1``, ``log_loss``
``label_names``              list of label names
``y_true``, ``y_pred``       per-example test labels/predictions, one character per example (label index as a
                             digit, labels 10+ as letters after ``9``)
``cost``                     ``train_seconds`` (target side), ``source_seconds`` (source training this cell paid
                             for; 0 when cached), ``predict_seconds``, ``predict_examples_per_s``,
                             ``peak_rss_mb``, ``peak_gpu_mb``
``device``                   device actually used
``versions``                 ``tlbench``, ``python``, ``platform``, ``plugins`` (distribution -> version)
``corpora``                  ``source``/``target``: name, variant, fingerprint, split sizes
``test_set``                 name, variant, fingerprint, size and digest of the exact test examples
``info``                     facts systems and strategies recorded (vectors updated, epochs, perplexity, ...)
``learned``                  did the fitted model beat the majority class on its validation part (one-sided
                             binomial test, ``tlbench.learning_check``): true | false ("did not learn") | null (not
                             checked: older lines, no validation part, or too few examples to decide)
``learning``                 the test's figures: ``valid_accuracy``, ``majority``, ``n_valid``, ``p_value``,
                             ``alpha``, ``power`` (when not significant), ``seconds`` (predicting the validation
                             part), and ``note`` when it could not decide
``started_at``, ``finished_at`` ISO 8601 UTC; ``host``
============================ ================================================================================

Writing: each record is one ``write`` of one complete line to a file opened in append mode, then fsync'd, so a
process killed mid-study leaves complete lines. A line without its newline (power loss) is ignored on reading
and cut off before the next append; a damaged line elsewhere is skipped with a warning naming its number. A run
holds ``results.jsonl.lock`` while it writes, so two runs never share one results file.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.errors import TlbenchError, TlbenchWarning

SCHEMA = 1


class CorruptLineWarning(TlbenchWarning):
    """A line of a results file that is not a record (hand-edited, or two writers without the lock)."""

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def encode_labels(labels: np.ndarray) -> str:
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= len(_ALPHABET)):
        raise ValueError(f"labels must lie in 0..{len(_ALPHABET) - 1} to be stored")
    return "".join(_ALPHABET[i] for i in labels)


_LOOKUP = np.full(128, -1, dtype=np.int64)
_LOOKUP[[ord(c) for c in _ALPHABET]] = np.arange(len(_ALPHABET))


def decode_labels(text: str) -> np.ndarray:
    codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return _LOOKUP[codes]


@dataclass(frozen=True)
class CellResult:
    key: str
    status: str
    system: str
    strategy: str
    target: str
    fraction: float
    seed: int
    source: str | None = None
    error: str | None = None
    system_config: dict[str, Any] = field(default_factory=dict)
    strategy_config: dict[str, Any] = field(default_factory=dict)
    n_train: int = 0
    n_valid: int = 0
    n_test: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    label_names: list[str] = field(default_factory=list)
    y_true: str = ""
    y_pred: str = ""
    cost: dict[str, float] = field(default_factory=dict)
    device: str = "cpu"
    versions: dict[str, Any] = field(default_factory=dict)
    corpora: dict[str, Any] = field(default_factory=dict)
    test_set: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    learned: bool | None = None
    learning: dict[str, Any] = field(default_factory=dict)
    started_at: str = ""
    finished_at: str = ""
    host: str = ""
    schema: int = SCHEMA

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellResult:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def correct(self) -> np.ndarray:
        """Per-example correctness on the test set (bool array)."""
        return decode_labels(self.y_true) == decode_labels(self.y_pred)


class ResultStore:
    """An append-only JSONL file of CellResults."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __iter__(self) -> Iterator[CellResult]:
        return iter(self.read())

    def read(self) -> list[CellResult]:
        """Every complete record; a damaged line is skipped with a ``CorruptLineWarning`` naming its number."""
        if not self.path.exists():
            return []
        out = []
        with self.path.open("rb") as f:
            for number, raw in enumerate(f, 1):
                if not raw.endswith(b"\n"):
                    break  # an unfinished last line (a killed run): cut off before the next append
                try:
                    out.append(CellResult.from_dict(json.loads(raw)))
                except (ValueError, TypeError) as exc:
                    warnings.warn(f"{self.path}, line {number}: not a result record ({type(exc).__name__}); "
                                  "skipped (delete the line to silence this)", CorruptLineWarning, stacklevel=2)
        return out

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold ``results.jsonl.lock`` for a study's duration: one run per results file.

        A second run on the same file raises TlbenchError at once (nothing computed twice, no duplicate lines).
        The lock is the kernel's (``flock``): it is released when the holder exits, even after ``kill -9``.
        """
        import fcntl

        try:
            if self.path.parent.exists() and not self.path.parent.is_dir():
                raise TlbenchError(f"--out {self.path.parent} is a file: give a directory (results.jsonl is "
                                   "written inside it)")
            if self.path.is_dir():
                raise TlbenchError(f"{self.path} is a folder, not a results file: choose another --out")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise TlbenchError(f"cannot write results to {self.path}: {exc.strerror or exc}; choose another "
                               "--out") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise TlbenchError(f"another tlbench run is writing {self.path}; wait for it to finish or give "
                                   "this one another --out") from None
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def latest(self) -> dict[str, CellResult]:
        """The last record of every key (a rerun after a failure supersedes it)."""
        return {r.key: r for r in self.read()}

    def done_keys(self) -> set[str]:
        return {k for k, r in self.latest().items() if r.status in ("ok", "skipped")}

    def append(self, result: CellResult) -> None:
        line = (json.dumps(result.to_dict(), separators=(",", ":"), default=_json_default) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            _cut_unfinished_line(fd)
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)


def _cut_unfinished_line(fd: int) -> None:
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    # Find the last newline and truncate after it; the partial record is lost, the cell will be rerun.
    pos, step = size, 1 << 16
    while pos > 0:
        start = max(0, pos - step)
        chunk = os.pread(fd, pos - start, start)
        i = chunk.rfind(b"\n")
        if i >= 0:
            os.ftruncate(fd, start + i + 1)
            return
        pos = start
    os.ftruncate(fd, 0)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (set, tuple)):
        return list(obj)
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def load(path: str | Path, *, include_predictions: bool = False):
    """A results file as a pandas DataFrame, one row per cell (the latest record of each key).

    Damaged lines are skipped, each with a ``CorruptLineWarning`` naming its line number.

    Nested fields are flattened with dots (``metrics.accuracy``, ``cost.train_seconds``); per-example predictions
    (``y_true``/``y_pred``) are left out unless ``include_predictions``.
    """
    import pandas as pd

    records = [r.to_dict() for r in ResultStore(Path(path)).latest().values()]
    if not include_predictions:
        for r in records:
            r.pop("y_true", None)
            r.pop("y_pred", None)
    if not records:
        return pd.DataFrame()
    return pd.json_normalize(records, max_level=1)
