import json
import subprocess
import sys

import pytest

from tlbench.errors import ConfigError
from tlbench.plugins import load_plugins


def test_plugin_module_imports_nothing_heavy():
    code = ("import sys, tlbench_elmo.plugin; "
            "heavy = [m for m in ('torch', 'tensorflow', 'transformers', 'gensim') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().replace("'", '"')) == []


def test_registered_presets_create_cheaply():
    registry = load_plugins(allow="elmo").registry
    assert {"elmo", "elmo-chars", "elmo-tiny"} <= set(registry.names("system"))
    assert registry.create_system("elmo-chars").name == "elmo-chars"
    system = registry.create_system("elmo")
    assert system.get_config()["name"] == "elmo" and system.get_config()["dim"] == 128
    assert system.pretrained_ is None  # nothing trained or loaded by the constructor
    tiny = registry.create_system("elmo-tiny", {"finetune_bilm": True})
    assert tiny.name == "elmo-tiny" and tiny.options["finetune_bilm"] is True


@pytest.mark.parametrize("options, message", [
    ({"size": "huge"}, "unknown size"),
    ({"dims": 3}, "unknown option"),
    ({"encoder": "cnn"}, "encoder must be"),
    ({"max_len": 1}, "max_len"),
])
def test_bad_options_are_config_errors(options, message):
    from tlbench_elmo.system import ElmoSystem

    with pytest.raises(ConfigError, match=message):
        ElmoSystem(**options)


def test_feature_cache_budget_defaults_to_a_share_of_memory():
    from tlbench_elmo.system import feature_cache_budget

    assert feature_cache_budget(100) == 100 * 2**20
    assert feature_cache_budget(None) >= 256 * 2**20  # a third of any machine these tests run on
