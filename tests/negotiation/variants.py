"""Scenario variants for behaviour tests: the flagship with some actors' fields changed.

Built in memory from the validated flagship (``model_dump`` -> edit -> validate), so a
variant is checked exactly like a scenario file.
"""

from __future__ import annotations

from typing import Any

from negotiation import Scenario
from negotiation.scenario import sync_defaults

DELEGATIONS = {"US": "us_delegation", "China": "china_delegation"}
LEADERS = {"US": "trump", "China": "xi"}


def behaviour(name: str, **params: Any) -> dict[str, Any]:
    return {"name": name, "params": params}


def variant(
    base: Scenario,
    actors: dict[str, dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    *,
    events: bool = True,
    shocks: bool = True,
    groups: bool = True,
    host: bool = True,
    parameters: bool = True,
) -> Scenario:
    """``base`` with actor fields replaced (``{actor key: {field: value}}``) and settings
    updated; ``False`` drops the dated events, random shocks, groups, host or named
    parameters."""
    data = base.model_dump()
    for actor in data["actors"]:
        actor.update((actors or {}).get(actor["key"], {}))
    data["actors"] = [
        a
        for a in data["actors"]
        if (groups or a["kind"] != "group") and (host or a["kind"] != "host")
    ]
    data["settings"].update(settings or {})
    if not events:
        data["events"] = []
    if not shocks:
        data["shocks"] = []
    if not parameters:
        data["parameters"] = {}
    return Scenario.model_validate(sync_defaults(data))


def calm(
    base: Scenario, actors: dict[str, dict[str, Any]] | None = None, **settings: Any
) -> Scenario:
    """The flagship with nothing moving but the offers: no events, shocks, lobbying,
    goodwill, escalation or resolve noise (preferences and reservations stay fixed)."""
    fixed: dict[str, dict[str, Any]] = {
        "malaysia": {"mediation": behaviour("convenor", goodwill=0.0)},
        "trump": {"escalation": behaviour("restraint")},
        "xi": {"escalation": behaviour("restraint")},
    }
    for key, fields in (actors or {}).items():
        fixed[key] = {**fixed.get(key, {}), **fields}
    return variant(
        base,
        fixed,
        {"lobbying_rate": 0.0, "resolve_noise": 0.0, **settings},
        events=False,
        shocks=False,
    )


def bilateral(base: Scenario, offer: str, opponent_model: str = "perfect") -> Scenario:
    """Two delegations and two leaders who want what their delegations want, no groups,
    host, threats or noise: the textbook bilateral bargaining problem, with the no-deal
    package as the disagreement point."""
    specs = {a.key: a for a in base.actors}
    actors: dict[str, dict[str, Any]] = {}
    for side, key in DELEGATIONS.items():
        actors[key] = {
            "reservation_shift": 0.0,
            "offer": behaviour(offer),
            "opponent_model": behaviour(opponent_model),
        }
        actors[LEADERS[side]] = {
            "position": specs[key].position,
            "salience": specs[key].salience,
            "reservation_shift": 0.0,
            "threat_issues": [],
            "escalation": behaviour("restraint"),
        }
    return variant(
        base,
        actors,
        {"resolve_noise": 0.0},
        events=False,
        shocks=False,
        groups=False,
        host=False,
        parameters=False,
    )
