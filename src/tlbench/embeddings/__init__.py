"""Embeddings that need no deep-learning backend (numpy only), usable with any encoder."""
