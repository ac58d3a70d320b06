"""tlbench-elmo: the ELMo method (Peters et al. 2018) as a tlbench plugin.

A two-layer bidirectional LSTM language model is pretrained on the study's own text (never a test split), then a
learned scalar mix of its three layers feeds a small classifier. Importing this package is light; the PyTorch
parts live in :mod:`tlbench_elmo.bilm`, :mod:`tlbench_elmo.pretrain`, :mod:`tlbench_elmo.classifier` and
:mod:`tlbench_elmo.system`.
"""

__version__ = "0.1.0"
