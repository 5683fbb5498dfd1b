"""Property-based tests: over the named parameters, the model never crashes and keeps
its invariants."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiation import TradeTalksModel, load_scenario
from negotiation.behaviours import names
from negotiation.scenario import first_release

from .invariants import check_invariants

FLAGSHIP = first_release(load_scenario("kuala-lumpur-2025"))


def _parameter_values() -> st.SearchStrategy[dict[str, object]]:
    fields: dict[str, st.SearchStrategy[object]] = {}
    for name, p in FLAGSHIP.parameters.items():
        if p.kind == "behaviour":
            assert p.behaviour_kind is not None
            fields[name] = st.sampled_from(names(p.behaviour_kind))
        elif p.kind == "integer":
            fields[name] = st.integers(int(p.low or 0), int(p.high or 0))
        elif p.kind == "boolean":
            fields[name] = st.booleans()
        else:
            fields[name] = st.floats(p.low or 0.0, p.high or 0.0, allow_nan=False)
    return st.fixed_dictionaries({}, optional=fields)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=_parameter_values(), seed=st.integers(0, 2**63 - 1))
def test_any_parameters_keep_the_invariants(values: dict[str, object], seed: int) -> None:
    model = TradeTalksModel(
        FLAGSHIP, rng=seed, collect=False, **values
    )  # exponents of strategies without one are ignored
    model.run()
    check_invariants(model)
