"""Checks that a component's config comes from its constructor and that the constructor only stores.

Mixed into ``SystemContract`` and ``EmbeddingContract`` (through ``make_component``); see
:mod:`tlbench.configurable` for the rules.
"""

from __future__ import annotations

import inspect

from tlbench.configurable import constructor_parameters, stored_option


class ConfigContract:
    def make_component(self):  # pragma: no cover - provided by the contract that mixes this in
        raise NotImplementedError

    def test_config_has_every_constructor_parameter(self):
        component = self.make_component()
        config = component.get_config()
        params = [p.name for p in constructor_parameters(component)
                  if p.kind is not inspect.Parameter.VAR_KEYWORD]
        missing = [name for name in params if name not in config]
        assert not missing, f"get_config() lacks constructor parameter(s) {missing}: cache keys would ignore them"

    def test_constructor_only_stores(self):
        # A fresh instance with the same options (make_component may return a fitted or loaded one).
        given = self.make_component()
        kwargs: dict = {}
        for p in constructor_parameters(given):
            value = stored_option(given, p.name)
            kwargs.update(value if p.kind is inspect.Parameter.VAR_KEYWORD else {p.name: value})
        component = type(given)(**kwargs)
        params = {p.name for p in constructor_parameters(component)}
        allowed = params | {f"_{p}" for p in params} | {"name"}
        extra = [k for k in vars(component) if k not in allowed and not k.endswith("_")]
        assert not extra, f"the constructor sets {extra}, which are not its parameters"
        computed = [k for k, v in vars(component).items() if k.endswith("_") and v is not None]
        assert not computed, f"the constructor computes {computed}: leave learned state to fit/prepare"
