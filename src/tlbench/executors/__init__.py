"""Executors run a study's cells somewhere other than the calling process.

``local`` is the loop in :func:`tlbench.runner.run_study` itself; :mod:`tlbench.executors.ray_executor` runs each
cell as a Ray task (``tlbench compare --executor ray``). An executor takes the study's spec and the cells still to
do and yields their :class:`~tlbench.results.CellResult` as they finish; the runner appends them to the study's
result store, so resuming works the same everywhere. Nothing here imports Ray until a Ray run starts.
"""
