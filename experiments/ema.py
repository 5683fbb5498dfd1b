"""The model as an EMA Workbench model: exploratory modelling on any scenario.

EMA Workbench (Kwakkel 2017) runs a model over sampled *uncertainties* (what the
analyst cannot control) and *levers* (what a party chooses), then offers scenario
discovery (PRIM, CART), feature scoring and robust optimisation on the results.
:func:`build_model` turns a scenario's named parameters into EMA parameters and the
outcome record into EMA outcomes, so every scenario file is an EMA model:

- ``number`` -> :class:`~ema_workbench.RealParameter` (low, high); ``integer`` ->
  :class:`~ema_workbench.IntegerParameter`; ``boolean`` ->
  :class:`~ema_workbench.BooleanParameter`; ``behaviour`` ->
  :class:`~ema_workbench.CategoricalParameter` of the registered behaviour names
  (:func:`negotiation.behaviours.names`).
- By default the behaviour parameters (each side's offer strategy, the host's
  mediation) are levers and the rest are uncertainties; the caller may choose, and may
  fix parameters as EMA constants.
- Outcomes (:data:`DEFAULT_OUTCOMES` plus ``package__<issue>`` for every issue) are
  :class:`~ema_workbench.ScalarOutcome` values averaged over the replications of an
  experiment: with one replication (the default) ``truce`` is 0 or 1, with more it is
  P(truce) in that experiment. A value a run does not have (the days before the summit
  of a run without a truce) is NaN; the mean skips it.

Each experiment runs :func:`negotiation.run_once` ``replications`` times (an EMA
:class:`~ema_workbench.ReplicatorModel`). Replication ``r`` of an experiment uses the
64-bit seed of ``SeedSequence(root_seed, spawn_key=(*digest, r))``, where ``digest`` is
four 32-bit words of a BLAKE2b hash of the experiment's uncertainty values. EMA's own
sample ids come from process-wide counters, so the seed is derived from what the
experiment *is*: the same design gives the same results in any process, on any EMA
evaluator, and every policy meets the same random draws in a scenario (common random
numbers, which sharpen comparisons of policies). Seed EMA's samplers for a repeatable
design: ``perform_experiments(model, 20, 2, uncertainty_sampling_kwargs={"rng": 1},
lever_sampling_kwargs={"rng": 2})`` (``log_progress=True`` logs progress instead of
drawing a tqdm bar).

Scenario discovery on the results: ``Prim(*ema_prim_inputs(experiments, outcomes,
model))``, with the column types EMA's PRIM needs under pandas 3 (see
:func:`experiments.analysis.prim_frame`). EMA Workbench is the ``analysis`` extra.

Reference: Kwakkel, J. H. (2017), The Exploratory Modeling Workbench: an open source
toolkit for exploratory modeling, scenario discovery, and (multi-objective) robust
decision making, Environmental Modelling & Software 96, 239–250.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis import prim_frame, quiet_ema
from experiments.extras import require
from negotiation import Scenario, load_scenario, run_once
from negotiation.behaviours import names as behaviour_names
from negotiation.scenario import ParameterSpec

# Outcome record fields offered as EMA outcomes (numbers or yes/no), besides the package.
DEFAULT_OUTCOMES: tuple[str, ...] = (
    "truce",
    "summit_deal",
    "days_before_summit",
    "round",
    "rounds_played",
    "vetoes",
    "nash_product",
    "pareto_distance",
    "nash_distance",
    "final_gap",
)
REPLICATION = "replication"  # the replication index EMA hands the model function


def outcome_names(scenario: Scenario) -> list[str]:
    """Every outcome :func:`build_model` can report for ``scenario``: the record's
    numeric fields and the agreed value of each issue (``package__<issue>``)."""
    return [*DEFAULT_OUTCOMES, *(f"package__{key}" for key in scenario.space.keys)]


def ema_parameter(name: str, spec: ParameterSpec) -> Any:
    """The EMA Workbench parameter for the named parameter ``spec``.

    A numeric parameter whose range is a single value cannot be sampled (EMA needs
    low < high): fix it instead (``fixed=`` in :func:`build_model`).
    """
    ema = require("ema_workbench", "analysis", "the EMA Workbench bridge")

    if spec.kind == "behaviour":
        assert spec.behaviour_kind is not None  # the scenario's validation checks it
        return ema.CategoricalParameter(name, behaviour_names(spec.behaviour_kind))
    if spec.kind == "boolean":
        return ema.BooleanParameter(name)
    assert spec.low is not None and spec.high is not None  # likewise
    if not spec.low < spec.high:
        raise ValueError(
            f"parameter {name!r} has the single value {spec.low}: fix it instead of sampling it"
        )
    if spec.kind == "integer":
        return ema.IntegerParameter(name, math.ceil(spec.low), math.floor(spec.high))
    return ema.RealParameter(name, spec.low, spec.high)


@dataclass(frozen=True)
class ScenarioFunction:
    """The EMA model function: one seeded run of a scenario, as outcome values.

    EMA calls it with every uncertainty, lever and constant as a keyword argument, plus
    :data:`REPLICATION`. Small and picklable (the scenario travels as JSON), so EMA's
    multiprocessing evaluator can ship it to workers.
    """

    scenario_json: str
    uncertainties: tuple[str, ...]
    outcomes: tuple[str, ...]
    root_seed: int

    @cached_property
    def scenario(self) -> Scenario:
        """The scenario, parsed once per process."""
        return Scenario.model_validate_json(self.scenario_json)

    def seed(self, values: Mapping[str, Any], replication: int) -> int:
        """The 64-bit seed of replication ``replication`` of the experiment ``values``."""
        key = [[name, values.get(name)] for name in sorted(self.uncertainties)]
        digest = hashlib.blake2b(json.dumps(key).encode(), digest_size=16).digest()
        words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
        sequence = np.random.SeedSequence(self.root_seed, spawn_key=(*words, replication))
        return int(sequence.generate_state(1, dtype=np.uint64)[0])

    def __call__(self, **kwargs: Any) -> dict[str, float]:
        replication = int(kwargs.pop(REPLICATION, 0))
        params = {name: _plain(value) for name, value in kwargs.items()}
        seed = self.seed(params, replication)
        row = run_once(self.scenario, seed=seed, params=params).to_row()
        return {name: _number(row.get(name)) for name in self.outcomes}


def build_model(
    scenario: Scenario | str,
    *,
    uncertainties: Iterable[str] | None = None,
    levers: Iterable[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
    outcomes: Iterable[str] | None = None,
    replications: int = 1,
    root_seed: int = 0,
    name: str | None = None,
) -> Any:
    """An EMA Workbench ``ReplicatorModel`` of ``scenario`` (a built-in name or a Scenario).

    ``uncertainties`` and ``levers`` name the scenario's parameters to sample. Left out,
    the levers are the behaviour parameters named nowhere else and the uncertainties
    the other parameters named nowhere else (pass ``[]`` for none); a parameter in no
    role keeps the scenario's value. ``fixed`` sets
    parameters to a value for every run (EMA constants). ``outcomes`` picks from
    :func:`outcome_names` (all by default). Each experiment runs ``replications`` seeded
    runs (see the module docstring for the seeds); outcomes are their means. The model
    is named ``name`` (default: the scenario's name as a Python identifier, which EMA
    requires). Unknown or doubly assigned names raise ``ValueError``.
    """
    ema = require("ema_workbench", "analysis", "the EMA Workbench bridge")

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    integer = isinstance(root_seed, int | np.integer) and not isinstance(root_seed, bool)
    if not integer or not 0 <= root_seed < 2**63:
        raise ValueError(f"root_seed must be an integer from 0 to 2**63 - 1, got {root_seed!r}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications must be a positive integer, got {replications!r}")
    fixed_values = base.check_parameters(dict(fixed or {}))
    chosen_u = _known(base, uncertainties, "uncertainties")
    chosen_l = _known(base, levers, "levers")
    _disjoint({"uncertainties": chosen_u, "levers": chosen_l, "fixed": list(fixed_values)})
    taken = set(chosen_u or ()) | set(chosen_l or ()) | set(fixed_values)
    free = [n for n in base.parameters if n not in taken]
    if chosen_l is None:
        chosen_l = [n for n in free if base.parameters[n].kind == "behaviour"]
    if chosen_u is None:
        chosen_u = [n for n in free if base.parameters[n].kind != "behaviour"]

    allowed = outcome_names(base)
    chosen_o = list(outcomes) if outcomes is not None else allowed
    unknown = [o for o in chosen_o if o not in allowed]
    if unknown:
        raise ValueError(f"unknown outcomes {unknown}; the outcomes are: {', '.join(allowed)}")

    function = ScenarioFunction(
        base.model_dump_json(), tuple(chosen_u), tuple(chosen_o), int(root_seed)
    )
    with quiet_ema():
        model = ema.ReplicatorModel(name or _identifier(base.name), function=function)
    model.uncertainties = [ema_parameter(n, base.parameters[n]) for n in chosen_u]
    model.levers = [ema_parameter(n, base.parameters[n]) for n in chosen_l]
    model.constants = [ema.Constant(n, v) for n, v in fixed_values.items()]
    model.outcomes = [ema.ScalarOutcome(o, function=_mean) for o in chosen_o]
    model.replications = [{REPLICATION: r} for r in range(replications)]
    return model


def ema_prim_inputs(
    experiments: pd.DataFrame,
    outcomes: Mapping[str, np.ndarray],
    model: Any,
    outcome: str = "truce",
    columns: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``(x, y)`` for EMA's ``Prim`` from ``perform_experiments`` results.

    ``x`` holds ``columns`` of ``experiments`` (default: the model's uncertainties and
    levers), cast as :func:`experiments.analysis.prim_frame` does; ``y`` is 1 where
    ``outcome`` is above one half (with one replication: the runs that have it; with
    more, the experiments where it held in most replications).
    """
    names = list(columns) if columns is not None else _inputs(model)
    x = prim_frame(experiments[names].reset_index(drop=True))
    y = (np.asarray(outcomes[outcome], dtype=float) > 0.5).astype(int)
    return x, y


def feature_frame(experiments: pd.DataFrame, model: Any) -> pd.DataFrame:
    """The model's uncertainties and levers from ``experiments``, for EMA's feature
    scoring (``get_feature_scores_all(feature_frame(...), outcomes)``): numbers as
    float, categories as ``category`` (EMA codes them)."""
    return prim_frame(experiments[_inputs(model)].reset_index(drop=True))


def _inputs(model: Any) -> list[str]:
    return [p.name for p in model.uncertainties] + [p.name for p in model.levers]


def _known(scenario: Scenario, chosen: Iterable[str] | None, what: str) -> list[str] | None:
    if chosen is None:
        return None
    chosen = list(chosen)
    unknown = [n for n in chosen if n not in scenario.parameters]
    if unknown:
        raise ValueError(
            f"{what}: unknown parameters {unknown} for scenario {scenario.name!r}; "
            f"its parameters are: {', '.join(sorted(scenario.parameters))}"
        )
    return chosen


def _disjoint(roles: dict[str, list[str] | None]) -> None:
    seen: dict[str, str] = {}
    for role, chosen in roles.items():
        for n in chosen or ():
            if n in seen:
                raise ValueError(f"parameter {n!r} is in both {seen[n]} and {role}")
            seen[n] = role


def _identifier(text: str) -> str:
    """``text`` as a Python identifier (EMA 3 requires model names to be)."""
    name = re.sub(r"\W", "_", text)
    return name if name.isidentifier() else f"model_{name}"


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value the scenario's parameter checks accept."""
    return value.item() if isinstance(value, np.generic) else value


def _number(value: Any) -> float:
    """An outcome value as a float (yes/no as 1/0; a missing value as NaN)."""
    return math.nan if value is None else float(value)


def _mean(values: Sequence[float]) -> float:
    """The mean over an experiment's replications, skipping NaN (NaN if all are)."""
    finite = [v for v in values if not math.isnan(v)]
    return float(sum(finite) / len(finite)) if finite else math.nan
