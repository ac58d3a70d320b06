"""The plugin system: built-ins through the same path, broken plugins isolated, lazy heavy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tlbench import hookimpl
from tlbench.errors import UnknownComponent
from tlbench.plugins import load_plugins

CORE_STRATEGIES = {"target-only", "zero-shot", "pooled", "embedding-transfer", "weight-transfer", "fine-tune",
                   "frozen-features", "domain-adaptive"}


def test_core_components_register_through_the_core_plugin():
    plugins = load_plugins(allow="core")
    registry = plugins.registry
    assert {"imdb", "amazon", "rotten-tomatoes", "blitzer"} <= set(registry.names("corpus"))
    assert CORE_STRATEGIES <= set(registry.names("strategy"))
    assert registry.get("system", "tfidf-lr").plugin == "core"
    core = next(i for i in plugins.infos if i.name == "core")
    assert core.status == "ok" and core.dist == "tlbench" and "register_strategies" in core.hooks


def test_unknown_name_gets_a_suggestion():
    registry = load_plugins(allow="core").registry
    with pytest.raises(UnknownComponent, match="did you mean 'tfidf-lr'"):
        registry.create_system("tfidf-rl")
    with pytest.raises(UnknownComponent, match="target-only"):
        registry.create_strategy("target-onyl")


class Duplicate:
    __name__ = "dup"

    @hookimpl
    def register_systems(self, register):
        register("tfidf-lr", "x:y", description="clash")
        register("fresh-name", "tlbench.systems.tfidf_lr:TfidfLR")


class Raising:
    __name__ = "raising"

    @hookimpl
    def register_strategies(self, register):
        raise RuntimeError("boom")


class Misspelt:
    __name__ = "misspelt"

    @hookimpl
    def register_sytems(self, register):  # noqa: D401 - misspelt on purpose
        pass


def test_duplicates_and_raising_hooks_are_reported_not_fatal():
    plugins = load_plugins(allow="core", extra=[Duplicate(), Raising(), Misspelt()])
    infos = {i.name: i for i in plugins.infos}
    assert infos["dup"].status == "broken" and "registered twice" in infos["dup"].error
    assert plugins.registry.get("system", "tfidf-lr").plugin == "core"  # the first registration stays
    assert plugins.registry.get("system", "fresh-name").plugin == "dup"
    assert infos["raising"].status == "broken" and "boom" in infos["raising"].error
    assert infos["misspelt"].status == "broken" and "unknown hook" in infos["misspelt"].error
    assert CORE_STRATEGIES <= set(plugins.registry.names("strategy"))


def _make_dist(root: Path, name: str, module_body: str) -> Path:
    """A throwaway plugin distribution's source tree."""
    pkg = root / name
    (pkg / name).mkdir(parents=True)
    (pkg / name / "__init__.py").write_text("")
    (pkg / name / "plugin.py").write_text(textwrap.dedent(module_body))
    (pkg / "pyproject.toml").write_text(textwrap.dedent(f"""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "{name.replace('_', '-')}"
        version = "1.2.3"
        [project.entry-points.tlbench]
        {name} = "{name}.plugin"
        [tool.setuptools]
        packages = ["{name}"]
    """))
    return pkg


def _pip_install(src: Path, target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(src)], check=True)


def _tlbench(args, site: Path, cwd: Path | None = None, **env):
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path]), **env}
    return subprocess.run([sys.executable, "-m", "tlbench", *args], capture_output=True, text=True, env=environ,
                          timeout=300, cwd=cwd or site)


@pytest.fixture(scope="module")
def installed_plugins(tmp_path_factory):
    """Two plugin packages installed (pip install --target) into a folder on the test's path."""
    root = tmp_path_factory.mktemp("dists")
    site = tmp_path_factory.mktemp("site")
    good = _make_dist(root, "tlb_goodplugin", """
        from tlbench import hookimpl

        class Majority:
            name = "majority"
            def __init__(self):
                pass
            def get_config(self):
                return {"name": self.name}
            def fit(self, train, valid, ctx):
                import numpy as np
                counts = np.bincount(train.labels, minlength=len(train.label_names))
                self.p_ = counts / counts.sum()
                return self
            def predict_proba(self, texts):
                import numpy as np
                return np.tile(self.p_, (len(texts), 1))

        @hookimpl
        def register_systems(register):
            register("majority", Majority, description="predicts the majority class")
    """)
    broken = _make_dist(root, "tlb_brokenplugin", """
        raise ImportError("this plugin needs a library that is not installed")
    """)
    for src in (good, broken):
        _pip_install(src, site)
    return site


def test_installed_plugin_is_listed_and_usable_and_broken_one_is_marked(installed_plugins, tmp_path):
    listing = _tlbench(["list", "--json"], installed_plugins, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    data = json.loads(listing.stdout)
    plugins = {p["name"]: p for p in data["plugins"]}
    assert plugins["tlb_goodplugin"]["status"] == "ok" and plugins["tlb_goodplugin"]["version"] == "1.2.3"
    assert plugins["tlb_brokenplugin"]["status"] == "broken"
    assert "not installed" in plugins["tlb_brokenplugin"]["error"]
    names = {(c["kind"], c["name"]) for c in data["components"]}
    assert ("system", "majority") in names and ("system", "tfidf-lr") in names

    text = _tlbench(["list"], installed_plugins)
    assert "broken plugin tlb_brokenplugin" in text.stdout

    run = _tlbench(["compare", "majority", "--target", "rotten-tomatoes", "--fractions", "0.5", "--seeds", "1",
                    "--max-train", "200", "--max-test", "100", "--out", str(tmp_path), "--device", "cpu",
                    "--json"], installed_plugins, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    (result,) = [json.loads(line) for line in run.stdout.splitlines()]
    assert result["status"] == "ok" and result["system"] == "majority"
    assert result["versions"]["plugins"]["tlb-goodplugin"] == "1.2.3"
    assert 0.4 <= result["metrics"]["accuracy"] <= 0.6


def test_allow_list_disables_other_plugins(installed_plugins):
    listing = _tlbench(["list", "--json"], installed_plugins, TLBENCH_PLUGINS="core")
    plugins = {p["name"]: p for p in json.loads(listing.stdout)["plugins"]}
    assert plugins["tlb_goodplugin"]["status"] == "disabled" and plugins["core"]["status"] == "ok"
    assert "majority" not in {c["name"] for c in json.loads(listing.stdout)["components"]}


def test_list_imports_no_heavy_library():
    code = ("import sys; from tlbench.console import main; main(['list']); "
            "heavy = [m for m in ('tensorflow', 'keras', 'torch', 'transformers', 'gensim', 'numpy', 'rich', "
            "'typer', 'matplotlib', 'sklearn', 'pandas') if m in sys.modules]; "
            "assert not heavy, heavy")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
