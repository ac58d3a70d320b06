"""The plugin registers its components without importing Keras, TensorFlow or torch."""

from __future__ import annotations

import subprocess
import sys

from tlbench.plugins import load_plugins


def test_registers_components():
    plugins = load_plugins()
    info = next(i for i in plugins.infos if i.name == "keras")
    assert info.status == "ok", info.error
    registry = plugins.registry
    assert ("embedding", "glove") in registry and ("encoder", "cnn-doc") in registry
    preset = registry.get("system", "glove-cnn")
    assert preset.parts == {"embedding": "glove", "encoder": "cnn-doc"}


def test_listing_imports_no_heavy_library():
    code = ("import sys; from tlbench.plugins import load_plugins; p = load_plugins(); "
            "assert any(i.name == 'keras' and i.status == 'ok' for i in p.infos); "
            "s = p.registry.create_system('glove-cnn'); s.get_config(); "
            "heavy = [m for m in ('tensorflow', 'keras', 'torch', 'transformers', 'gensim') if m in sys.modules]; "
            "print(heavy); assert not heavy, heavy")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
