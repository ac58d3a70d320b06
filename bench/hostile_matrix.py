"""The hostile-but-fair user of issue #12, replayed: bad files, bad flags, kill -9 + resume, two runs on one --out,
planted cache files, edited corpora, a damaged results line. Every case runs the real ``tlbench`` command in a
subprocess and the script counts what the issue's targets count.

    flock /tmp/tlbench-heavy.lock .venv/bin/python -u bench/hostile_matrix.py [STEP ...]

Prints one line per case (exit status, what was expected) and the totals: tracebacks, planted-file executions,
stale cells, duplicate cells, cases whose exit status was not the expected one.
"""

from __future__ import annotations

import csv
import json
import os
import pickle
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

SMALL = ["--fractions", "1.0", "--seeds", "1", "--device", "cpu"]
TOTALS = {"cases": 0, "tracebacks": 0, "wrong_exit": 0, "planted_executions": 0, "stale_cells": 0,
          "duplicate_cells": 0}


def tlbench(cwd: Path, *args: str, wait: bool = True, **env):
    cmd = [sys.executable, "-m", "tlbench", *args]
    environ = {**os.environ, **env}
    if not wait:
        return subprocess.Popen(cmd, cwd=cwd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
    return subprocess.run(cmd, cwd=cwd, env=environ, capture_output=True, text=True, timeout=600)


def case(name: str, proc, expected: set[int], output: str | None = None) -> str:
    text = output if output is not None else proc.stdout + proc.stderr
    code = proc.returncode
    TOTALS["cases"] += 1
    TOTALS["tracebacks"] += "Traceback" in text
    TOTALS["wrong_exit"] += code not in expected
    last = [line for line in text.strip().splitlines() if line.strip()][-1:] or [""]
    print(f"{'ok ' if code in expected else 'BAD'} exit {code} (want {sorted(expected)})  {name}: {last[0][:150]}")
    return text


def write_csv(path: Path, n: int, seed: int, names=("neg", "pos"), header=("text", "label")) -> Path:
    rng = np.random.default_rng(seed)
    words = {0: "awful dull bad boring".split(), 1: "great superb lovely fine".split()}
    filler = "the a movie film plot actor scene story it was this and".split()
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        if header:
            w.writerow(header)
        for i in range(n):
            text = " ".join(list(rng.choice(filler, 8)) + list(rng.choice(words[i % 2], 2)))
            w.writerow((text, names[i % 2]))
    return path


def truncated_tarball(path: Path) -> Path:
    import io

    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for label in ("pos", "neg"):
                for i in range(20):
                    data = os.urandom(2000).hex().encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{i}_7.txt")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    path.write_bytes(path.read_bytes()[:30000])
    return path


def bad_files(tmp: Path) -> None:
    (tmp / "empty.csv").write_text("")
    (tmp / "header.csv").write_text("text,label\n")
    (tmp / "garbage.csv").write_bytes(os.urandom(5000))
    write_csv(tmp / "oneclass.csv", 50, 1, names=("pos", "pos"))
    write_csv(tmp / "nolabel.csv", 50, 1, header=("text", "stars"))
    locked = tmp / "locked"
    (locked / "pos").mkdir(parents=True)
    locked.chmod(0)
    files = ["empty.csv", "header.csv", "garbage.csv", "oneclass.csv", "nolabel.csv", "locked", "missing.csv",
             str(truncated_tarball(tmp / "aclImdb_v1.tar.gz"))]
    for f in files:
        out = tmp / f"out-{Path(f).name}"
        case(f"target {Path(f).name}", tlbench(tmp, "compare", "tfidf-lr", "--target", f, "--out", str(out), *SMALL),
             {2})
        if (out / "results.jsonl").exists() and (out / "results.jsonl").read_text().strip():
            print("   ^ wrote results although nothing could run")
            TOTALS["wrong_exit"] += 1
    locked.chmod(0o755)
    case("data --check with a truncated tarball", tlbench(tmp, "data", "--data-dir", str(tmp), "--check"), {1})


def bad_flags(tmp: Path) -> None:
    tgt = str(write_csv(tmp / "tgt.csv", 200, 2))
    (tmp / "afile").write_text("keep me")
    flags = [["-o", "tfidf-lr.bogus=1"], ["-o", "tfidf_lr.C=1"], ["-o", "tfidf-lr.C_grid=[1,"],
             ["-o", "target.txt_column=x"], ["-o", "nonsense"], ["--fractions", "2"], ["--seeds", "0"],
             ["--strategy", "zero-shot"], ["--device", "tpu"], ["--out", "afile"]]
    for extra in flags:
        args = ["compare", "tfidf-lr", "--target", tgt, *SMALL, "--out", str(tmp / "out-flags"), *extra]
        case(" ".join(extra), tlbench(tmp, *args), {2})
    TOTALS["wrong_exit"] += (tmp / "afile").read_text() != "keep me"
    (tmp / "empty-source.csv").write_text("")
    src = str(tmp / "empty-source.csv")
    case("broken source, target-only + zero-shot",
         tlbench(tmp, "compare", "tfidf-lr", "--target", tgt, "--source", src, "--strategy",
                 "target-only,zero-shot", *SMALL, "--out", str(tmp / "out-src")), {1})


class Payload:
    def __reduce__(self):
        return (open, (os.environ["HOSTILE_MARKER"], "w"))


def planted(tmp: Path) -> None:
    src, tgt = write_csv(tmp / "p-src.csv", 200, 3), write_csv(tmp / "p-tgt.csv", 200, 4)
    cache = tmp / "shared-cache"
    marker = tmp / "EXECUTED"
    os.environ["HOSTILE_MARKER"] = str(marker)
    blob = pickle.dumps(Payload())
    args = ["compare", "tfidf-lr", "--source", str(src), "--target", str(tgt), "--strategy", "zero-shot", *SMALL,
            "--cache-dir", str(cache)]
    case("planted: first run", tlbench(tmp, *args, "--out", str(tmp / "o1")), {0})
    # Overwrite every cached file with the payload (names kept), and add pickles under other names.
    for entry in (cache / "content").glob("*/*"):
        for f in entry.iterdir():
            if f.name != ".complete":
                f.write_bytes(blob)
        for name in ("model.pkl", "tfidf_lr.joblib", "word2vec.model"):
            (entry / name).write_bytes(blob)
    for f in (cache / "corpora").glob("*/*.parquet"):
        f.write_bytes(blob)
    case("planted: rerun on the planted cache", tlbench(tmp, *args, "--out", str(tmp / "o2")), {0, 1})
    TOTALS["planted_executions"] += marker.exists()


def stale(tmp: Path) -> None:
    path = write_csv(tmp / "edit.csv", 400, 5)
    args = ["compare", "tfidf-lr", "--target", str(path), "--strategy", "target-only", "--fractions", "0.5,1.0",
            "--seeds", "2", "--device", "cpu", "--out", str(tmp / "out-stale")]
    case("stale: first run", tlbench(tmp, *args), {0})
    lines = path.read_bytes().splitlines(keepends=True)
    mid = len(lines) // 2
    flip = {b",neg\r\n": b",pos\r\n", b",pos\r\n": b",neg\r\n"}
    lines[mid] = lines[mid][:-6] + flip[lines[mid][-6:]]  # one label flipped mid-file, size unchanged
    size = path.stat().st_size
    path.write_bytes(b"".join(lines))
    assert path.stat().st_size == size
    text = case("stale: rerun after flipping one label mid-file (same size)", tlbench(tmp, *args), {0})
    if "0 already done" not in " ".join(text.split()):
        TOTALS["stale_cells"] += 4


def kill_and_concurrent(tmp: Path) -> None:
    out = tmp / "out-kill"
    args = ["compare", "tfidf-lr", "--source", "rotten-tomatoes", "--target", "imdb", "--strategy",
            "target-only,zero-shot,pooled", "--fractions", "0.05,0.1,0.2", "--seeds", "2", "--max-train", "600",
            "--max-test", "200", "--max-source", "600", "--device", "cpu", "-o", "tfidf-lr.C=1.0"]
    proc = tlbench(tmp, *args, "--out", str(out), wait=False)
    results = out / "results.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and not (results.exists() and len(results.read_bytes().splitlines()) >= 3):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    case("kill -9 then resume", tlbench(tmp, *args, "--out", str(out)), {0})
    keys = [json.loads(line)["key"] for line in results.read_text().splitlines()]
    TOTALS["duplicate_cells"] += len(keys) - len(set(keys))

    out2 = tmp / "out-two"
    a, b = (tlbench(tmp, *args, "--out", str(out2), wait=False) for _ in range(2))
    outputs = [p.communicate()[0] for p in (a, b)]
    for p, text in zip((a, b), outputs):
        case("two concurrent runs on one --out", p, {0, 2}, output=text)
    if sorted(p.returncode for p in (a, b)) != [0, 2]:
        print("   ^ both runs exited 0: the second found the first finished (allowed if no cell was duplicated)")
    keys = [json.loads(line)["key"] for line in (out2 / "results.jsonl").read_text().splitlines()]
    TOTALS["duplicate_cells"] += len(keys) - len(set(keys))

    lines = results.read_text().splitlines(keepends=True)
    results.write_text(lines[0] + "{not json\n" + "".join(lines[1:]))
    text = case("report with a damaged line 2", tlbench(tmp, "report", str(results), "--format", "csv"), {0})
    TOTALS["wrong_exit"] += "line 2" not in text


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tlbench-hostile-") as d:
        tmp = Path(d)
        env_cache = tmp / "cache"
        os.environ["TLBENCH_CACHE_DIR"] = str(env_cache)
        steps = (bad_files, bad_flags, planted, stale, kill_and_concurrent)
        chosen = sys.argv[1:] or [step.__name__ for step in steps]  # e.g. `bad_flags stale` runs only those
        for step in steps:
            if step.__name__ in chosen:
                step(tmp)
    print(json.dumps(TOTALS))


if __name__ == "__main__":
    main()
