"""The Ray executor on a local in-process Ray cluster (2 CPUs, loopback): same cells and metrics as the local
executor, resume, retries after a killed worker, and a clear refusal without Ray.

The Ray workers import this module to get the test-only systems: the module fixture puts this directory on the
workers' PYTHONPATH and names ``test_ray:RAY_TEST_PLUGIN`` in ``TLBENCH_EXTRA_PLUGINS``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import Counter
from pathlib import Path

import pytest

from tlbench import hookimpl
from tlbench.errors import ConfigError, DataError, TlbenchError
from tlbench.executors import ray_executor, ray_worker
from tlbench.executors.ray_executor import RayExecutor, task_resources
from tlbench.plan import StudyFacts, StudyPlan
from tlbench.plugins import EXTRA_ENV as EXTRA_PLUGINS_ENV, extra_plugin_problems, load_plugins
from tlbench.results import ResultStore
from tlbench.runner import run_study
from tlbench.study import StudySpec
from tlbench.testing.dummies import KeywordSystem

HERE = Path(__file__).resolve().parent
HAS_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="needs ray (pip install 'tlbench[ray]')")
HAS_GENSIM = importlib.util.find_spec("tlbench_gensim") is not None and importlib.util.find_spec("gensim") is not None


class CrashOnceSystem(KeywordSystem):
    """KeywordSystem whose first ``fit`` kills its own process (as an OOM kill or a segfault would): the marker
    file says whether the crash happened already."""

    name = "crash-once"

    def __init__(self, marker: str = "", **options) -> None:
        super().__init__(**options)
        self.marker = marker

    def get_config(self) -> dict:
        return {**super().get_config(), "name": self.name, "marker": self.marker}

    def fit(self, train, valid, ctx):
        if not Path(self.marker).exists():
            Path(self.marker).write_text("crashed once")
            os._exit(1)
        return super().fit(train, valid, ctx)


class AlwaysFailsSystem(KeywordSystem):
    """KeywordSystem whose ``fit`` always raises, as a plugin with a bug would."""

    name = "always-fails"

    def fit(self, train, valid, ctx):
        raise DataError("always-fails cannot learn anything")


class _RayTestPlugin:
    __name__ = "ray-test"

    @hookimpl
    def register_systems(self, register):
        register("keyword", KeywordSystem, description="keyword scores (test dummy)")
        register("crash-once", CrashOnceSystem, description="kills its worker on the first fit (test dummy)")
        register("always-fails", AlwaysFailsSystem, description="raises in fit (test dummy)")


RAY_TEST_PLUGIN = _RayTestPlugin()


@pytest.fixture(scope="module")
def parsed_corpora(tmp_path_factory) -> Path:
    """The IMDB and Rotten Tomatoes corpora parsed once into a cache every study of this module links to."""
    cache = tmp_path_factory.mktemp("ray-corpora")
    from tlbench.corpora.base import CorpusOptions
    from tlbench.plugins import get_registry

    for name in ("imdb", "rotten-tomatoes"):
        corpus = get_registry().get("corpus", name).resolve()(CorpusOptions(cache_dir=cache))
        for split in corpus.splits():
            corpus.load(split)
    return cache / "corpora"


@pytest.fixture(scope="module")
def ray_cluster():
    """One in-process Ray cluster for the module; its workers see this directory and the test plugin."""
    ray = pytest.importorskip("ray")
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", EXTRA_PLUGINS_ENV)}
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), saved["PYTHONPATH"]) if p)
    os.environ[EXTRA_PLUGINS_ENV] = "test_ray:RAY_TEST_PLUGIN"
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", object_store_memory=80 * 2**20)
    try:
        yield ray
    finally:
        ray.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def registry():
    return load_plugins(extra=[RAY_TEST_PLUGIN]).registry


def _cache(tmp_path: Path, name: str, parsed: Path) -> str:
    """A fresh content cache that shares only the parsed corpora."""
    root = tmp_path / name
    root.mkdir()
    (root / "corpora").symlink_to(parsed, target_is_directory=True)
    (root / "work").mkdir()  # ctx.workdir: the local runner does not create it
    return str(root)


def _spec(tmp_path: Path, name: str, parsed: Path, **changes) -> StudySpec:
    values = dict(systems=["tfidf-lr", "keyword"], target="imdb", source="rotten-tomatoes",
                  strategies=["target-only", "zero-shot", "fine-tune"], fractions=[0.5, 1.0], seeds=[0],
                  max_train=120, max_test=60, max_source=120, device="cpu",
                  cache_dir=_cache(tmp_path, f"cache-{name}", parsed), out=str(tmp_path / f"out-{name}"))
    values.update(changes)
    return StudySpec(**values)


def _events(listener_log: list) -> Counter:
    return Counter(e["type"] for e in listener_log)


@needs_ray
def test_ray_runs_the_same_cells_with_the_same_metrics_as_local(ray_cluster, registry, parsed_corpora, tmp_path):
    local_log, ray_log = [], []
    local = run_study(_spec(tmp_path, "local", parsed_corpora), registry, local_log.append)
    on_ray = run_study(_spec(tmp_path, "ray", parsed_corpora), registry, ray_log.append, executor="ray")

    by_key = {r.key: r for r in local.results}
    assert {r.key for r in on_ray.results} == set(by_key) and len(on_ray.results) == len(by_key) == 12
    for result in on_ray.results:
        twin = by_key[result.key]
        assert (result.status, result.error) == (twin.status, twin.error), result.key
        assert result.metrics == twin.metrics and result.y_pred == twin.y_pred, (result.system, result.strategy)
    statuses = Counter(r.status for r in on_ray.results)
    assert statuses == {"ok": 10, "skipped": 2}  # tfidf-lr cannot fine-tune
    # Streamed into the store in the order they finished.
    assert [r.key for r in ResultStore(tmp_path / "out-ray" / "results.jsonl").read()] == \
        [r.key for r in on_ray.results]

    # One source model per (system, seed), trained once on Ray as locally: tfidf-lr and keyword, seed 0; one
    # cell of each records that training (its time and facts), the others found the model trained.
    assert _events(ray_log)["source_start"] == _events(local_log)["source_start"] == 2

    def paid_for_source(results):
        return Counter(r.system for r in results if "source" in r.info and not r.info["source"].get("cached"))

    assert paid_for_source(on_ray.results) == paid_for_source(local.results) == {"tfidf-lr": 1, "keyword": 1}
    tfidf_paid = next(r for r in on_ray.results if r.system == "tfidf-lr" and "C" in r.info.get("source", {}))
    assert tfidf_paid.cost["source_seconds"] > 0
    # The listener sees what it sees locally: each cell starts before it ends, once.
    events = _events(ray_log)
    assert events["cell_start"] == events["cell_end"] == 12 and events["progress"] > 0
    started = set()
    for event in ray_log:
        if event["type"] == "cell_start":
            started.add(event["cell"].key)
        elif event["type"] == "cell_end":
            assert event["cell"].key in started and event["result"].key == event["cell"].key


@needs_ray
def test_a_rerun_on_ray_submits_only_the_missing_cells(ray_cluster, registry, parsed_corpora, tmp_path):
    spec = _spec(tmp_path, "resume", parsed_corpora, systems=["tfidf-lr"], strategies=["target-only", "zero-shot"])
    first = run_study(spec, registry, executor="ray")
    assert len(first.results) == 4 and all(r.ok for r in first.results)
    # Lose the last two records, as if the study had been stopped there.
    lines = spec.results_path.read_bytes().splitlines(keepends=True)
    spec.results_path.write_bytes(b"".join(lines[:2]))
    log: list = []
    again = run_study(spec, registry, log.append, executor="ray")
    assert again.resumed == 2
    assert {r.key for r in again.results} == {r.key for r in first.results[2:]}
    assert {r.key: r.metrics for r in again.results} == {r.key: r.metrics for r in first.results[2:]}
    assert _events(log)["cell_start"] == 2
    assert len(ResultStore(spec.results_path).latest()) == 4


@needs_ray
def test_a_killed_worker_is_retried_and_the_study_completes(ray_cluster, registry, parsed_corpora, tmp_path):
    marker = tmp_path / "crashed"
    spec = _spec(tmp_path, "retry", parsed_corpora, systems=["crash-once", "tfidf-lr"], strategies=["target-only"],
                 fractions=[1.0], retries=1, system_options={"crash-once": {"marker": str(marker)}}, source=None)
    run = run_study(spec, registry, executor="ray")
    assert marker.exists()  # the first attempt did kill its worker
    by_system = {r.system: r for r in run.results}
    assert set(by_system) == {"crash-once", "tfidf-lr"} and all(r.ok for r in run.results)
    crashed = by_system["crash-once"]
    assert crashed.info["attempts"] == 2
    assert "WorkerCrashedError" in crashed.info["earlier_errors"][0]
    assert "attempts" not in by_system["tfidf-lr"].info
    assert crashed.metrics["accuracy"] > 0.5


@needs_ray
def test_without_retries_a_killed_worker_fails_its_cell_only(ray_cluster, registry, parsed_corpora, tmp_path):
    marker = tmp_path / "crashed"
    spec = _spec(tmp_path, "noretry", parsed_corpora, systems=["crash-once", "tfidf-lr"],
                 strategies=["target-only"], fractions=[1.0], retries=0, source=None,
                 system_options={"crash-once": {"marker": str(marker)}})
    run = run_study(spec, registry, executor="ray")
    by_system = {r.system: r for r in run.results}
    assert by_system["tfidf-lr"].ok
    failed = by_system["crash-once"]
    assert failed.status == "failed" and "WorkerCrashedError" in failed.error and "\n" not in failed.error
    # The failure is on record, so a rerun (the crash is over now) runs that cell alone, and it succeeds.
    assert ResultStore(spec.results_path).latest()[failed.key].status == "failed"
    again = run_study(spec, registry, executor="ray")
    assert [r.key for r in again.results] == [failed.key] and again.results[0].ok


@needs_ray
def test_a_plugin_error_is_recorded_as_locally_after_its_retries(ray_cluster, registry, parsed_corpora, tmp_path):
    """The source model cannot be trained either: each cell then meets the error itself, as in a local run."""
    local = run_study(_spec(tmp_path, "fails-local", parsed_corpora, systems=["always-fails"], fractions=[1.0],
                            strategies=["target-only", "zero-shot"]), registry)
    on_ray = run_study(_spec(tmp_path, "fails-ray", parsed_corpora, systems=["always-fails"], fractions=[1.0],
                             strategies=["target-only", "zero-shot"], retries=1), registry, executor="ray")
    expected = {r.key: (r.status, r.error) for r in local.results}
    assert {r.key: (r.status, r.error) for r in on_ray.results} == expected
    assert all(status == "failed" and "cannot learn anything" in error for status, error in expected.values())
    for result in on_ray.results:  # tried twice (retries=1), and the first error is on record
        assert result.info["attempts"] == 2 and "cannot learn anything" in result.info["earlier_errors"][0]


@needs_ray
@pytest.mark.skipif(not HAS_GENSIM, reason="needs tlbench-gensim")
def test_a_heavy_plugin_system_runs_on_ray(ray_cluster, registry, parsed_corpora, tmp_path):
    """word2vec-mean (gensim) on a tiny slice: the same cells as locally, each ok. Its vectors come from gensim
    worker threads and per-process string hashing, so its metrics are not compared."""
    options = {"word2vec-mean": {"embedding.epochs": 1, "embedding.workers": 1, "embedding.min_count": 2,
                                 "embedding.dim": 20}}
    local = run_study(_spec(tmp_path, "w2v-local", parsed_corpora, systems=["word2vec-mean"], source=None,
                            strategies=["target-only"], fractions=[1.0], system_options=options), registry)
    on_ray = run_study(_spec(tmp_path, "w2v-ray", parsed_corpora, systems=["word2vec-mean"], source=None,
                             strategies=["target-only"], fractions=[1.0], system_options=options), registry,
                       executor="ray")
    assert [r.key for r in on_ray.results] == [r.key for r in local.results]
    assert all(r.ok for r in on_ray.results), [r.error for r in on_ray.results]
    assert on_ray.results[0].n_test == local.results[0].n_test == 60


@needs_ray
def test_source_files_travel_through_the_object_store(ray_cluster, tmp_path):
    """A worker whose node lacks the source model's files takes them from the object store into its cache."""
    from tlbench.cache import ContentCache

    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "weights.bin").write_bytes(bytes(range(256)))
    (saved / "state.json").write_text('{"vocab": ["good"]}')
    ref = ray_cluster.put(ray_worker.tar(saved))

    class Env:
        cache = ContentCache(tmp_path / "other-node")

    ray_worker.restore_source(Env, "k1", ref)
    restored = Env.cache.get("source-models", "k1")
    assert restored is not None
    assert (restored / "weights.bin").read_bytes() == bytes(range(256))
    assert (restored / "state.json").read_text() == '{"vocab": ["good"]}'


def test_without_ray_the_executor_is_refused_with_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    spec = StudySpec(systems=["tfidf-lr"], target="imdb", out=str(tmp_path))
    with pytest.raises(TlbenchError, match=r"pip install 'tlbench\[ray\]'") as info:
        RayExecutor().run(StudyPlan(spec, [], StudyFacts({}, {}, {})))
    assert "\n" not in str(info.value)


def test_task_resources_follow_the_system_and_the_device():
    assert task_resources({}, "auto", 0) == {"num_cpus": 1}
    gpu = {"num_gpus": 1}
    assert task_resources(gpu, "auto", 4) == {"num_cpus": 1, "num_gpus": 1}
    assert task_resources(gpu, "auto", 0) == {"num_cpus": 1}  # no GPU in the cluster: run on CPU
    assert task_resources(gpu, "cpu", 4) == {"num_cpus": 1}
    assert task_resources({}, "cuda", 4) == {"num_cpus": 1, "num_gpus": 1}
    assert task_resources({"num_cpus": 4, "memory": 2**30}, "auto", 0) == {"num_cpus": 4, "memory": 2**30}
    with pytest.raises(ConfigError, match="wants.resources.. returned unknown key.s. gpus"):
        task_resources({"gpus": 1}, "auto", 0, "wants")


class _Wants(KeywordSystem):
    """Asks executors for a GPU and cannot be saved."""

    name = "wants"
    save = None

    def resources(self):
        return {"num_gpus": 1}


def test_the_plan_carries_what_executors_need(registry, parsed_corpora, tmp_path):
    """Source-model keys, saveability, resources and configs come from planning, once, for every executor."""
    from tlbench.study_env import StudyEnv

    class Plugin:
        __name__ = "wants"

        @hookimpl
        def register_systems(self, register):
            register("wants", _Wants, description="asks for a GPU (test dummy)")

    spec = _spec(tmp_path, "plan", parsed_corpora, systems=["tfidf-lr", "wants"], fractions=[0.5])
    env = StudyEnv(spec, load_plugins(extra=[RAY_TEST_PLUGIN, Plugin()]).registry)
    plan = env.plan()
    by = {(c.system, c.strategy): c for c in plan}
    assert by["wants", "target-only"].resources == {"num_gpus": 1} and by["tfidf-lr", "zero-shot"].resources == {}
    assert by["tfidf-lr", "zero-shot"].saveable and not by["wants", "zero-shot"].saveable
    assert by["tfidf-lr", "zero-shot"].needs_source_model and not by["tfidf-lr", "target-only"].needs_source_model
    assert by["tfidf-lr", "zero-shot"].source_key == env.source_model_key("tfidf-lr", 0)
    assert by["tfidf-lr", "zero-shot"].memo and by["tfidf-lr", "target-only"].memo is None
    assert by["tfidf-lr", "target-only"].system_config == env.system_config("tfidf-lr")
    groups = plan.source_groups()
    assert {k: [c.strategy for c in v] for k, v in groups.items()} == {
        env.source_model_key("tfidf-lr", 0): ["zero-shot"], env.source_model_key("wants", 0): ["zero-shot", "fine-tune"]}
    assert by["tfidf-lr", "fine-tune"].skip and not by["tfidf-lr", "fine-tune"].needs_source_model


def test_workers_get_absolute_data_and_cache_dirs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = StudySpec(systems=["tfidf-lr"], target="imdb", data_dir="data", cache_dir="~/c", out="out")
    shipped = ray_executor.with_absolute_dirs(spec.to_dict())
    assert shipped["data_dir"] == str(tmp_path / "data")
    assert shipped["cache_dir"] == str(Path("~/c").expanduser())
    assert shipped["out"] == "out" and StudySpec.from_dict(shipped).target == "imdb"


def test_extra_plugins_must_name_an_importable_object(monkeypatch, tmp_path):
    """Workers load $TLBENCH_EXTRA_PLUGINS through the normal plugin loading; the driver refuses to start when
    an entry cannot be loaded, since no worker could load it either."""
    monkeypatch.setenv(EXTRA_PLUGINS_ENV, "no_such_module_xyz:PLUGIN")
    assert "no_such_module_xyz" in extra_plugin_problems()[0]
    plan = StudyPlan(StudySpec(systems=["keyword"], target="imdb", out=str(tmp_path)), [], StudyFacts({}, {}, {}))
    if HAS_RAY:
        with pytest.raises(ConfigError, match="importable on every Ray worker"):
            RayExecutor().run(plan)
    monkeypatch.setenv(EXTRA_PLUGINS_ENV, "test_ray")
    assert "module:attribute" in extra_plugin_problems()[0]
    monkeypatch.setenv(EXTRA_PLUGINS_ENV, f"{__name__}:RAY_TEST_PLUGIN")
    assert extra_plugin_problems() == []
    assert ("system", "crash-once") in load_plugins().registry
