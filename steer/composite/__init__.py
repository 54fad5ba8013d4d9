"""Composite indices (rankings) the way the JRC's COINr computes them, in NumPy.

Pure computation: nothing here imports Django. `tables` reads COINr's iData and iMeta tables,
`pipeline` runs denominate → impute → screen → treat → normalise → aggregate, keeping every stage.
"""


class CompositeError(ValueError):
    """Bad input: the message names the table, the code or the unit at fault."""
