"""Parsed corpora on disk as Parquet, one file per split, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from tlbench.corpora.base import Split

_META = "meta.json"


def read_cached(directory: Path) -> dict[str, Split] | None:
    """The splits cached in ``directory``, or None when there is no complete cache."""
    meta_path = directory / _META
    if not meta_path.exists():
        return None
    import pyarrow.parquet as pq

    try:
        meta = json.loads(meta_path.read_text())
        splits = {}
        for part in meta["splits"]:
            table = pq.read_table(directory / f"{part}.parquet")
            splits[part] = Split(
                table.column("text").to_pylist(),
                table.column("label").to_numpy(),
                tuple(meta["label_names"]),
            )
        return splits
    except (OSError, ValueError, KeyError):
        return None  # a damaged cache is re-parsed, never trusted


def write_cached(directory: Path, splits: dict[str, Split]) -> None:
    """Write every split, then the meta file last: a cache without meta.json is incomplete and ignored."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    label_names = next(iter(splits.values())).label_names
    for part, split in splits.items():
        table = pa.table({"text": pa.array(list(split.texts), pa.large_string()),
                          "label": pa.array(np.asarray(split.labels, dtype=np.int64))})
        # a unique name: two runs parsing the same corpus at once must not write into one temp file
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{part}.", suffix=".parquet.tmp")
        os.close(fd)
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, directory / f"{part}.parquet")
    fd, tmp_meta = tempfile.mkstemp(dir=directory, prefix=".meta")
    with os.fdopen(fd, "w") as f:
        json.dump({"splits": list(splits), "label_names": list(label_names)}, f)
    os.replace(tmp_meta, directory / _META)


def cached_summary(directory: Path) -> dict | None:
    """Label names and split sizes of a complete cache (read from its metadata only), or None."""
    import pyarrow.parquet as pq

    try:
        meta = json.loads((directory / _META).read_text())
        sizes = {part: pq.read_metadata(directory / f"{part}.parquet").num_rows for part in meta["splits"]}
        return {"labels": list(meta["label_names"]), "sizes": sizes}
    except (OSError, ValueError, KeyError, TypeError):
        return None
