"""Systems built into the core (light: scikit-learn only)."""
