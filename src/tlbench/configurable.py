"""A component's configuration, derived from its constructor's signature (scikit-learn's ``get_params`` idea).

Cache keys and result records are built from ``get_config()``, so an option missing from it would silently reuse
results trained with another value. Deriving the config from the signature means a new constructor parameter is
in the config the moment it exists. The rules: the constructor stores each parameter ``p`` as ``self.p`` (or
``self._p`` when a property of that name computes something else); a ``**options`` parameter is stored, resolved,
as ``self.options`` and merged into the config; a value with ``get_config()`` (an embedding) contributes its own
config; tuples become lists so the config is JSON.
"""

from __future__ import annotations

import inspect
from typing import Any


def constructor_parameters(obj: Any) -> list[inspect.Parameter]:
    """The constructor parameters of ``obj`` after ``self`` (``*args`` excluded). A ``**options`` the object does
    not store (a subclass passing options on to its base) stands for the base class's parameters."""
    out: list[inspect.Parameter] = []
    for klass in type(obj).__mro__:
        if "__init__" not in vars(klass) or klass is object:
            continue
        params = list(inspect.signature(klass.__init__).parameters.values())[1:]
        forwarded = False
        for p in params:
            if p.kind is inspect.Parameter.VAR_POSITIONAL or any(p.name == q.name for q in out):
                continue
            if p.kind is inspect.Parameter.VAR_KEYWORD and p.name not in vars(obj):
                forwarded = True
                continue
            out.append(p)
        if not forwarded:
            break
    return out


def stored_option(obj: Any, name: str) -> Any:
    """What the constructor stored for parameter ``name``: ``self.name``, else ``self._name``."""
    if name in vars(obj):
        return vars(obj)[name]
    if f"_{name}" in vars(obj):
        return vars(obj)[f"_{name}"]
    raise AttributeError(f"{type(obj).__name__} does not store its constructor parameter {name!r} "
                         f"(as self.{name} or self._{name})")


def plain(value: Any) -> Any:
    """``value`` as JSON-able config: components give their own config, tuples become lists."""
    if callable(getattr(value, "get_config", None)):
        return value.get_config()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def signature_config(obj: Any) -> dict[str, Any]:
    """``{"name": obj.name, <every constructor parameter>: <its stored value>}``."""
    config: dict[str, Any] = {"name": obj.name}
    for param in constructor_parameters(obj):
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            config.update(plain(stored_option(obj, param.name)))
        else:
            config[param.name] = plain(stored_option(obj, param.name))
    return config


class Configurable:
    """Mixin: ``get_config()`` from the constructor's signature, plus what ``config_extra()`` adds (derived facts
    that change results, such as the vector size read from a file)."""

    name: str

    def get_config(self) -> dict[str, Any]:
        return {**signature_config(self), **self.config_extra()}

    def config_extra(self) -> dict[str, Any]:
        return {}
