"""The plugin manager: entry points in the ``tlbench`` group, loaded one by one so a broken plugin is reported
and every other plugin still works.

``TLBENCH_PLUGINS`` (comma-separated entry-point names) allow-lists which plugins load; the core's own
built-ins (entry point ``core``) always load, from tlbench itself, through the same registration path as any third
party's. The name ``core`` is reserved: another distribution's entry point of that name is reported as broken.
"""

from __future__ import annotations

import importlib
import os
from functools import lru_cache
from typing import Any, NamedTuple

import pluggy

from tlbench import hookspecs
from tlbench.entrypoints import EntryPointInfo, entry_points
from tlbench.registry import Component, Registry

GROUP = "tlbench"
ALLOW_ENV = "TLBENCH_PLUGINS"
#: Comma-separated ``module:attribute`` plugin objects to register besides the entry points (tests, Ray workers).
EXTRA_ENV = "TLBENCH_EXTRA_PLUGINS"
CORE = "core"
BUILTIN_MODULE = "tlbench.builtin"

#: Hook name -> component kind.
HOOKS = {
    "register_corpora": "corpus",
    "register_embeddings": "embedding",
    "register_encoders": "encoder",
    "register_systems": "system",
    "register_strategies": "strategy",
}


class PluginInfo:
    """One plugin as ``tlbench list`` shows it: ``status`` is ok, broken (with ``error``) or disabled."""

    def __init__(self, name: str, dist: str = "", version: str = "", status: str = "ok", error: str = "") -> None:
        self.name, self.dist, self.version, self.status, self.error = name, dist, version, status, error
        self.hooks: list[str] = []

    def __repr__(self) -> str:
        return f"PluginInfo({self.name!r}, {self.dist!r}, {self.version!r}, {self.status!r}, {self.error!r})"

    def fail(self, message: str) -> None:
        self.status = "broken"
        self.error = f"{self.error}; {message}" if self.error else message


class Plugins(NamedTuple):
    manager: pluggy.PluginManager
    registry: Registry
    infos: list[PluginInfo]


def _one_line(exc: BaseException) -> str:
    import traceback

    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}".replace("\n", " ")


def _entry_points(infos: list[PluginInfo]) -> list[EntryPointInfo]:
    """The entry points to load, the core's built-ins first and always from tlbench itself.

    Another distribution's entry point named ``core`` is reported as broken and not loaded: it must never
    replace (or shadow) the built-ins.
    """
    from tlbench import __version__

    eps = [EntryPointInfo(CORE, BUILTIN_MODULE, "tlbench", __version__)]
    for ep in sorted(entry_points(GROUP), key=lambda ep: ep.name):
        if ep.name != CORE:
            eps.append(ep)
        elif ep.dist.lower() != "tlbench" or ep.value != BUILTIN_MODULE:
            info = PluginInfo(ep.name, ep.dist, ep.version)
            info.fail(f"entry point name {CORE!r} is reserved for tlbench's built-ins; rename it in "
                      f"{ep.dist or 'its distribution'}'s entry points")
            infos.append(info)
    return eps


def _register_entry_points(pm: pluggy.PluginManager, infos: list[PluginInfo], allowed: set[str] | None) -> None:
    seen: set[str] = set()
    for ep in _entry_points(infos):
        info = PluginInfo(ep.name, ep.dist, ep.version)
        infos.append(info)
        if ep.name in seen:
            info.fail(f"entry point name {ep.name!r} is already taken by another distribution")
            continue
        seen.add(ep.name)
        if allowed is not None and ep.name != CORE and ep.name not in allowed:
            info.status = "disabled"
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:  # a broken plugin must never take the others down
            info.fail(f"failed to load: {_one_line(exc)}")


def _extra_objects(extra: list[Any] | None, infos: list[PluginInfo]) -> list[Any]:
    """``extra`` as given, else the objects ``$TLBENCH_EXTRA_PLUGINS`` names (unloadable ones reported)."""
    if extra is not None:
        return list(extra)
    objects: list[Any] = []
    for ref in filter(None, (r.strip() for r in os.environ.get(EXTRA_ENV, "").split(","))):
        try:
            module, _, attr = ref.partition(":")
            if not module or not attr:
                raise ValueError("not 'module:attribute'")
            obj: Any = importlib.import_module(module)
            for part in filter(None, attr.split(".")):
                obj = getattr(obj, part)
            objects.append(obj)
        except Exception as exc:
            info = PluginInfo(ref)
            info.fail(f"{EXTRA_ENV} entry cannot be loaded: {_one_line(exc)}")
            infos.append(info)
    return objects


def extra_plugin_problems() -> list[str]:
    """One line per ``$TLBENCH_EXTRA_PLUGINS`` entry that cannot be loaded in this process (the Ray executor
    refuses to start on any: its workers load the same entries)."""
    infos: list[PluginInfo] = []
    _extra_objects(None, infos)
    return [f"{info.name}: {info.error}" for info in infos]


def _check_hooks(pm: pluggy.PluginManager, infos: list[PluginInfo]) -> None:
    """Unregister (and report) a plugin that implements hooks tlbench does not have."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        bad = getattr(exc, "plugin", None)
        for info in infos:
            if bad is not None and pm.get_plugin(info.name) is bad:
                info.fail(f"implements unknown hooks: {exc}")
                pm.unregister(bad)


def _build_registry(pm: pluggy.PluginManager, infos: list[PluginInfo]) -> Registry:
    registry = Registry()
    by_name: dict[str, PluginInfo] = {}
    for info in infos:  # a name reported as taken or reserved must not collect the hooks of the one loaded
        if info.status != "broken":
            by_name.setdefault(info.name, info)
    for hook_name, kind in HOOKS.items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            info = by_name.get(impl.plugin_name) or PluginInfo(impl.plugin_name)
            info.hooks.append(hook_name)
            try:
                impl.function(register=_registrar(registry, kind, info))
            except Exception as exc:
                info.fail(f"{hook_name} raised {_one_line(exc)}")
    return registry


def load_plugins(allow: str | None = None, extra: list[Any] | None = None) -> Plugins:
    """Load every plugin and build the registry.

    :param allow: comma-separated plugin names to load (default: ``$TLBENCH_PLUGINS``, or all).
    :param extra: plugin objects to register directly (tests use throwaway plugin classes); when None,
        ``$TLBENCH_EXTRA_PLUGINS`` (comma-separated ``module:attribute``) names them.
    """
    allow = os.environ.get(ALLOW_ENV) if allow is None else allow
    allowed = {a.strip() for a in allow.split(",") if a.strip()} if allow else None
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    _register_entry_points(pm, infos, allowed)
    for i, obj in enumerate(_extra_objects(extra, infos)):
        name = getattr(obj, "__name__", None) or f"{type(obj).__name__}-{i}"
        infos.append(PluginInfo(name, "", ""))
        pm.register(obj, name=name)
    _check_hooks(pm, infos)
    return Plugins(pm, _build_registry(pm, infos), infos)


def _registrar(registry: Registry, kind: str, info: PluginInfo):
    def register(name: str, factory: Any = None, *, description: str = "", embedding: str | None = None,
                 encoder: str | None = None, options: dict[str, Any] | None = None) -> None:
        parts = {}
        if kind == "system" and (embedding or encoder):
            if not encoder:
                raise ValueError(f"system {name!r}: a composed preset needs an encoder")
            parts = {"embedding": embedding or "none", "encoder": encoder}
        elif factory is None:
            raise ValueError(f"{kind} {name!r}: register() needs a factory")
        try:
            registry.add(Component(kind, name, factory, description, info.name, info.dist, info.version,
                                   parts, dict(options or {})))
        except Exception as exc:  # duplicates: record on the plugin, keep the first registration
            info.fail(str(exc))

    return register


@lru_cache(maxsize=1)
def default_plugins() -> Plugins:
    """The process-wide plugins and registry (loaded once)."""
    return load_plugins()


def get_registry() -> Registry:
    return default_plugins().registry

