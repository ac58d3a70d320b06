"""tlbench plugin: ``setfit`` and ``minilm-lr`` systems on sentence-transformers."""
