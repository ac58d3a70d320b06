"""Named studies: ``tlbench reproduce NAME`` runs one, and prints the published numbers beside the measured ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    study: dict[str, Any]
    #: Published accuracy (%) by (strategy, fraction), for the comparison row.
    reference: dict[tuple[str, float], float] = field(default_factory=dict)
    reference_name: str = ""


RECIPES = {
    "langcon2019": Recipe(
        name="langcon2019",
        description="The 2019 talk reproducing 'Hands-On Transfer Learning with Python' ch. 7: IMDB sentiment with "
                    "GloVe 50d + CNN document model, alone and with knowledge carried over from Amazon reviews",
        study={"systems": ["glove-cnn"], "source": "amazon", "target": "imdb",
               "strategies": ["target-only", "embedding-transfer", "weight-transfer"],
               "fractions": [0.05, 1.0], "seeds": [0, 1, 2]},
        reference={("target-only", 0.05): 70.0, ("target-only", 1.0): 83.7,
                   ("embedding-transfer", 0.05): 86.3, ("embedding-transfer", 1.0): 87.3},
        reference_name="the talk (glove-cnn, Amazon 200k source)",
    ),
}
