"""Framework chatter is silenced unless ``tlbench -v``; a value the user set is kept."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from tlbench import framework_logs


def test_quiet_sets_framework_levels_but_keeps_the_users(monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.setenv("HF_HUB_VERBOSITY", "info")
    monkeypatch.setenv(framework_logs.VERBOSE_ENV, "0")
    framework_logs.quiet_frameworks()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert os.environ["HF_HUB_VERBOSITY"] == "info"
    assert logging.getLogger("absl").level == logging.ERROR


def test_verbose_leaves_frameworks_alone(monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    framework_logs.set_verbose(True)
    try:
        framework_logs.quiet_frameworks()
        assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    finally:
        framework_logs.set_verbose(False)


def test_cli_flag_reaches_child_processes():
    code = ("import os, sys; from typer.testing import CliRunner; from tlbench.cli import app; "
            "CliRunner().invoke(app, sys.argv[1:] + ['data', '--json']); "
            "print(os.environ.get('TLBENCH_VERBOSE'), os.environ.get('TF_CPP_MIN_LOG_LEVEL'))")
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TLBENCH_VERBOSE")}
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    loud = subprocess.run([sys.executable, "-c", code, "-v"], capture_output=True, text=True, env=env, check=True)
    assert quiet.stdout.split() == ["0", "3"]
    assert loud.stdout.split() == ["1", "None"]


def test_first_import_of_a_noisy_library_writes_nothing_to_fd2(tmp_path, monkeypatch, capfd):
    (tmp_path / "chatty_lib.py").write_text("import os\nos.write(2, b'I0000 port.cc] oneDNN notice\\n')\nVALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(framework_logs, "NOISY_IMPORTS", ("chatty_lib",))
    monkeypatch.setenv(framework_logs.VERBOSE_ENV, "0")
    framework_logs.quiet_frameworks()
    import chatty_lib

    os.write(2, b"tlbench's own line\n")
    assert chatty_lib.VALUE == 1
    assert capfd.readouterr().err == "tlbench's own line\n"
    sys.modules.pop("chatty_lib", None)
