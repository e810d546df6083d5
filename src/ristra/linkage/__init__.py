"""Record linkage of pipeline-program rosters to the school's identity datasets (Splink 5 on DuckDB).

:func:`link` runs one roster against one restricted identity dataset: SQL standardisation
(:mod:`ristra.linkage.standardise`), an exact pass on shared identifiers, a Fellegi–Sunter model
trained without labels (:mod:`ristra.linkage.model`; Splink stays behind that one module), one-to-one
resolution and a threshold calibrated on labelled rows (:mod:`ristra.core.linkage`). Its output
holds ids, match weights, probabilities and tiers — never names, birth dates or e-mails.
See ``docs/linkage.md``.
"""

from ristra.linkage.model import ModelOptions
from ristra.linkage.run import LinkRun, link

__all__ = ["LinkRun", "ModelOptions", "link"]
