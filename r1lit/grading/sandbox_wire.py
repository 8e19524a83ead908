"""Plain values across the sandbox boundary: what a program's function returned, as tagged JSON.

A sandboxed program hands return values to a trusted judge (the harness, or the checker process of
`sandbox.run(check=...)`) only as *values*: `encode` turns them into JSON where every non-JSON type
carries a tag, and `decode` rebuilds plain Python objects from it. Whatever objects the program made
(an `__eq__` that is always True, a `str` subclass that lies about itself), the judge compares
fresh `int`/`float`/`str`/`list`/... objects it built itself, so only the value can pass.

Encoded by value: None, bool, int, float (nan/inf included), str, bytes, complex, list, tuple, dict
(any hashable keys), set, frozenset, `fractions.Fraction`, `decimal.Decimal`, subclasses of these
(read through the base type's own methods, never the subclass's), and numpy scalars / arrays (via
their `tolist()`). Anything else raises TypeError: the program's answer is not a value.

Stdlib only, no r1lit imports: the sandbox launcher loads this file as a top-level module.
"""

from __future__ import annotations

import json
import struct
import sys  # `fractions` / `decimal` are looked up, not imported: each run would pay for them

MAX_DEPTH = 200  # nesting deeper than this is refused rather than risking a RecursionError
_HEADER = struct.Struct("!Q")  # a frame: 8-byte big-endian length, then that many bytes of JSON


def _tagged(tag: str, value: object) -> dict[str, object]:
    return {"__t": tag, "v": value}


def _encode(x: object, depth: int) -> object:
    if depth > MAX_DEPTH:
        raise TypeError("value nested too deeply")
    t, d = type(x), depth + 1
    if x is None or t is bool:
        return x
    if type(x).__module__.split(".")[0] == "numpy" and hasattr(t, "tolist"):
        return _encode(t.tolist(x), d)  # numpy scalar -> Python scalar, array -> nested lists
    if isinstance(x, int):
        return int.__index__(x)
    if isinstance(x, float):
        return float.__float__(x)
    if isinstance(x, str):
        return str.__str__(x)
    if isinstance(x, bytes):
        return _tagged("bytes", bytes.hex(x))
    if isinstance(x, complex):
        return _tagged("complex", [complex.__complex__(x).real, complex.__complex__(x).imag])
    fractions, decimal = sys.modules.get("fractions"), sys.modules.get("decimal")  # imported: maybe used
    if fractions is not None and isinstance(x, fractions.Fraction):
        return _tagged("fraction", [int.__index__(x.numerator), int.__index__(x.denominator)])
    if decimal is not None and isinstance(x, decimal.Decimal):
        return _tagged("decimal", decimal.Decimal.__str__(x))
    if isinstance(x, list):
        return [_encode(v, d) for v in list.__iter__(x)]
    if isinstance(x, tuple):
        return _tagged("tuple", [_encode(v, d) for v in tuple.__iter__(x)])
    if isinstance(x, dict):
        return _tagged("dict", [[_encode(k, d), _encode(v, d)] for k, v in dict.items(x)])
    if isinstance(x, frozenset):
        return _tagged("frozenset", [_encode(v, d) for v in frozenset.__iter__(x)])
    if isinstance(x, set):
        return _tagged("set", [_encode(v, d) for v in set.__iter__(x)])
    raise TypeError(f"not a plain value: {t.__name__}")


def encode(x: object) -> bytes:
    """The tagged JSON of a plain value (see module docstring). Raises TypeError for other objects."""
    return json.dumps(_encode(x, 0)).encode()


def _hashable(x: object) -> object:
    return tuple(_hashable(v) for v in x) if isinstance(x, list) else x


def _fraction(v: list) -> object:
    from fractions import Fraction

    return Fraction(int(v[0]), int(v[1]))


def _decimal(v: str) -> object:
    from decimal import Decimal

    return Decimal(v)


_DECODERS = {
    "bytes": bytes.fromhex,
    "complex": lambda v: complex(float(v[0]), float(v[1])),
    "fraction": _fraction,
    "decimal": _decimal,
}


def _decode(x: object) -> object:
    if isinstance(x, list):
        return [_decode(v) for v in x]
    if not isinstance(x, dict):
        return x  # json gives only None, bool, int, float, str here
    tag, value = x.get("__t"), x.get("v")
    if tag in _DECODERS:
        return _DECODERS[tag](value)
    items = [_decode(v) for v in value] if isinstance(value, list) else None
    if items is None:
        raise ValueError(f"malformed tagged value: {str(x)[:100]}")
    if tag == "tuple":
        return tuple(items)
    if tag == "dict":
        return {_hashable(k): v for k, v in items}
    if tag in ("set", "frozenset"):
        values = (_hashable(v) for v in items)
        return set(values) if tag == "set" else frozenset(values)
    raise ValueError(f"unknown value tag {tag!r}")


def decode(data: bytes | str) -> object:
    """The plain value `encode` wrote. Raises ValueError (or TypeError) for anything malformed."""
    return _decode(json.loads(data))


def write_frame(fd: int, payload: bytes, write: object = None) -> None:
    """Write one length-prefixed frame to `fd` (`write`: an os.write captured beforehand)."""
    write = write or __import__("os").write
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        view = view[write(fd, view) :]


def read_frame(fd: int, max_bytes: int, read: object = None) -> bytes | None:
    """One frame from `fd`; None at end of file. Raises ValueError for a frame over `max_bytes`."""
    read = read or __import__("os").read
    header = _read_exact(fd, _HEADER.size, read)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > max_bytes:
        raise ValueError(f"a frame of {size} bytes is over the {max_bytes}-byte limit")
    body = _read_exact(fd, size, read)
    if body is None:
        raise ValueError("the frame ended early")
    return body


def _read_exact(fd: int, n: int, read: object) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
