import math

import numpy as np
import pytest
import torch

from tlbench.cache import ContentCache
from tlbench.device import Device
from tlbench.errors import DataError
from tlbench.system import Context
from tlbench.testing import small_sentiment
from tlbench_elmo.bilm import BiLM, BiLMConfig, reverse_padded
from tlbench_elmo.presets import resolve
from tlbench_elmo.pretrain import Pretrained, pretrained_bilm


def test_reverse_padded_reverses_within_length():
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    out = reverse_padded(x, torch.tensor([3, 2]))
    assert out.tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]


def test_layers_do_not_depend_on_padding():
    torch.manual_seed(0)
    bilm = BiLM(BiLMConfig(vocab_size=50, dim=8, hidden=8)).eval()
    short = torch.tensor([[5, 6, 7]])
    alone = bilm.layers(short, torch.tensor([3]))
    batch = torch.tensor([[5, 6, 7, 0, 0], [9, 8, 7, 6, 5]])
    padded = bilm.layers(batch, torch.tensor([3, 5]))
    assert len(alone) == 3 and alone[2].shape == (1, 3, 16)
    for a, p in zip(alone, padded):
        assert torch.allclose(a[0], p[0, :3], atol=1e-5)


def test_sampled_softmax_trains_the_full_softmax_loss_down():
    torch.manual_seed(0)
    bilm = BiLM(BiLMConfig(vocab_size=200, dim=16, hidden=16, dropout=0.0))
    # A repeating sequence is learnable; the full-softmax loss must fall well below log(V).
    windows = (torch.arange(17).unsqueeze(0) + torch.arange(64).unsqueeze(1)) % 20 + 3
    opt = torch.optim.Adam(bilm.parameters(), lr=1e-2)
    for _ in range(80):
        loss = bilm.lm_loss(windows, num_samples=32)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert bilm.heldout_nll(windows) < 0.5 * math.log(200)


def tiny(options):
    return resolve("tiny", {"cpu_threads": 1, **options})


def _ctx(tmp_path=None, seed=0):
    return Context(device=Device("cpu"), seed=seed, cache=ContentCache(tmp_path) if tmp_path else None)


def test_pretraining_reports_heldout_perplexity_and_is_cached_by_content(tmp_path, fresh_memo):
    texts = list(small_sentiment("imdb", "train", 120).texts)
    options = tiny({"max_tokens": 8000})
    first = pretrained_bilm(texts, options, _ctx(tmp_path, seed=0))
    ppl = first.info["lm_perplexity"]
    assert math.isfinite(ppl) and 1.0 < ppl < len(first.vocab)
    assert first.info["lm_heldout_tokens"] > 0 and first.info["lm_tokens_trained"] >= 8000
    # The held-out documents are not in the training stream.
    assert first.info["lm_train_texts"] < len(texts)
    fresh_memo_dict = __import__("tlbench_elmo.pretrain", fromlist=["_MEMO"])._MEMO
    fresh_memo_dict.clear()
    again = pretrained_bilm(texts, options, _ctx(tmp_path, seed=7))  # another cell seed: same biLM
    assert again.info.get("from_cache") is True and again.key == first.key
    for (k, a), b in zip(first.bilm.state_dict().items(), again.bilm.state_dict().values()):
        assert torch.equal(a, b), k
    other = pretrained_bilm(texts[:-5], options, _ctx(tmp_path))
    assert other.key != first.key


def test_saved_bilm_loads_by_path(tmp_path, fresh_memo):
    texts = list(small_sentiment("imdb", "train", 60).texts)
    p = pretrained_bilm(texts, tiny({"max_tokens": 2000}), _ctx())
    p.save(tmp_path)
    assert (tmp_path / "bilm.safetensors").exists() and (tmp_path / "bilm.json").exists()
    q = Pretrained.load(tmp_path)
    ids = torch.tensor([[2, 5, 6, 7, 2]])
    for a, b in zip(p.bilm.eval().layers(ids, torch.tensor([5])), q.bilm.eval().layers(ids, torch.tensor([5]))):
        assert torch.allclose(a, b)
    with pytest.raises(DataError, match="no saved biLM"):
        Pretrained.load(tmp_path / "nothing")


def test_pretraining_text_without_tokens_is_a_data_error(fresh_memo):
    with pytest.raises(DataError, match="has a word token"):
        pretrained_bilm(["", "  ", "..."], tiny({}), _ctx())


def test_glove_initialises_known_words(fresh_memo):
    texts = list(small_sentiment("imdb", "train", 40).texts)
    p = pretrained_bilm(texts, tiny({"max_steps": 1}), _ctx())
    assert p.info["glove_words"] > 0.8 * (len(p.vocab) - 3)
    assert np.isfinite(p.bilm.embed.weight.detach().numpy()).all()
