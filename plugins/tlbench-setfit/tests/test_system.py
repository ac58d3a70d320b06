"""What setfit and minilm-lr promise beyond the contract: bounded body training, the round trip without pickles,
fine-tune from a source model, the registry names, a quiet console."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import make

from tlbench.device import Device
from tlbench.system import Context
from tlbench.testing import small_sentiment


@pytest.fixture(scope="module")
def splits():
    train = small_sentiment("imdb", "train", 32, seed=0)
    valid = small_sentiment("imdb", "train", 24, seed=1)
    test = small_sentiment("rotten-tomatoes", "train", 24, seed=0)
    return train, valid, test


def test_pairs_bound_the_body_training_and_change_the_body(splits, tmp_path):
    train, valid, test = splits
    frozen = make("minilm-lr").fit(train, valid, Context(device=Device("cpu"), workdir=tmp_path))
    ctx = Context(device=Device("cpu"), workdir=tmp_path)
    tuned = make("setfit", pairs=24).fit(train, valid, ctx)
    assert ctx.info["contrastive_steps"] == 3 and ctx.info["contrastive_pairs"] == 24  # ceil(24 / batch 8)
    a, b = frozen._encode(list(test.texts)), tuned._encode(list(test.texts))
    assert a.shape == b.shape and not np.allclose(a, b, atol=1e-4)


def test_round_trip_is_safetensors_and_json(splits, tmp_path):
    train, valid, test = splits
    system = make("setfit", pairs=8).fit(train, valid, Context(device=Device("cpu"), workdir=tmp_path))
    system.save(tmp_path)
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert "head.safetensors" in files and "body/model.safetensors" in files
    assert not [f for f in files if f.endswith((".pkl", ".pt", ".bin", ".joblib"))]
    assert json.loads((tmp_path / "setfit.json").read_text())["touched"] is True
    restored = make("setfit", pairs=8).load(tmp_path)
    assert np.allclose(restored.predict_proba(list(test.texts)), system.predict_proba(list(test.texts)), atol=1e-5)


def test_fine_tune_starts_from_the_source_body(splits, tmp_path):
    train, valid, test = splits
    source = make("setfit", pairs=8).fit(train, valid, Context(device=Device("cpu"), workdir=tmp_path))
    target = make("setfit", pairs=8)
    assert target.init_from(source, include_head=False, freeze_encoder=True) > 10
    target.fit(valid, None, Context(device=Device("cpu"), workdir=tmp_path))
    texts = list(test.texts)
    assert np.allclose(target._encode(texts), source._encode(texts), atol=1e-5)  # frozen: the source's body


def test_registered_and_listed_without_heavy_imports():
    code = ("import sys; from tlbench.plugins import get_registry; r = get_registry(); "
            "print(sorted(n for n in r.names('system') if n in ('setfit', 'minilm-lr'))); "
            "print([m for m in ('torch', 'setfit', 'sentence_transformers') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["['minilm-lr', 'setfit']", "[]"]


def test_console_stays_quiet(tmp_path):
    code = ("from tlbench.system import Context; from tlbench.device import Device; "
            "from tlbench.testing import small_sentiment; from tlbench_setfit.system import SetFitSystem; "
            "t = small_sentiment('imdb', 'train', 16, seed=0); "
            f"s = SetFitSystem(pairs=8, batch_size=8, max_length=16).fit(t, t, Context(device=Device('cpu'), "
            f"workdir=__import__('pathlib').Path({str(tmp_path)!r}))); s.predict_proba(['fine'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "" and done.stderr.strip() == "", (done.stdout + done.stderr)[-2000:]


def test_contrastive_step_reads_train_max_length_then_encoding_max_length(splits, tmp_path):
    train, valid, _ = splits
    system = make("setfit", pairs=16, train_max_length=24, max_length=40)
    seen = []
    ctx = Context(device=Device("cpu"), workdir=tmp_path, progress=lambda event: seen.append(system.body_.max_seq_length))
    system.fit(train, valid, ctx)
    assert seen and set(seen) == {24}  # every contrastive step saw 24 word pieces
    assert system.body_.max_seq_length == 40  # encoding (head, predictions) at max_length


@pytest.mark.parametrize("precision, min_cosine", [("bfloat16", 0.99), ("int8", 0.8)])
def test_cpu_precisions_encode_close_to_float32_without_touching_the_body(splits, precision, min_cosine):
    _, _, test = splits
    texts = list(test.texts)
    ref = make("minilm-lr", precision="float32")
    ref._body("cpu")
    fast = make("minilm-lr", precision=precision)
    fast._body("cpu")
    a, b = ref._encode(texts), fast._encode(texts)
    cosine = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert cosine.min() > min_cosine and not np.array_equal(a, b)  # the variant really encoded, and closely
    assert next(fast.body_.parameters()).dtype == next(ref.body_.parameters()).dtype  # the body stays float32


def test_unknown_precision_is_one_line_before_training(splits, tmp_path):
    from tlbench.errors import ConfigError

    train, valid, _ = splits
    steps = []
    ctx = Context(device=Device("cpu"), workdir=tmp_path, progress=steps.append)
    with pytest.raises(ConfigError, match="precision='fp8' is not one of auto, float32, bfloat16, int8"):
        make("setfit", pairs=16, precision="fp8").fit(train, valid, ctx)
    assert steps == []
