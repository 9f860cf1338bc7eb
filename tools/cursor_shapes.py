"""The mouse pointer's shapes, owned here: `tools.pointer` draws them into recordings and
`tools.perception.pointer` detects them, so the two cannot drift apart.

Each shape is a polygon in a 1x unit with its hot spot at the origin (arrow tip, fingertip).
"""

from __future__ import annotations

from enum import Enum

import numpy as np

# Classic arrow, tip at (0, 0), about 12 x 19 units.
ARROW = np.array([(0, 0), (0, 17), (4, 13), (7, 19.5), (9.5, 18.5), (6.7, 12.2), (12, 12.2)], dtype=np.float32)

# Pointing hand, fingertip at (0, 0): index finger up, three folded fingers, thumb left.
HAND = np.array(
    [
        (-1.5, 0.5), (1.5, 0.5), (2.2, 1.5), (2.2, 7.5), (4.7, 7.4), (5.2, 8.2), (7.4, 8.3), (7.9, 9.1),
        (10.0, 9.3), (10.8, 10.4), (10.8, 15.5), (9.4, 19.5), (9.0, 22.0), (-0.8, 22.0), (-1.5, 19.8),
        (-6.2, 14.2), (-6.5, 12.4), (-5.2, 11.6), (-2.2, 13.4), (-2.2, 1.5),
    ],
    dtype=np.float32,
)  # fmt: skip


class PointerShape(str, Enum):
    """Built-in cursor shapes."""

    ARROW = "arrow"
    HAND = "hand"


SHAPES: dict[PointerShape, np.ndarray] = {PointerShape.ARROW: ARROW, PointerShape.HAND: HAND}
