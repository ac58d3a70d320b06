"""Keep the console tlbench's own: silence TensorFlow/absl C++ logs, CUDA probes, hub progress bars and library
warnings, unless the user asked for them (``tlbench -v``).

The C++ loggers read their level from the environment when the framework is imported, so :func:`quiet_frameworks`
must run before that: the CLI calls it first thing, and plugins call it again right before they import their
framework (cheap and idempotent; it also covers worker processes that did not start from the CLI). The choice is
kept in the environment (``TLBENCH_VERBOSE``), so child processes inherit it.

A few lines ignore every level setting: TensorFlow's shared libraries log through absl before absl is initialised
("All log messages before absl::InitializeLog()", the oneDNN and "Could not find cuda drivers" notices). They are
written straight to file descriptor 2 while the library loads, so the first import of ``tensorflow`` runs with
that descriptor pointed at /dev/null (an import hook; a Python exception still propagates and is shown).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import logging
import os
import sys
import warnings
from collections.abc import Iterator

#: Environment defaults that keep frameworks quiet; a value the user set is never overwritten.
QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",        # TensorFlow C++: cuInit, cuda drivers, cpu_feature_guard, oneDNN notices
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",  # the fork warning of huggingface tokenizers
}
#: Python loggers of the frameworks, set to ERROR.
QUIET_LOGGERS = ("absl", "tensorflow", "keras", "h5py", "transformers", "huggingface_hub", "sentence_transformers",
                 "setfit", "datasets", "gensim", "torch", "jax", "numexpr", "urllib3")
#: Modules whose Python warnings (deprecations, hub advice) are not tlbench's to show.
QUIET_WARNING_MODULES = r"(tensorflow|keras|absl|transformers|huggingface_hub|sentence_transformers|setfit|torch|"\
                        r"gensim|datasets|google\.protobuf|jax)(\.|$)"
#: Top-level modules whose first import runs with file descriptor 2 silenced.
NOISY_IMPORTS = ("tensorflow",)
VERBOSE_ENV = "TLBENCH_VERBOSE"


def set_verbose(verbose: bool) -> None:
    """Record the user's choice for this process and its children."""
    os.environ[VERBOSE_ENV] = "1" if verbose else "0"


def verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "0") == "1"


def quiet_frameworks() -> None:
    """Silence framework chatter unless verbose (see the module docstring). Call before importing a framework."""
    if verbose():
        return
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=QUIET_WARNING_MODULES)
    if not any(isinstance(f, _QuietImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport())
    if "absl.logging" in sys.modules:  # absl prints "WARNING: All log messages before absl::InitializeLog..."
        sys.modules["absl.logging"].set_verbosity("error")
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


@contextlib.contextmanager
def silenced_stderr() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the block (what C++ libraries write there goes too)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds a module of :data:`NOISY_IMPORTS` the ordinary way and runs its loading with stderr silenced."""

    def find_spec(self, name, path, target=None):
        if name not in NOISY_IMPORTS or verbose():
            return None
        sys.meta_path.remove(self)  # let the ordinary finders answer (and not us again)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        load = spec.loader.exec_module

        def exec_module(module) -> None:
            with silenced_stderr():
                load(module)

        spec.loader.exec_module = exec_module  # this spec's loader only
        return spec
