"""The study runner: grid, strategies over capabilities, skipping, resume, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tlbench.results import ResultStore
from tlbench.runner import StudyEnv, run_study
from tlbench.study import StudySpec
from tlbench.errors import ConfigError


def spec(tmp_path, **kw):
    base = dict(systems=["keyword"], source="toy-src", target="toy-tgt", strategies=["target-only"],
                fractions=[0.1, 1.0], seeds=[0, 1], out=str(tmp_path / "out"), cache_dir=str(tmp_path / "c"),
                device="cpu")
    return StudySpec(**{**base, **kw})


ALL = ["target-only", "zero-shot", "pooled", "embedding-transfer", "weight-transfer", "fine-tune",
       "frozen-features", "domain-adaptive"]


def test_every_strategy_runs_and_records_what_it_did(tmp_path, toy_registry):
    events = []
    run = run_study(spec(tmp_path, strategies=ALL), registry=toy_registry, listener=events.append)
    assert len(run.cells) == len(ALL) * 2 * 2
    by = {(r.strategy, r.fraction, r.seed): r for r in run.results}
    assert all(r.status == "ok" for r in run.results), [r.error for r in run.results if not r.ok]
    assert by[("embedding-transfer", 1.0, 0)].info["vectors_updated"] > 0
    assert by[("weight-transfer", 0.1, 0)].info["tensors_copied"] == 1  # head not copied by default
    assert by[("fine-tune", 0.1, 0)].info["tensors_copied"] == 2
    # the pool: unlabeled split + training texts outside the cell's 20 labelled/validation texts
    assert by[("domain-adaptive", 0.1, 0)].info["adapt_target_texts"] == 180 + 50
    # zero-shot ignores the target labels: same predictions at every fraction
    assert by[("zero-shot", 0.1, 1)].y_pred == by[("zero-shot", 1.0, 1)].y_pred
    # the source model is trained once per (system, seed) and reused by later cells
    paid = [r.cost["source_seconds"] > 0 for r in run.results if r.seed == 0 and r.strategy != "target-only"
            and r.strategy != "domain-adaptive"]
    assert paid[0] and not any(paid[1:])
    r = by[("target-only", 0.1, 0)]
    assert r.n_train + r.n_valid == 20 and r.n_test == 60
    assert r.test_set["n"] == 60 and r.corpora["target"]["fingerprint"]
    assert r.metrics["accuracy"] > 0.7
    assert {e["type"] for e in events} >= {"study_start", "cell_start", "cell_end", "progress", "study_end"}


def test_fractions_use_identical_examples_across_strategies(tmp_path, toy_registry):
    run = run_study(spec(tmp_path, strategies=["target-only", "pooled"], seeds=[0]), registry=toy_registry)
    a = {r.fraction: r.n_train for r in run.results if r.strategy == "target-only"}
    b = {r.fraction: r.n_train for r in run.results if r.strategy == "pooled"}
    assert a == b


def test_resume_skips_completed_cells(tmp_path, toy_registry):
    s = spec(tmp_path, strategies=["target-only", "fine-tune"])
    first = run_study(s, registry=toy_registry)
    again = run_study(s, registry=toy_registry)
    assert len(first.results) == 8 and again.results == [] and again.resumed == 8
    more = run_study(spec(tmp_path, strategies=["target-only", "fine-tune"], seeds=[0, 1, 2]), registry=toy_registry)
    assert len(more.results) == 4 and {r.seed for r in more.results} == {2}
    assert len(ResultStore(s.results_path).read()) == 12


def test_unfit_pairs_are_skipped_with_a_reason(tmp_path, toy_registry):
    run = run_study(spec(tmp_path, systems=["tfidf-lr"], strategies=["target-only", "embedding-transfer"],
                         seeds=[0], fractions=[1.0]), registry=toy_registry)
    status = {r.strategy: r for r in run.results}
    assert status["target-only"].status == "ok"
    assert status["embedding-transfer"].status == "skipped"
    assert "lacks" in status["embedding-transfer"].error


def test_no_source_skips_strategies_that_need_one(tmp_path, toy_registry):
    run = run_study(spec(tmp_path, source=None, strategies=["target-only", "zero-shot", "domain-adaptive"],
                         seeds=[0], fractions=[1.0]), registry=toy_registry)
    status = {r.strategy: r.status for r in run.results}
    assert status == {"target-only": "ok", "zero-shot": "skipped", "domain-adaptive": "ok"}


def test_bad_study_is_one_clear_error(tmp_path, toy_registry):
    with pytest.raises(ConfigError, match="outside"):
        spec(tmp_path, fractions=[0.0])
    with pytest.raises(ConfigError, match="did you mean"):
        StudyEnv(spec(tmp_path, systems=["keywrod"]), toy_registry).plan()
    with pytest.raises(ConfigError, match="no option"):
        StudyEnv(spec(tmp_path, strategy_options={"target-only": {"x": 1}}), toy_registry).plan()


def test_sigkill_halfway_then_rerun_recomputes_nothing(tmp_path):
    """A real study in a subprocess, killed with SIGKILL after some cells; the rerun finishes the rest."""
    out = tmp_path / "out"
    args = [sys.executable, "-m", "tlbench", "compare", "tfidf-lr", "--source", "rotten-tomatoes", "--target",
            "imdb", "--strategy", "target-only,zero-shot,pooled", "--fractions", "0.05,0.1,0.2", "--seeds", "2",
            "--max-train", "600", "--max-test", "200", "--max-source", "600", "--out", str(out),
            "--device", "cpu", "-o", "tfidf-lr.C=1.0"]
    results = out / "results.jsonl"
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    deadline = time.time() + 240
    while time.time() < deadline:
        if results.exists() and len(results.read_bytes().splitlines()) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = [json.loads(line) for line in results.read_text().splitlines() if line.endswith("}")]
    assert 3 <= len(before) < 18, "the study should have been killed half-way"
    done = subprocess.run(args + ["--json"], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = results.read_bytes().splitlines()
    records = [json.loads(line) for line in lines]  # every line parses: no corrupt line
    keys = [r["key"] for r in records]
    assert len(set(keys)) == 18 == len(keys), "a completed cell was computed twice or one is missing"
    assert keys[: len(before)] == [r["key"] for r in before]


def test_an_unknown_executor_is_refused_before_anything_runs(tmp_path, toy_registry):
    from tlbench.errors import TlbenchError

    from tlbench.results import ResultStore

    study = spec(tmp_path)
    with pytest.raises(TlbenchError, match="unknown executor 'slurm': use local or ray"):
        run_study(study, toy_registry, executor="slurm")
    assert ResultStore(study.results_path).read() == []


def test_local_executor_runs_the_plan_it_is_given(tmp_path, toy_registry):
    """Executor.run(plan): the cells of the plan, in plan order, one result each; it plans nothing itself."""
    from tlbench.executors.local import LocalExecutor

    env = StudyEnv(spec(tmp_path), toy_registry)
    plan = env.plan()
    events: list = []
    part = plan.without({plan.cells[0].key})
    results = list(LocalExecutor(env, events.append).run(part))
    assert [r.key for r in results] == [c.key for c in part.cells] and len(results) == len(plan) - 1
    assert [e["cell"].key for e in events if e["type"] == "cell_start"] == [c.key for c in part.cells]
    assert all(r.corpora == plan.facts.corpora and r.test_set == plan.facts.test_set for r in results if r.ok)
