"""Shared pieces of the generic strategies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tlbench.configurable import Configurable
from tlbench.errors import Incompatible
from tlbench.system import Context, SourceSide, System, missing_capabilities


class BaseStrategy(Configurable):
    """Stores options (``self.options``: the defaults updated with what the user gave; ``get_config`` is
    ``{"name": ..., **self.options}``), declares capabilities; subclasses implement ``run``."""

    name = "strategy"
    requires: tuple[str, ...] = ()
    uses_source = True
    uses_target = True
    #: Whether ``run`` asks for ``source.fitted(ctx)`` (executors train that model once, before the cells).
    uses_source_model = True

    def __init__(self, **options: Any) -> None:
        unknown = set(options) - set(self.defaults())
        if unknown:
            raise Incompatible(
                f"strategy {self.name} has no option(s) {', '.join(sorted(unknown))}; "
                f"it takes: {', '.join(sorted(self.defaults())) or 'none'}"
            )
        self.options = {**self.defaults(), **options}

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {}

    def unsupported(self, system: System) -> str | None:
        """Why ``system`` cannot run this strategy (None when it can)."""
        missing = missing_capabilities(system, self.requires)
        if missing:
            return f"{system.name} lacks {', '.join(missing)} (needed by {self.name})"
        return None


def need_source(strategy: BaseStrategy, source: SourceSide | None) -> SourceSide:
    if source is None:
        raise Incompatible(f"strategy {strategy.name} needs a source corpus: pass --source")
    return source


def same_labels(source: SourceSide, target_label_names: tuple[str, ...], what: str) -> None:
    if tuple(source.train.label_names) != tuple(target_label_names):
        raise Incompatible(
            f"{what} needs the same labels on both sides; source has {list(source.train.label_names)}, "
            f"target has {list(target_label_names)}; align them with the corpus option label_map, e.g. "
            "-o source.label_map='{negative = \"neg\", positive = \"pos\"}'"
        )


def prepared(new_system: Callable[[], System], train, ctx: Context) -> System:
    """A fresh system with its vocabulary built from the target training texts (where it has that step)."""
    system = new_system()
    prepare = getattr(system, "prepare", None)
    if callable(prepare):
        prepare(train, ctx)
    return system


def carry_vectors(system: System, source_model: System, ctx: Context) -> None:
    """Copy learned vectors of shared words from the source model, when both ends can; record the count."""
    if callable(getattr(system, "import_vectors", None)) and callable(getattr(source_model, "export_vectors", None)):
        ctx.info["vectors_updated"] = int(system.import_vectors(source_model.export_vectors()))
