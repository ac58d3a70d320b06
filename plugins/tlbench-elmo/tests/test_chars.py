"""The character-CNN token layer (``tokens=chars``): spellings, open ids, training, persistence."""

import math

import numpy as np
import pytest
import torch

from tlbench.device import Device
from tlbench.errors import ConfigError
from tlbench.system import Context
from tlbench.testing import small_sentiment
from tlbench_elmo.bilm import BiLM, BiLMConfig
from tlbench_elmo.pretrain import Pretrained, pretrained_bilm
from tlbench_elmo.presets import resolve
from tlbench_elmo.system import ElmoSystem, load_system
from tlbench_elmo.vocab import BOW, BYTE0, EOS, EOW, UNK, Vocab


def vocab():
    return Vocab.build([["the", "film", "was", "good", "the", "film"]], size=10)


def test_open_ids_give_unknown_words_their_own_ids_and_spellings():
    v = vocab()
    assert v.ids(["film", "zzqxv"]) == [v.index["film"], UNK]
    ids = v.open_ids(["film", "zzqxv", "😀", "zzqxv"])
    assert ids[0] == v.index["film"] and ids[1] == ids[3] == len(v) and ids[2] == len(v) + 1
    assert v.word(ids[2]) == "😀"
    chars = v.spellings([ids[0], ids[2], EOS, 0], max_chars=3)
    assert chars.shape == (4, 5)
    assert chars[0].tolist() == [BOW, BYTE0 + ord("f"), BYTE0 + ord("i"), BYTE0 + ord("l"), EOW]  # cut to 3 bytes
    assert chars[1].tolist()[:4] == [BOW, *(BYTE0 + b for b in "😀".encode()[:3])]  # UTF-8 bytes, any character
    assert chars[2].tolist()[0] == BOW and chars[2].tolist()[2] == EOW
    assert chars[3].tolist() == [0] * 5  # padding


def test_char_cnn_reads_spellings_of_words_outside_the_vocabulary():
    torch.manual_seed(0)
    v = vocab()
    pre = Pretrained(BiLM(BiLMConfig(len(v), 8, 8, tokens="chars", max_chars=10)).eval(), v, "k")
    ids = torch.tensor([pre.ids(["</s>", "zzqxv", "qqwwe", "film", "</s>"])])
    assert (ids[0, 1:3] >= len(v)).all()
    x = pre.layers(ids, torch.tensor([5]))[0][0]
    assert not torch.allclose(x[1], x[2])  # two unknown words, two vectors
    words = Pretrained(BiLM(BiLMConfig(len(v), 8, 8)).eval(), v, "k")
    unk = torch.tensor([words.ids(["</s>", "zzqxv", "qqwwe", "film", "</s>"])])
    assert unk[0, 1] == unk[0, 2] == UNK
    with pytest.raises(ValueError, match="spell"):
        pre.bilm.layers(ids, torch.tensor([5]))


def test_char_cnn_layers_do_not_depend_on_padding():
    torch.manual_seed(0)
    v = vocab()
    pre = Pretrained(BiLM(BiLMConfig(len(v), 8, 8, tokens="chars")).eval(), v, "k")
    short = torch.tensor([pre.ids(["the", "film", "abc"])])
    alone = pre.layers(short, torch.tensor([3]))
    batch = torch.tensor([[*short[0].tolist(), 0, 0], pre.ids(["was", "good", "x", "y", "z"])])
    padded = pre.layers(batch, torch.tensor([3, 5]))
    for a, p in zip(alone, padded):
        assert torch.allclose(a[0], p[0, :3], atol=1e-5)


def test_char_bilm_pretrains_reports_perplexity_and_round_trips(tmp_path, fresh_memo):
    texts = list(small_sentiment("imdb", "train", 80).texts)
    options = resolve("tiny", {"tokens": "chars", "max_tokens": 4000, "cpu_threads": 1})
    ctx = Context(device=Device("cpu"), seed=0)
    pre = pretrained_bilm(texts, options, ctx)
    assert pre.bilm.uses_chars and not hasattr(pre.bilm, "token_proj")
    assert math.isfinite(pre.info["lm_perplexity"]) and 1 < pre.info["lm_perplexity"] < len(pre.vocab)
    words = pretrained_bilm(texts, resolve("tiny", {"max_tokens": 4000, "cpu_threads": 1}), ctx)
    assert words.key != pre.key  # the token layer is part of the cache key
    pre.save(tmp_path)
    back = Pretrained.load(tmp_path)
    back.bilm.eval(), pre.bilm.eval()
    words = ["</s>", "the", "unheardofword", "</s>"]  # open ids are per vocabulary object: encode with each
    mine, theirs = torch.tensor([pre.ids(words)]), torch.tensor([back.ids(words)])
    for a, b in zip(pre.layers(mine, torch.tensor([4])), back.layers(theirs, torch.tensor([4]))):
        assert torch.allclose(a, b)


def test_elmo_chars_system_saves_and_loads(tmp_path):
    train = small_sentiment("imdb", "train", 80, seed=2)
    system = ElmoSystem("tiny", tokens="chars", epochs=1, max_tokens=3000, max_len=64, cpu_threads=1)
    assert system.name == "elmo-tiny-chars"
    system.fit(train, None, Context(device=Device("cpu"), seed=0, unlabeled=list(train.texts)))
    system.save(tmp_path)
    restored = load_system(tmp_path)
    texts = ["A never-seen-before wordzzz 😀", "", "good film"]
    assert np.allclose(restored.predict_proba(texts), system.predict_proba(texts), atol=1e-6)


def test_mixing_token_layers_is_refused_and_bad_options_are_config_errors(fresh_memo):
    train = small_sentiment("imdb", "train", 60, seed=2)
    words = ElmoSystem("tiny", epochs=1, max_tokens=2000, max_len=64, cpu_threads=1)
    words.fit(train, None, Context(device=Device("cpu"), seed=0))
    from tlbench.errors import Incompatible

    with pytest.raises(Incompatible, match="tokens=words"):
        ElmoSystem("tiny", tokens="chars").import_embedding(words)
    with pytest.raises(ConfigError, match="tokens must be"):
        ElmoSystem(tokens="bytes")
    with pytest.raises(ConfigError, match="max_chars"):
        ElmoSystem(max_chars=0)
