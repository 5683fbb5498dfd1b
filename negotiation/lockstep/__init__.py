"""The lockstep engine: many seeded runs of one plan in one Mesa model.

:class:`~negotiation.lockstep.model.LockstepTalks` plays one round of every run of a
batch per Mesa step, in one compiled call (:mod:`negotiation.lockstep.protocol`); each
run is the per-run model's run for its seed, whatever batch it is in.
:func:`~negotiation.lockstep.layout.coverage_problem` says whether a plan is covered,
and :func:`~negotiation.lockstep.model.run_seeds` runs seeds in lockstep where it is and
one by one where it is not;
:func:`~negotiation.lockstep.columns.outcome_columns` and
:func:`~negotiation.lockstep.columns.outcome_rows` give a finished batch's outcomes.
"""

from negotiation.lockstep.columns import outcome_columns, outcome_records, outcome_rows
from negotiation.lockstep.layout import NotCovered, coverage_problem
from negotiation.lockstep.model import LockstepTalks, run_lockstep, run_seeds

__all__ = [
    "LockstepTalks",
    "NotCovered",
    "coverage_problem",
    "outcome_columns",
    "outcome_records",
    "outcome_rows",
    "run_lockstep",
    "run_seeds",
]
