"""Property-based tests: over the named parameters, the model never crashes and keeps
its invariants."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiation import TradeTalksModel, load_scenario
from negotiation.behaviours import names, registry

from .invariants import check_invariants

FLAGSHIP = load_scenario("kuala-lumpur-2025")


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


def _coherent(values: dict[str, object]) -> dict[str, object]:
    """Drop exponents aimed at strategies that take none (an error by design)."""
    out = dict(values)
    for side in ("us", "china"):
        default = FLAGSHIP.parameters[f"{side}_offer_strategy"].default
        strategy = str(out.get(f"{side}_offer_strategy", default))
        if "e" not in registry.get("offer", strategy).params:
            out.pop(f"{side}_concession_exponent", None)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=_parameter_values(), seed=st.integers(0, 2**63 - 1))
def test_any_parameters_keep_the_invariants(values: dict[str, object], seed: int) -> None:
    model = TradeTalksModel(FLAGSHIP, rng=seed, collect=False, **_coherent(values))
    model.run()
    check_invariants(model)
