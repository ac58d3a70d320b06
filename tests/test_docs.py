"""docs/writing-plugins.md cannot drift from the code: every hook and capability is documented, and the example
plugin in it is extracted, tested with its own tests and run in a study (as datasette checks its plugin docs)."""

from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tlbench import hookspecs
from tlbench.plugins import load_plugins
from tlbench.runner import run_study
from tlbench.study import StudySpec
from tlbench.system import CAPABILITIES, Strategy
from tlbench.testing.data import small_sentiment

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "writing-plugins.md"
FILE_BLOCK = re.compile(r"```python\n# ((?:src/tlbench_example|tests)/[\w/]+\.py)\n(.*?)```", re.S)
HOOKS = sorted(name for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("register_"))


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example plugin written out from the guide; its ``plugin`` module imported."""
    root = tmp_path_factory.mktemp("tlbench-example")
    blocks = FILE_BLOCK.findall(GUIDE.read_text())
    assert len(blocks) >= 7, "the guide lost its example files"
    for rel, code in blocks:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(code)
    (root / "src/tlbench_example/__init__.py").write_text("")
    sys.path.insert(0, str(root / "src"))
    try:
        yield root, importlib.import_module("tlbench_example.plugin")
    finally:
        sys.path.remove(str(root / "src"))
        for name in [m for m in sys.modules if m.startswith("tlbench_example")]:
            del sys.modules[name]


def test_every_hook_is_documented():
    guide = GUIDE.read_text()
    assert HOOKS and all(f"`{hook}`" in guide for hook in HOOKS), [h for h in HOOKS if f"`{h}`" not in guide]


def test_every_hook_is_exercised_by_the_example_plugin(example):
    _, plugin = example
    assert [hook for hook in HOOKS if not callable(getattr(plugin, hook, None))] == []


def test_capabilities_and_strategy_protocol_are_documented():
    guide = GUIDE.read_text()
    members = [n for n in [*Strategy.__annotations__, *vars(Strategy)] if not n.startswith("_")]
    missing = [f"`{n}`" for n in [*CAPABILITIES, *members] if f"`{n}" not in guide]
    assert missing == []
    for topic in ("self.options", "Split(texts, labels, label_names)", "`save(path)` gets a directory that already",
                  "`load(path)` is an\ninstance method", "--cache-dir", "tlbench.torch_kit", "source.fitted(ctx)"):
        assert topic in guide, topic


def test_the_example_plugin_passes_its_own_tests(example):
    root, _ = example
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]


def test_the_example_plugin_runs_a_study(example, tmp_path):
    _, plugin = example
    data = tmp_path / "data" / "lines"
    data.mkdir(parents=True)
    reviews = small_sentiment("imdb", "train", 400, seed=3)
    for label, name in enumerate(reviews.label_names):
        texts = [t.replace("\n", " ") for t, y in zip(reviews.texts, reviews.labels) if y == label]
        (data / f"{name}.txt").write_text("\n".join(texts) + "\n")
    registry = load_plugins(extra=[plugin]).registry
    spec = StudySpec(systems=["naive-bayes", "hashed-centroid", "hashed+centroid"], target="lines",
                     strategies=["target-only", "pseudo-label"], fractions=[0.5], seeds=[0],
                     data_dir=str(tmp_path / "data"), cache_dir=str(tmp_path / "cache"), out=str(tmp_path / "out"),
                     device="cpu", strategy_options={"pseudo-label": {"threshold": 0.8}})
    run = run_study(spec, registry)
    assert len(run.results) == 6 and all(r.status == "ok" for r in run.results), [r.error for r in run.results]
    assert {r.system_config["name"] for r in run.results} == {"naive-bayes", "hashed-centroid", "hashed+centroid"}
    nb = [r for r in run.results if r.system == "naive-bayes"]
    assert all(r.metrics["accuracy"] > 0.6 for r in nb), [r.metrics for r in nb]
