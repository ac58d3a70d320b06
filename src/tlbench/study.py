"""A study: the grid of cells (system × strategy × fraction × seed) that ``tlbench compare`` runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tlbench.errors import ConfigError

DEFAULT_FRACTIONS = (0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass
class StudySpec:
    """Everything that defines a study; JSON-able so an executor can ship it to other processes."""

    systems: list[str]
    target: str
    source: str | None = None
    strategies: list[str] = field(default_factory=lambda: ["target-only"])
    fractions: list[float] = field(default_factory=lambda: list(DEFAULT_FRACTIONS))
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    system_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    strategy_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    corpus_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    valid_fraction: float = 0.1
    #: Fixed stratified slices, for demos and tests: at most this many target-train / test / source-train texts.
    max_train: int | None = None
    max_test: int | None = None
    max_source: int | None = None
    data_dir: str | None = None
    cache_dir: str | None = None
    device: str = "auto"
    out: str = "tlbench-runs"
    allow_download: bool = False
    #: How many times a failed cell is tried again within one run (Ray executor; local runs retry on rerun).
    retries: int = 0

    def __post_init__(self) -> None:
        if not self.systems:
            raise ConfigError("no system given: name at least one, e.g. `tlbench compare tfidf-lr ...`")
        if not self.strategies:
            raise ConfigError("no strategy given: e.g. --strategy target-only,zero-shot")
        for f in self.fractions:
            if not 0 < float(f) <= 1:
                raise ConfigError(f"fraction {f} is outside (0, 1]: use e.g. --fractions 0.05,0.1,1.0")
        if not self.seeds:
            raise ConfigError("no seeds: use --seeds N (N >= 1)")
        for name, value in (("max-train", self.max_train), ("max-test", self.max_test),
                            ("max-source", self.max_source)):
            if value is not None and value < 2:
                raise ConfigError(f"--{name} {value} is too small: give at least 2 (one per class)")
        self.fractions = sorted({float(f) for f in self.fractions})

    @property
    def results_path(self) -> Path:
        return Path(self.out) / "results.jsonl"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudySpec:
        return cls(**data)
