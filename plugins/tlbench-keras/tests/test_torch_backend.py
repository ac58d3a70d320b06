"""KERAS_BACKEND=torch runs the same system (in a subprocess: the backend is chosen when Keras is imported)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

SCRIPT = """
import json, sys, tempfile
sys.path.insert(0, {tests!r})
import keras
from conftest import TinyEmbedding, keyword_split
from tlbench.device import Device
from tlbench.system import Context
from tlbench_keras.cnn_doc import cnn_doc
c = Context(device=Device("cpu"), seed=0)
system = cnn_doc(TinyEmbedding(), epochs=2, batch_size=16).fit(keyword_split(48, 0), keyword_split(16, 1), c)
proba = system.predict_proba(keyword_split(8, 2).texts)
out = tempfile.mkdtemp()
system.save(out)
again = cnn_doc(TinyEmbedding(), epochs=2).load(out).predict_proba(keyword_split(8, 2).texts)
print(json.dumps({{"backend": keras.backend.backend(), "shape": list(proba.shape),
                  "same": bool(abs(proba - again).max() < 1e-5), "info": c.info["keras_backend"]}}))
"""


def test_torch_backend_fits_predicts_saves():
    env = {**os.environ, "KERAS_BACKEND": "torch", "CUDA_VISIBLE_DEVICES": ""}
    code = SCRIPT.format(tests=str(Path(__file__).parent))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"backend": "torch", "shape": [8, 2], "same": True, "info": "torch"}
