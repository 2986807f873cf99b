"""The evaluation report: a self-contained HTML page of tables, plots and errors in context.

``render_report`` returns the page, ``write_report`` writes it atomically; ``Table`` is a generic
section (rows of mappings, optionally plotted as lines) for other commands to add their own
figures (the loop batch by batch, rule decisions). ``read_batch`` reads an export folder as one
batch of the loop (gold, pushed spans, the correction effort between them).
"""

from annotator.evaluation.report.batches import Batch, read_batch
from annotator.evaluation.report.html import MIN_HITS, Table, render_report, rule_intervals, write_report

__all__ = ["MIN_HITS", "Batch", "Table", "read_batch", "render_report", "rule_intervals", "write_report"]
