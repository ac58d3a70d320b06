"""A real Ray cluster, as a user runs one: ``ray start --head`` in its own process on the loopback address, then
``tlbench compare --executor ray --address 127.0.0.1:PORT`` in another, with Ray's token authentication on.

Everything listens on 127.0.0.1 only (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` keeps Ray from swapping the
loopback address for the machine's network address), on free ports, with its own temp dir and token file; the
head and every process it started are stopped at the end, also when the test fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                reason="needs ray (pip install 'tlbench[ray]')")

BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind((LOOPBACK, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _wait_for_port(port: int, head: subprocess.Popen, log: Path, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if head.poll() is not None:
            pytest.fail(f"ray start exited with {head.returncode}: {log.read_text()[-2000:]}")
        try:
            socket.create_connection((LOOPBACK, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the Ray head did not listen on {LOOPBACK}:{port} within {timeout_s:.0f} s")


def _stop(head: subprocess.Popen, temp_dir: str) -> None:
    """SIGTERM the head's process group (``ray start --block`` then stops what it started); SIGKILL whatever of
    this cluster (found by its temp dir) is left."""
    try:
        os.killpg(head.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        head.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(head.pid, signal.SIGKILL)
        head.wait(timeout=10)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if temp_dir in cmdline:
            try:
                os.kill(int(proc.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def ray_head(tmp_path):
    """(address, environment) of a running single-node cluster on the loopback address with a token."""
    from ray._private.authentication.authentication_token_generator import generate_new_authentication_token

    temp_dir = tempfile.mkdtemp(prefix="tlr-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    token = Path(temp_dir) / "auth_token"
    token.write_text(generate_new_authentication_token())
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_TOKEN_PATH": str(token),
           "RAY_USAGE_STATS_ENABLED": "0", "TLBENCH_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("RAY_AUTH_MODE", None)
    env.pop("RAY_ADDRESS", None)
    port, client, agent, agent_grpc, metrics, runtime_env = _free_ports(6)
    log = tmp_path / "head.log"
    cmd = [str(BIN / "ray"), "start", "--head", "--block", "--port", str(port), "--node-ip-address", LOOPBACK,
           "--temp-dir", temp_dir, "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats",
           "--ray-client-server-port", str(client), "--dashboard-agent-listen-port", str(agent),
           "--dashboard-agent-grpc-port", str(agent_grpc), "--metrics-export-port", str(metrics),
           "--runtime-env-agent-port", str(runtime_env)]
    with open(log, "w") as out:
        head = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_port(port, head, log)
        yield f"{LOOPBACK}:{port}", env
    finally:
        _stop(head, temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _compare(env: dict, out: Path, *extra: str) -> dict[str, dict]:
    cmd = [str(BIN / "tlbench"), "compare", "tfidf-lr", "--source", "rotten-tomatoes", "--target", "imdb",
           "-s", "target-only,zero-shot", "--fractions", "0.25", "--seeds", "1", "--max-train", "300",
           "--max-test", "200", "--max-source", "300", "--device", "cpu", "--out", str(out), *extra]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return {r["key"]: r for r in rows}


def test_compare_connects_to_a_running_cluster_with_token_auth(ray_head, tmp_path):
    address, env = ray_head
    on_ray = _compare(env, tmp_path / "ray", "--executor", "ray", "--address", address)
    local = _compare(env, tmp_path / "local")
    assert set(on_ray) == set(local) and len(on_ray) == 2
    for key, row in on_ray.items():
        assert row["status"] == "ok", row.get("error")
        assert row["metrics"] == local[key]["metrics"]
