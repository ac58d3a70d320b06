"""Reports: statistics, tables and plots over a results file.

- :func:`terminal_tables`: the tables ``tlbench compare`` and ``tlbench report`` print (accuracy, gain, cost;
  protocol warnings as notes).
- :func:`verdict_block`: the answer per fraction in plain words (best, as good, recommended, labels-equivalent).
- :func:`write_report`: Markdown, self-contained HTML, PNG plots, CSV and JSON files for ``tlbench report``.

matplotlib is imported only while plots are drawn.
"""

from tlbench.report.document import Report, build_report, terminal_tables, verdict_block
from tlbench.report.files import FORMATS, read_results, write_report
from tlbench.report.tables import Table, seed_table

__all__ = ["FORMATS", "Report", "Table", "build_report", "read_results", "seed_table", "terminal_tables",
           "verdict_block", "write_report"]
