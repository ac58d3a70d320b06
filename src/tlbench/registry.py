"""The typed registry: name -> factory for each kind of component.

Factories stay lazy: a ``"module:attribute"`` string is imported only when the component is created, so listing
components imports no heavy library. Duplicate names are an error; unknown names get a "did you mean".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple

from tlbench.errors import ConfigError, UnknownComponent

KINDS = ("corpus", "embedding", "encoder", "system", "strategy")


class Component(NamedTuple):
    """One registered component (a NamedTuple rather than a dataclass: ``tlbench list`` pays every import)."""

    kind: str
    name: str
    factory: Callable[..., Any] | str | None
    description: str = ""
    plugin: str = ""
    dist: str = ""
    version: str = ""
    #: For systems composed of parts: {"embedding": ..., "encoder": ...}.
    parts: dict[str, str] = {}
    #: Default options for the factory.
    options: dict[str, Any] = {}

    def resolve(self) -> Callable[..., Any]:
        """The factory itself, importing its module now if it was given as ``"module:attribute"``."""
        if callable(self.factory):
            return self.factory
        if not isinstance(self.factory, str) or ":" not in self.factory:
            raise ConfigError(f"{self.kind} {self.name!r} has no usable factory ({self.factory!r})")
        module, _, attr = self.factory.partition(":")
        try:
            obj: Any = importlib.import_module(module)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except ImportError as exc:
            raise ConfigError(
                f"{self.kind} {self.name!r} (plugin {self.dist or self.plugin}) cannot be loaded: {exc}; "
                f"install the plugin's dependencies (pip install {self.dist or self.plugin})"
            ) from exc
        return obj


class DuplicateName(ConfigError):
    pass


def suggest(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    if close:
        return f"did you mean {' or '.join(repr(c) for c in close)}?"
    return f"known: {', '.join(sorted(known)) or 'none'}" if len(known) <= 12 else "run `tlbench list` to see them"


def check_options(factory: Callable[..., Any], options: dict[str, Any], what: str) -> None:
    """Raise ConfigError, listing the options ``factory`` takes, when ``options`` names one it does not take
    (a factory with ``**kwargs`` or without a readable signature is not checked)."""
    import inspect

    try:
        params = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    taken = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = sorted(set(options) - set(taken))
    if unknown:
        hint = suggest(unknown[0], taken) if len(unknown) == 1 else ""
        raise ConfigError(f"{what} has no option {', '.join(unknown)}{' (' + hint + ')' if 'did you' in hint else ''}; "
                          f"it takes: {', '.join(taken) or 'none'}")
    for p in params:
        value, kind = options.get(p.name), p.annotation
        # a word where a number or a switch is expected: say so now, not as a TypeError inside training
        if isinstance(value, str) and isinstance(kind, str) and "str" not in kind and "Any" not in kind \
                and any(t in kind for t in ("int", "float", "bool")):
            raise ConfigError(f"{what}: option {p.name} takes {kind}, not the text {value!r}")


def _named(system: Any, name: str) -> Any:
    """A composed system answers to the name the user typed (its results and config carry that name)."""
    system.name = name
    return system


class Registry:
    """Components by kind and name."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}

    def add(self, component: Component) -> None:
        if component.kind not in self._items:
            raise ValueError(f"unknown component kind {component.kind!r}")
        if not component.name or any(c.isspace() for c in component.name) or "+" in component.name:
            raise ConfigError(f"invalid {component.kind} name {component.name!r}: no spaces or '+'")
        existing = self._items[component.kind].get(component.name)
        if existing is not None:
            raise DuplicateName(
                f"{component.kind} {component.name!r} is registered twice "
                f"(by {existing.plugin} and by {component.plugin})"
            )
        self._items[component.kind][component.name] = component

    def names(self, kind: str) -> list[str]:
        return sorted(self._items[kind])

    def components(self, kind: str | None = None) -> list[Component]:
        kinds = [kind] if kind else list(KINDS)
        return [self._items[k][n] for k in kinds for n in sorted(self._items[k])]

    def get(self, kind: str, name: str) -> Component:
        base = name.split(":", 1)[0] if kind == "corpus" else name
        try:
            return self._items[kind][base]
        except KeyError:
            raise UnknownComponent(f"unknown {kind} {name!r}: {suggest(base, self.names(kind))}") from None

    def __contains__(self, key: tuple[str, str]) -> bool:
        kind, name = key
        return name in self._items.get(kind, {})

    # -- creating components ---------------------------------------------------------------------------
    def create_system(self, name: str, options: dict[str, Any] | None = None) -> Any:
        """A fresh System for a preset name or an ``EMBEDDING+ENCODER`` composition.

        Options prefixed ``embedding.`` / ``encoder.`` go to that part; others go to the preset's factory (or,
        for compositions, to the encoder).
        """
        options = dict(options or {})
        if "+" in name:
            embedding_name, _, encoder_name = name.partition("+")
            return _named(self._compose(embedding_name, encoder_name, {}, options), name)
        component = self.get("system", name)
        if component.parts:
            return _named(self._compose(component.parts["embedding"], component.parts["encoder"],
                                        component.options, options), name)
        merged = {**component.options, **options}
        factory = component.resolve()
        check_options(factory, merged, f"system {name}")
        return factory(**merged)

    def _compose(self, embedding_name: str, encoder_name: str, defaults: dict, options: dict) -> Any:
        merged = {**defaults, **options}
        emb_opts = {k.split(".", 1)[1]: v for k, v in merged.items() if k.startswith("embedding.")}
        enc_opts = {k.split(".", 1)[1] if k.startswith("encoder.") else k: v
                    for k, v in merged.items() if not k.startswith("embedding.")}
        encoder = self.get("encoder", encoder_name).resolve()
        check_options(encoder, {"embedding": None, **enc_opts}, f"encoder {encoder_name}")
        embedding = None
        if embedding_name and embedding_name != "none":
            factory = self.get("embedding", embedding_name).resolve()
            check_options(factory, emb_opts, f"embedding {embedding_name} (options embedding.NAME)")
            embedding = factory(**emb_opts)
        return encoder(embedding=embedding, **enc_opts)

    def create_strategy(self, name: str, options: dict[str, Any] | None = None) -> Any:
        return self.get("strategy", name).resolve()(**(options or {}))

    def system_exists(self, name: str) -> None:
        """Raise UnknownComponent unless ``name`` is a preset or a composition of registered parts."""
        if "+" in name:
            emb, _, enc = name.partition("+")
            if emb != "none":
                self.get("embedding", emb)
            self.get("encoder", enc)
        else:
            self.get("system", name)
