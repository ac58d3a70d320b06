import json

import numpy as np

from tlbench.results import CellResult, ResultStore, decode_labels, encode_labels, load


def cell(key, **kw):
    return CellResult(key=key, status="ok", system="s", strategy="t", target="x", fraction=0.5, seed=0,
                      metrics={"accuracy": 0.5}, y_true="0110", y_pred="0100", **kw)


def test_round_trip_and_correctness(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    store.append(cell("a", info={"n": np.int64(3)}))
    (back,) = store.read()
    assert back == cell("a", info={"n": 3})
    assert back.correct().tolist() == [True, True, False, True]
    assert decode_labels(encode_labels(np.array([0, 9, 10, 35]))).tolist() == [0, 9, 10, 35]


def test_unfinished_line_is_ignored_then_cut(tmp_path):
    path = tmp_path / "r.jsonl"
    store = ResultStore(path)
    store.append(cell("a"))
    with path.open("a") as f:
        f.write('{"key": "half')
    assert [r.key for r in store.read()] == ["a"]
    store.append(cell("b"))
    lines = path.read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["a", "b"]


def test_latest_record_wins_and_dataframe(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    store.append(CellResult(key="a", status="failed", system="s", strategy="t", target="x", fraction=1.0, seed=0))
    store.append(cell("a"))
    assert store.done_keys() == {"a"}
    frame = load(tmp_path / "r.jsonl")
    assert len(frame) == 1 and frame.loc[0, "metrics.accuracy"] == 0.5 and "y_pred" not in frame
