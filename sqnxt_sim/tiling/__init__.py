"""Global-buffer tiling: tile sizes and loop order → DRAM traffic, stalls, buffer fills
(docs/model.md §6).  ``model`` costs one tiling; ``search`` finds the best one.

Every layer reads its inputs and weights from DRAM and writes its outputs back (layer by layer,
nothing kept on chip between layers).
"""

from .model import (  # noqa: F401
    LOOPS,
    RELEVANT,
    TiledCost,
    Tiling,
    array_cost,
    axis_tiles,
    dram_words,
    evaluate,
    exposed_words,
    layer_time,
    working_set,
)
from .search import best_tiling, candidates, exhaustive_best, objective  # noqa: F401
