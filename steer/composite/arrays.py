"""The array types of the composite engine, in numpy's own typing."""

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]  # values, scores, weights: float64, NaN where missing
Bools = NDArray[np.bool_]  # masks
Indices = NDArray[np.intp]  # positions
Integers = NDArray[np.int_]  # counts
Ranks = NDArray[np.unsignedinteger]  # ranks of the Monte Carlo runs: uint16 (or uint32)
