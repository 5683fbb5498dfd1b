"""Find behaviours by (kind, name).

Behaviours are small classes (BOA components in the sense of Baarslag et al. 2014,
extended from bilateral agents to every role of a two-level game). A scenario, a sweep
design, ``--set`` or a dashboard select names a behaviour; the registry turns the name
into the class and validates its parameters. Third-party packages add behaviours through
the entry-point group ``negotiation.behaviours``: each entry point names a module (or an
object in one) whose import runs :func:`register` decorators.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Annotated, Any, get_args, get_origin

from pydantic import TypeAdapter, ValidationError

ENTRY_POINT_GROUP = "negotiation.behaviours"

KINDS: dict[str, str] = {
    "offer": "what a delegation offers each round (concession / bidding strategy)",
    "acceptance": "whether a delegation accepts the package on the table",
    "opponent_model": "what a delegation learns about the other side from its offers",
    "lobbying": "how an interest group pushes its delegation's mandate",
    "mediation": "what the host does each round (convene, or table a text)",
    "ratification": "whether a leader ratifies a package the delegations agreed",
    "escalation": "when a leader issues or withdraws threats",
}


VALIDATED_KEPT = 4096  # validated parameter sets kept per behaviour
SCALARS = (int, float, str, type(None))  # values shared between validated sets (bool is an int)


class BehaviourError(ValueError):
    """An unknown behaviour name or invalid behaviour parameters."""


@dataclass(frozen=True)
class BehaviourInfo:
    """A registered behaviour: its class and what it takes."""

    kind: str
    name: str
    cls: type
    summary: str
    params: dict[str, tuple[str, Any]]  # name -> (type, default)
    # (name, type, value) of each parameter given -> the validated parameters: a sweep
    # validates the same few choices for every point (bounded, see validate)
    _validated: dict[tuple[Any, ...], dict[str, Any]] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )

    def build(self, params: Mapping[str, Any] | None = None) -> Any:
        """Validate ``params`` and return a fresh instance (one per actor per run)."""
        return self.cls(**self.validate(params or {}))

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``params`` validated and completed with defaults, or raise clearly.

        Valid parameters seen before (the same values of the same types) are not
        validated again."""
        key = tuple(sorted((name, type(value).__name__, value) for name, value in params.items()))
        try:
            known = self._validated.get(key)
        except TypeError:  # an unhashable value: validated each time
            return self._validate(params)
        if known is None:
            known = self._validate(params)
            if not all(isinstance(v, SCALARS) for v in known.values()):
                return known  # a value a behaviour might change: not shared
            if len(self._validated) >= VALIDATED_KEPT:
                self._validated.clear()
            self._validated[key] = known
        return dict(known)

    def _validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            allowed = ", ".join(self.params) or "none"
            raise BehaviourError(
                f"{self.kind} behaviour {self.name!r} has no parameter {unknown[0]!r}; "
                f"its parameters are: {allowed}"
            )
        try:
            instance = _adapter(self.cls).validate_python(dict(params))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            where = f", parameter {field!r}" if field else ""
            message = str(err["msg"]).removeprefix("Value error, ")
            raise BehaviourError(
                f"{self.kind} behaviour {self.name!r}{where}: {message} (got {err.get('input')!r})"
            ) from None
        return {f: getattr(instance, f) for f in self.params}


_REGISTRY: dict[tuple[str, str], BehaviourInfo] = {}
_ADAPTERS: dict[type, TypeAdapter[Any]] = {}
_entry_points_loaded = False
_BROKEN: dict[str, str] = {}


def _adapter(cls: type) -> TypeAdapter[Any]:
    if cls not in _ADAPTERS:
        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


def register(kind: str, name: str, *, override: bool = False) -> Callable[[type], type]:
    """Class decorator: make a behaviour selectable as ``name`` for ``kind``.

    The class must be a dataclass (its fields are the behaviour's parameters, validated
    by pydantic from their type annotations) implementing the interface of ``kind``.
    A name that is taken is refused unless ``override=True`` (re-importing the module
    that registered it, as a notebook does, is allowed).
    """
    if kind not in KINDS:
        raise BehaviourError(f"unknown behaviour kind {kind!r}; the kinds are: {', '.join(KINDS)}")

    def decorate(cls: type) -> type:
        if not dataclasses.is_dataclass(cls):
            cls = dataclass(cls)
        from negotiation.behaviours.interfaces import INTERFACES

        interface = INTERFACES[kind]
        if not issubclass(cls, interface):
            raise BehaviourError(
                f"{cls.__name__} is registered as a {kind} behaviour but does not subclass "
                f"{interface.__name__}"
            )
        params = {
            f.name: (_type_name(f.type), _default(f))
            for f in dataclasses.fields(cls)
            if f.init and not f.name.startswith("_")
        }
        doc = inspect.getdoc(cls) or ""
        summary = doc.strip().splitlines()[0] if doc.strip() else name
        existing = _REGISTRY.get((kind, name))
        if existing is not None and not override and _origin(existing.cls) != _origin(cls):
            raise BehaviourError(
                f"{kind} behaviour {name!r} is already registered by "
                f"{_origin(existing.cls)}; choose another name, or pass override=True "
                f"to register({kind!r}, {name!r}) to replace it"
            )
        _REGISTRY[(kind, name)] = BehaviourInfo(kind, name, cls, summary, params)
        return cls

    return decorate


def _origin(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def unregister(kind: str, name: str) -> None:
    """Forget a behaviour (for notebooks and tests that register throw-away ones)."""
    _REGISTRY.pop((kind, name), None)


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    text = str(text) or repr(annotation)
    if "Annotated[" in text:
        text = text.split("Annotated[", 1)[1].split(",", 1)[0]
    return text


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def load_entry_points() -> None:
    """Import every module advertised in the ``negotiation.behaviours`` group (once)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as exc:  # a broken plug-in must not stop the others
            _BROKEN[ep.name] = f"{ep.value}: {type(exc).__name__}: {exc}"


def broken_plugins() -> dict[str, str]:
    """Plug-ins of the entry-point group that failed to load: name -> what went wrong."""
    load_entry_points()
    return dict(_BROKEN)


def get(kind: str, name: str) -> BehaviourInfo:
    """The behaviour ``name`` of ``kind``, or an error listing the registered names."""
    load_entry_points()
    try:
        return _REGISTRY[(kind, name)]
    except KeyError:
        if kind not in KINDS:
            raise BehaviourError(
                f"unknown behaviour kind {kind!r}; the kinds are: {', '.join(KINDS)}"
            ) from None
        broken = "".join(
            f"; plug-in {plugin!r} failed to load ({why})" for plugin, why in _BROKEN.items()
        )
        raise BehaviourError(
            f"unknown {kind} behaviour {name!r}; registered {kind} behaviours: "
            f"{', '.join(names(kind))}{broken}"
        ) from None


def names(kind: str) -> list[str]:
    """Registered names of ``kind``, sorted."""
    load_entry_points()
    return sorted(n for k, n in _REGISTRY if k == kind)


def catalogue() -> list[BehaviourInfo]:
    """Every registered behaviour, by kind then name."""
    load_entry_points()
    order = list(KINDS)
    return sorted(_REGISTRY.values(), key=lambda b: (order.index(b.kind), b.name))
