"""The plugin module tlbench loads through the ``elmo`` entry point. It imports nothing heavy: the system is
registered as a ``"module:attribute"`` string, so torch is imported only when an ELMo system is created."""

from __future__ import annotations

from tlbench import hookimpl


@hookimpl
def register_systems(register) -> None:
    register("elmo", "tlbench_elmo.system:ElmoSystem", options={"size": "small"},
             description="ELMo-style biLM (GloVe-initialised words, 2-layer biLSTM LM) pretrained on the study's "
                         "text; scalar mix of its layers + attention pooling classifier (PyTorch)")
    register("elmo-chars", "tlbench_elmo.system:ElmoSystem", options={"size": "small", "tokens": "chars"},
             description="elmo with ELMo's character-CNN token layer (UTF-8 bytes, highway layers) instead of "
                         "GloVe-initialised word vectors")
    register("elmo-tiny", "tlbench_elmo.system:ElmoSystem", options={"size": "tiny"},
             description="a seconds-sized elmo for smoke tests (tiny biLM, tiny pretraining budget)")
