"""A named tuple of arrays as one reference for compiled code.

The protocol's functions take the batch's layout and state, some ninety arrays. Passed
as named tuples, every call that numba does not inline copies the tuple and counts a
reference to each array in and out again (about a microsecond a call, measured: most
of a round's cost). A structure reference (``numba.experimental.structref``) holding
the same arrays is one pointer: a call costs nanoseconds. The arrays are shared, not
copied, so what compiled code writes into the structure's arrays is in the tuple's.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np
from numba.core import types
from numba.experimental import structref
from numba.extending import overload


@structref.register
class ArraysType(types.StructRef):
    """The numba type of a structure made from a named tuple: one field per tuple field."""

    def preprocess_fields(self, fields: Any) -> tuple[tuple[str, Any], ...]:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class Arrays(structref.StructRefProxy):
    """What Python sees of such a structure (compiled code reads its fields)."""


structref.define_boxing(ArraysType, Arrays)


def _fill(typ, values):  # untyped: numba matches the names
    """In plain Python (``NUMBA_DISABLE_JIT=1``) the named tuple serves as it is: its
    fields are read the same way. Compiled code uses the overload below."""
    return values


@overload(_fill)
def _fill_overload(typ, values):  # untyped, as the implementation
    """A constructor written for the named tuple's fields (at compile time)."""
    source = "def fill(typ, values):\n    out = structref.new(typ)\n"
    source += "".join(f"    out.{name} = values.{name}\n" for name in values.fields)
    source += "    return out\n"
    namespace = {"structref": structref}
    exec(source, namespace)  # code generated from the field names alone
    return namespace["fill"]


@numba.njit(cache=True)
def _to_struct(typ: Any, values: Any) -> Any:
    return _fill(typ, values)


def as_struct(values: NamedTuple) -> Arrays:
    """A structure holding the fields of ``values`` (a named tuple defined at module
    level, so that the compiled constructor is cached), sharing its arrays."""
    if numba.config.DISABLE_JIT:  # type: ignore[attr-defined]
        return values  # type: ignore[return-value]  # plain Python reads the tuple alike
    signature = _signature(values)
    typ = _TYPES.get(signature)
    if typ is None:
        fields = [(name, numba.typeof(getattr(values, name))) for name in values._fields]
        typ = _TYPES[signature] = ArraysType(fields)
    return _to_struct(typ, values)


# The structure's type by what numba's typeof reads of each field: asking numba for
# the types of a batch's forty-odd arrays took a quarter of a millisecond, an eighth of
# a batch of one run (the dashboard's path); the signature takes a few microseconds.
_TYPES: dict[tuple[Any, ...], ArraysType] = {}


def _signature(values: NamedTuple) -> tuple[Any, ...]:
    """What fixes the numba type of each field: an array's dtype, dimensions, layout (as
    numba names it: C before F), writability and alignment; another value's Python
    type."""
    out: list[Any] = [type(values)]
    for value in values:
        if isinstance(value, np.ndarray):
            flags = value.flags
            layout = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "A"
            out.append((value.dtype.str, value.ndim, layout, flags.writeable, flags.aligned))
        else:
            out.append(type(value))
    return tuple(out)
