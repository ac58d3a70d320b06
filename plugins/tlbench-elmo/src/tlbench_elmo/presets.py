"""Size presets of the biLM and its pretraining budget (plain data: no torch import).

``small`` is the preset the ``elmo`` system uses: sized so that its pretraining fits in 15 minutes on two CPU
cores (``max_minutes`` is a hard stop; the token budget normally ends it first, see docs/elmo.md). ``tiny`` pretrains
in seconds for tests. ``base`` is for a GPU or a patient user.
"""

from __future__ import annotations

from typing import Any

from tlbench.errors import ConfigError

#: Options of the biLM and of its pretraining; the cache key of a pretrained biLM is built from these.
BILM_KEYS = ("tokens", "max_chars", "vocab_size", "dim", "hidden", "lm_dropout", "seq_len", "lm_batch_size",
             "lm_lr", "num_samples", "max_tokens", "max_steps", "max_minutes", "glove", "pretrain_seed",
             "adapt_fraction", "heldout_fraction")

PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {
        "vocab_size": 2000, "dim": 32, "hidden": 32, "lm_dropout": 0.1, "seq_len": 32, "lm_batch_size": 32,
        "lm_lr": 3e-3, "num_samples": 256, "max_tokens": 30_000, "max_steps": None, "max_minutes": 2.0,
        "epochs": 4, "patience": 2, "batch_size": 32, "lr": 3e-3, "max_len": 128, "encoder_hidden": 32,
        "min_steps": 20,
    },
    "small": {
        "vocab_size": 20_000, "dim": 128, "hidden": 128, "lm_dropout": 0.1, "seq_len": 48, "lm_batch_size": 64,
        "lm_lr": 2e-3, "num_samples": 1024, "max_tokens": 8_000_000, "max_steps": None, "max_minutes": 15.0,
        "epochs": 10, "patience": 2, "batch_size": 32, "lr": 2e-3, "max_len": 300, "encoder_hidden": 64,
    },
    "base": {
        "vocab_size": 50_000, "dim": 256, "hidden": 1024, "lm_dropout": 0.1, "seq_len": 64, "lm_batch_size": 128,
        "lm_lr": 1e-3, "num_samples": 4096, "max_tokens": 100_000_000, "max_steps": None, "max_minutes": 240.0,
        "epochs": 10, "patience": 2, "batch_size": 32, "lr": 1e-3, "max_len": 400, "encoder_hidden": 128,
    },
}

#: Options every preset shares.
COMMON: dict[str, Any] = {
    # Token layer: "words" (GloVe-initialised word vectors) or "chars" (ELMo's character CNN; docs/elmo.md
    # compares them); max_chars: UTF-8 bytes of a word the CNN reads.
    "tokens": "words", "max_chars": 20,
    "glove": True, "pretrain_seed": 0, "adapt_fraction": 0.5, "heldout_fraction": 0.02, "finetune_bilm": False,
    "encoder": "attention", "dropout": 0.3, "truncate": "head+tail", "feature_cache_mb": None, "min_steps": 150,
    # feature_cache_mb None: a third of the machine's memory (the frozen biLM's features of the training set are
    # kept in memory when they fit: 22,500 IMDB reviews need ~5 GB; see system.feature_cache_budget).
    # cpu_threads None: the cores ctx.device allows. On a CPU shared with other jobs, 1 thread is ~3x faster than
    # 2 for these small LSTMs (OpenMP threads wait on each other when the cores are oversubscribed; docs/elmo.md).
    "cpu_threads": None,
}


def resolve(size: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The preset ``size`` with ``overrides`` applied; unknown sizes or option names are a ConfigError."""
    if size not in PRESETS:
        raise ConfigError(f"elmo: unknown size {size!r}; use one of {', '.join(PRESETS)}")
    options = {**COMMON, **PRESETS[size]}
    unknown = sorted(set(overrides) - set(options))
    if unknown:
        raise ConfigError(f"elmo: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(options))}")
    options.update(overrides)
    if options["encoder"] not in ("attention", "bilstm"):
        raise ConfigError(f"elmo: encoder must be 'attention' or 'bilstm', not {options['encoder']!r}")
    if options["tokens"] not in ("words", "chars"):
        raise ConfigError(f"elmo: tokens must be 'words' (GloVe-initialised) or 'chars' (char CNN), "
                          f"not {options['tokens']!r}")
    if not 1 <= int(options["max_chars"]) <= 100:
        raise ConfigError(f"elmo: max_chars must be 1..100 bytes, not {options['max_chars']}")
    if options["truncate"] not in ("head", "head+tail"):
        raise ConfigError(f"elmo: truncate must be 'head' or 'head+tail', not {options['truncate']!r}")
    if int(options["max_len"]) < 2:
        raise ConfigError(f"elmo: max_len must be at least 2 tokens, not {options['max_len']}")
    if not 0.0 <= float(options["adapt_fraction"]) <= 10.0:
        raise ConfigError("elmo: adapt_fraction is the share of the pretraining budget spent on target text, 0..10")
    return options
