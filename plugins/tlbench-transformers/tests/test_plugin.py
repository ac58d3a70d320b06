from __future__ import annotations

import subprocess
import sys

from tlbench.plugins import get_registry


def test_bert_is_registered_lazily():
    component = get_registry().get("system", "bert")
    assert component.factory == "tlbench_transformers.system:BertSystem"


def test_plugin_module_imports_nothing_heavy():
    code = ("import sys, tlbench_transformers.plugin; "
            "print(','.join(m for m in ('torch', 'transformers', 'tensorflow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_creating_a_system_is_cheap_and_has_no_vectors():
    system = get_registry().create_system("bert", {"max_length": 64})
    assert system.get_config()["max_length"] == 64
    assert not hasattr(system, "model_")
    # BERT's word-piece vocabulary is fixed: embedding-transfer does not apply, so the runner skips it.
    assert not hasattr(system, "export_vectors") and not hasattr(system, "import_vectors")
