"""Keep the console tlbench's own: silence TensorFlow/absl C++ logs, CUDA probes, hub progress bars and library
warnings, unless the user asked for them (``tlbench -v``).

The C++ loggers read their level from the environment when the framework is imported, so :func:`quiet_frameworks`
must run before that: the CLI calls it first thing, and plugins call it again right before they import their
framework (cheap and idempotent; it also covers worker processes that did not start from the CLI). The choice is
kept in the environment (``TLBENCH_VERBOSE``), so child processes inherit it.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

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
    if "absl.logging" in sys.modules:  # absl prints "WARNING: All log messages before absl::InitializeLog..."
        sys.modules["absl.logging"].set_verbosity("error")
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
