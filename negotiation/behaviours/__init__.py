"""Behaviours: small, swappable components selected by name (see :mod:`.registry`).

Importing this package registers the built-in library; third-party packages add theirs
through the ``negotiation.behaviours`` entry-point group.
"""

from negotiation.behaviours import (  # noqa: F401  (imported to register)
    acceptance,
    escalation,
    lobbying,
    mediation,
    offer,
    opponent,
    ratification,
)
from negotiation.behaviours.interfaces import (
    AcceptanceStrategy,
    Escalation,
    Lobbying,
    Mediation,
    OfferStrategy,
    OpponentModel,
    Ratification,
    Verdict,
)
from negotiation.behaviours.registry import catalogue, get, names, register, unregister
from negotiation.behaviours.vectorised import (
    AcceptRuns,
    HostRuns,
    LeaderRuns,
    LobbyRuns,
    OfferRuns,
    OpponentRuns,
    RatifyRuns,
    VectorisedAcceptance,
    VectorisedEscalation,
    VectorisedLobbying,
    VectorisedMediation,
    VectorisedOffer,
    VectorisedOpponent,
    VectorisedRatification,
)

__all__ = [
    "AcceptRuns",
    "AcceptanceStrategy",
    "Escalation",
    "HostRuns",
    "LeaderRuns",
    "LobbyRuns",
    "Lobbying",
    "Mediation",
    "OfferRuns",
    "OfferStrategy",
    "OpponentModel",
    "OpponentRuns",
    "Ratification",
    "RatifyRuns",
    "VectorisedAcceptance",
    "VectorisedEscalation",
    "VectorisedLobbying",
    "VectorisedMediation",
    "VectorisedOffer",
    "VectorisedOpponent",
    "VectorisedRatification",
    "Verdict",
    "catalogue",
    "get",
    "names",
    "register",
    "unregister",
]
