"""tlbench-transformers: the ``bert`` system (transformer fine-tuning through Hugging Face transformers).

Importing this package is light; torch and transformers are imported by the modules that need them.
"""

__version__ = "0.1.0"
