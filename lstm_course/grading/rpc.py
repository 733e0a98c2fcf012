"""The grader's wire format: plain data over a pipe, no pickle, both ways.

Used on both sides of the sandbox, so this file imports only the standard library and NumPy
(the sandbox loads it by path, before anything else).

A message is one JSON header and a list of binary blobs, each an ndarray in NumPy's .npy
format read with allow_pickle=False::

    frame := u64 header_length, header JSON, then for each blob: u64 length, .npy bytes

Values are encoded as JSON with tagged objects:

=====================  ===============================================================
value                  encoded as
=====================  ===============================================================
None, bool, int,       themselves (floats may be NaN or inf; Python's json allows them)
float, str
tuple, list, dict      {"t": [...]}, [...], {"d": [[key, value], ...]}
ndarray, NumPy scalar  {"a": blob index} (numeric and bool dtypes only), {"s": blob index}
dataclass, NamedTuple  {"r": type name, "k": "dataclass" | "namedtuple", "f": {field: value}}
random Generator       {"g": bit generator name, "state": {...}}
anything else          {"h": handle id, "c": callable?, "n": type name, ...}: a handle, the
                       object stays where it is and calls on it travel back over the pipe
the peer's own handle  {"y": handle id}: resolved to the original object on arrival
=====================  ===============================================================

Record types are rebuilt only from a whitelist the receiver supplies (`Codec.resolve_type`);
an unknown record comes back as a `Record` (a read-only object with the same fields) or, for
a named tuple, as a plain named tuple with the same field names.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import json
import keyword
import struct
import threading

import numpy as np

MAX_MESSAGE = 64 * 2 ** 20  # bytes: far above any exercise's arrays, far below a machine's memory
MAX_DEPTH = 40
MAX_NODES = 200_000
_ALLOWED_KINDS = "biufc"  # bool, int, uint, float, complex: never object or structured arrays
_U64 = struct.Struct("<Q")
# CPython 3.11 keeps the recursion depth of its AST conversions (ast.parse, and so ast.literal_eval,
# which NumPy uses to read an .npy header) in one global state: two threads converting at once fail
# with "SystemError: AST constructor recursion depth mismatch". Every such call holds this lock.
AST_LOCK = threading.RLock()


class ProtocolError(Exception):
    """A malformed, oversized or unexpected message."""


class EncodeError(ValueError):
    """A value that cannot be sent (nested too deeply, too large)."""


# ---------------------------------------------------------------------------------------
# Framing

def pack(header, blobs):
    """Bytes of one message."""
    head = json.dumps(header, allow_nan=True, separators=(",", ":")).encode("utf-8")
    parts = [_U64.pack(len(head)), head]
    for blob in blobs:
        parts += [_U64.pack(len(blob)), blob]
    return b"".join(parts)


def unpack_from(read_exact):
    """Read one message with `read_exact(n) -> bytes`; return (header, blobs)."""
    total = 0

    def chunk():
        nonlocal total
        (n,) = _U64.unpack(read_exact(8))
        total += n
        if total > MAX_MESSAGE:
            raise ProtocolError(f"a message larger than {MAX_MESSAGE // 2 ** 20} MB")
        return read_exact(n)

    try:
        header = json.loads(chunk().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"a malformed message header ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise ProtocolError("a message header that is not an object")
    count = header.get("blobs", 0)
    if not isinstance(count, int) or not 0 <= count <= MAX_NODES:
        raise ProtocolError("a malformed blob count")
    return header, [chunk() for _ in range(count)]


def array_to_bytes(arr):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def bytes_to_array(data):
    try:
        with AST_LOCK:  # the header is read with ast.literal_eval
            arr = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:
        raise ProtocolError(f"a malformed array ({type(exc).__name__})") from None
    if arr.dtype.kind not in _ALLOWED_KINDS or arr.dtype.fields is not None:
        raise ProtocolError(f"an array of dtype {arr.dtype}")
    return arr


# ---------------------------------------------------------------------------------------
# Values

class Record:
    """A read-only stand-in for a dataclass the receiver does not know: same name, same fields."""

    def __init__(self, type_name, fields):
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "_fields", dict(fields))

    def __getattr__(self, name):
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        raise AttributeError(f"{self._type_name} is read-only")

    def __repr__(self):
        return f"{self._type_name}({', '.join(self._fields)})"


def _identifier(name, default="Value"):
    name = str(name).rsplit(".", 1)[-1][:60]
    return name if name.isidentifier() and not keyword.iskeyword(name) else default


_NAMEDTUPLES = {}


def _namedtuple(type_name, fields):
    key = (type_name, tuple(fields))
    if key not in _NAMEDTUPLES:
        _NAMEDTUPLES[key] = collections.namedtuple(_identifier(type_name), fields, rename=True)
    return _NAMEDTUPLES[key]


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and isinstance(getattr(type(obj), "_fields", None), tuple)


def type_name(obj_or_type):
    t = obj_or_type if isinstance(obj_or_type, type) else type(obj_or_type)
    return f"{t.__module__}.{t.__qualname__}"


class Codec:
    """Encode and decode values for one side of the pipe.

    Parameters
    ----------
    export : callable(obj) -> int
        Registers a local object that cannot travel and returns its handle id.
    local : callable(int) -> object
        The local object of a handle id the peer sends back.
    remote : callable(header dict) -> object
        A proxy for a handle the peer exported.
    resolve_type : callable(name, kind) -> type or None
        The whitelist: the class to rebuild a record of that name with, or None.
    """

    def __init__(self, export, local, remote, resolve_type=lambda name, kind: None, is_remote=None):
        self.export, self.local, self.remote = export, local, remote
        self.resolve_type = resolve_type
        self.is_remote = is_remote or (lambda obj: None)

    # -- encoding
    def encode(self, value):
        """Return (json-able value, blobs, arrays): arrays[i] is the object of blob i."""
        blobs, arrays = [], []
        return self._enc(value, blobs, arrays, 0), blobs, arrays

    def _enc(self, v, blobs, arrays, depth):
        if depth > MAX_DEPTH:
            raise EncodeError("a value nested too deeply to send (a list that contains itself?)")
        if v is None or isinstance(v, (bool, str)):
            return v
        if type(v) is int:
            return v if abs(v) < 2 ** 63 else {"t": [], "big": str(v)}
        if type(v) is float:
            return v
        if isinstance(v, np.ndarray) and v.dtype.kind in _ALLOWED_KINDS and v.dtype.fields is None:
            if v.nbytes > MAX_MESSAGE:
                raise EncodeError(f"an array of {v.nbytes / 2 ** 20:.0f} MB, too large to send")
            blobs.append(array_to_bytes(v))
            arrays.append(v)
            return {"a": len(blobs) - 1}
        if isinstance(v, np.generic) and np.asarray(v).dtype.kind in _ALLOWED_KINDS:
            blobs.append(array_to_bytes(np.asarray(v)))
            arrays.append(None)
            return {"s": len(blobs) - 1}
        handle = self.is_remote(v)
        if handle is not None:
            return {"y": handle}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            fields = {f.name: self._enc(getattr(v, f.name), blobs, arrays, depth + 1)
                      for f in dataclasses.fields(v)}
            return {"r": type_name(v), "k": "dataclass", "f": fields}
        if _is_namedtuple(v):
            fields = {name: self._enc(getattr(v, name), blobs, arrays, depth + 1) for name in v._fields}
            return {"r": type_name(v), "k": "namedtuple", "f": fields}
        if type(v) in (tuple, list) or (isinstance(v, (tuple, list)) and not hasattr(v, "__dict__")):
            items = [self._enc(x, blobs, arrays, depth + 1) for x in v]
            return {"t": items} if isinstance(v, tuple) else items
        if isinstance(v, dict) and (type(v) is dict or type(v).__module__.startswith("lstm_course")):
            return {"d": [[self._enc(k, blobs, arrays, depth + 1), self._enc(x, blobs, arrays, depth + 1)]
                          for k, x in v.items()]}
        if isinstance(v, np.random.Generator):
            bg = v.bit_generator
            return {"g": type(bg).__name__, "state": _jsonable_state(bg.state)}
        # anything else stays here: the peer gets a handle
        info = {"h": self.export(v), "c": callable(v), "n": _identifier(type(v).__name__, "object")}
        if callable(v):
            info["name"] = str(getattr(v, "__name__", "function"))[:100]
            code = getattr(v, "__code__", None)
            if code is not None:
                info["file"] = str(code.co_filename)[:200]
        return info

    # -- decoding
    def decode(self, value, blobs):
        """Return (value, arrays): arrays[i] is the decoded array of blob i (or None)."""
        arrays = [None] * len(blobs)
        budget = [MAX_NODES]
        return self._dec(value, blobs, arrays, 0, budget), arrays

    def _dec(self, v, blobs, arrays, depth, budget):
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            raise ProtocolError("a value too large or nested too deeply")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self._dec(x, blobs, arrays, depth + 1, budget) for x in v]
        if not isinstance(v, dict):
            raise ProtocolError("an unknown value")
        if "a" in v or "s" in v:
            index = v.get("a", v.get("s"))
            if not isinstance(index, int) or not 0 <= index < len(blobs):
                raise ProtocolError("a bad array reference")
            arr = bytes_to_array(blobs[index])
            if "a" in v:
                arrays[index] = arr
                return arr
            return arr[()] if arr.ndim == 0 else arr
        if "big" in v:
            return int(str(v["big"])[:4000])
        if "t" in v:
            return tuple(self._dec(x, blobs, arrays, depth + 1, budget) for x in _list(v["t"]))
        if "d" in v:
            out = {}
            for pair in _list(v["d"]):
                key, value = _list(pair)[:2] if len(_list(pair)) == 2 else (None, None)
                key = self._dec(key, blobs, arrays, depth + 1, budget)
                try:
                    out[key] = self._dec(value, blobs, arrays, depth + 1, budget)
                except TypeError:  # an unhashable key
                    raise ProtocolError("a dict with an unhashable key") from None
            return out
        if "r" in v:
            name, kind = str(v["r"]), v.get("k")
            raw = v.get("f")
            if kind not in ("dataclass", "namedtuple") or not isinstance(raw, dict):
                raise ProtocolError("a malformed record")
            fields = {str(k): self._dec(x, blobs, arrays, depth + 1, budget) for k, x in raw.items()}
            cls = self.resolve_type(name, kind)
            if cls is not None:
                try:
                    return cls(**fields)
                except Exception:
                    pass  # e.g. a learner's LSTMParams with arrays of the wrong shapes
            if kind == "namedtuple":
                return _namedtuple(name, list(fields))(*fields.values())
            return Record(_identifier(name), fields)
        if "g" in v:
            bg = getattr(np.random, str(v["g"]), None)
            if bg is None or not isinstance(bg, type) or not issubclass(bg, np.random.BitGenerator):
                raise ProtocolError("an unknown random generator")
            gen = bg()
            gen.state = v.get("state")
            return np.random.Generator(gen)
        if "y" in v:
            return self.local(v["y"])
        if "h" in v:
            if not isinstance(v["h"], int):
                raise ProtocolError("a bad handle")
            return self.remote(v)
        raise ProtocolError("an unknown tagged value")


def _list(v):
    if not isinstance(v, list):
        raise ProtocolError("expected a list")
    return v


def _jsonable_state(state):
    if isinstance(state, dict):
        return {k: _jsonable_state(x) for k, x in state.items()}
    if isinstance(state, np.ndarray):
        return state.tolist()
    if isinstance(state, np.integer):
        return int(state)
    return state


# ---------------------------------------------------------------------------------------
# Exceptions that travel

def exception_info(exc, learner_file=lambda filename: filename.startswith("<cell")):
    """What the grader needs to report an exception like a check run in Jupyter would."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if learner_file(f.filename)]
    info = {"type": _identifier(type(exc).__name__, "Exception"),
            "bases": [t.__name__ for t in type(exc).__mro__ if t.__module__ == "builtins"],
            "text": _safe_str(exc)[:2000]}
    if isinstance(exc, NameError):
        info["name"] = str(getattr(exc, "name", "") or "")[:100]
    if mine:
        last = mine[-1]
        info["frame"] = [last.filename[:200], int(last.lineno or 0), last.name[:100], (last.line or "")[:300]]
    if frames:
        info["innermost"] = frames[-1].name[:100]
    return info


def _safe_str(exc):
    try:
        return str(exc)
    except Exception:
        return f"<{type(exc).__name__} that cannot be shown>"


# ---------------------------------------------------------------------------------------
# One end of the pipe

class RemoteError(Exception):
    """An exception raised on the other side (its type name and text are kept)."""


_SAFE_BASES = (NotImplementedError, RecursionError, NameError, KeyError, IndexError, LookupError,
               AttributeError, ZeroDivisionError, OverflowError, FloatingPointError, ArithmeticError,
               ImportError, MemoryError, AssertionError, TypeError, ValueError, RuntimeError)


def rebuild_exception(info):
    """An Exception (never a BaseException the grader would obey, like SystemExit) that prints
    as the original did and is an instance of the same built-in classes where that is safe."""
    bases = info.get("bases") if isinstance(info.get("bases"), list) else []
    base = next((b for b in _SAFE_BASES if b.__name__ in bases), RemoteError)
    text = str(info.get("text", ""))
    cls = type(_identifier(info.get("type"), "Exception"), (base,),
               {"__str__": lambda self: text, "__module__": "builtins"})
    exc = cls(text)
    if issubclass(cls, NameError) and info.get("name"):
        exc.name = str(info["name"])
    return exc


class Endpoint:
    """Requests and replies over a pair of byte streams; both sides serve the other's calls
    while they wait, so a callback may call back in turn.

    Subclasses provide `read_exact(n)` and `write(data)`.
    """

    def __init__(self, resolve_type=lambda name, kind: None):
        self.objects = {}  # handle id -> local object exported to the peer
        self._next = 1
        self.codec = Codec(self._export, self._local, self.make_remote, resolve_type, self._handle_of)
        self.ops = {"call": self._serve_call, "getattr": self._serve_getattr}

    # handles
    def _export(self, obj):
        for hid, known in self.objects.items():
            if known is obj:
                return hid
        hid, self._next = self._next, self._next + 1
        self.objects[hid] = obj
        return hid

    def _local(self, hid):
        if hid not in self.objects:
            raise ProtocolError("an unknown handle")
        return self.objects[hid]

    def _handle_of(self, obj):
        return obj._handle if isinstance(obj, (RemoteObject, RemoteCallable)) and obj._endpoint is self else None

    def make_remote(self, info):
        cls = RemoteCallable if info.get("c") else RemoteObject
        return cls(self, info)

    def make_exception(self, info):
        return rebuild_exception(info)

    # io
    def read_exact(self, n):  # pragma: no cover - abstract
        raise NotImplementedError

    def write(self, data):  # pragma: no cover - abstract
        raise NotImplementedError

    def send(self, header, blobs=()):
        header = dict(header, blobs=len(blobs))
        self.write(pack(header, blobs))

    def receive(self):
        return unpack_from(self.read_exact)

    # requests
    def request(self, header, blobs=()):
        """Send a request; serve the peer's requests until its reply comes; return the reply."""
        self.send(header, blobs)
        while True:
            reply, rblobs = self.receive()
            if reply.get("op") in ("ok", "raise"):
                return reply, rblobs
            self.serve_one(reply, rblobs)

    def serve_one(self, header, blobs):
        handler = self.ops.get(header.get("op"))
        if handler is None:
            raise ProtocolError(f"an unknown request {str(header.get('op'))[:40]!r}")
        try:
            out_header, out_blobs = handler(header, blobs)
        except ProtocolError:
            raise
        except BaseException as exc:  # noqa: BLE001 - the peer is told, whatever it was
            if isinstance(exc, (KeyboardInterrupt, SystemExit)) and not self.contain_exits:
                raise
            out_header, out_blobs = {"op": "raise", "exc": exception_info(exc)}, []
        self.send(out_header, out_blobs)

    contain_exits = True

    def _reply_value(self, value, extra=None):
        enc, blobs, _ = self.codec.encode(value)
        return dict({"op": "ok", "value": enc}, **(extra or {})), blobs

    def _serve_call(self, header, blobs):
        target = self._local(header.get("id"))
        (args, kwargs), arrays = self.codec.decode(header.get("args"), blobs)
        if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
            raise ProtocolError("malformed call arguments")
        before = [(i, a.copy()) for i, a in enumerate(arrays) if a is not None] if header.get("track") else []
        value = target(*args, **{str(k): v for k, v in kwargs.items()})
        mutated, mblobs = [], []
        for i, copy in before:
            now = arrays[i]
            if now.shape != copy.shape or not np.array_equal(now, copy, equal_nan=True):
                mutated.append(i)
                mblobs.append(array_to_bytes(now))
        out, vblobs = self._reply_value(value)
        # blobs of the mutated inputs come after the value's blobs
        out["mutated"] = [[i, len(vblobs) + k] for k, i in enumerate(mutated)]
        return out, vblobs + mblobs

    def _serve_getattr(self, header, blobs):
        target = self._local(header.get("id"))
        name = str(header.get("name", ""))
        if name.startswith("_"):
            raise AttributeError(name)
        return self._reply_value(getattr(target, name))

    # calls on the peer's objects
    def call_remote(self, handle, args, kwargs):
        enc, blobs, arrays = self.codec.encode((tuple(args), dict(kwargs)))
        reply, rblobs = self.request({"op": "call", "id": handle, "args": enc, "track": True}, blobs)
        return self._result(reply, rblobs, arrays)

    def getattr_remote(self, handle, name):
        reply, rblobs = self.request({"op": "getattr", "id": handle, "name": name})
        return self._result(reply, rblobs, [])

    def _result(self, reply, rblobs, sent_arrays):
        if reply.get("op") == "raise":
            exc = reply.get("exc")
            raise self.make_exception(exc if isinstance(exc, dict) else {})
        mutated = reply.get("mutated") or []
        if not isinstance(mutated, list):
            raise ProtocolError("a malformed reply")
        value, _ = self.codec.decode(reply.get("value"), rblobs)
        for pair in mutated:  # the learner changed an input in place: show the check the change
            i, j = (pair + [None, None])[:2] if isinstance(pair, list) else (None, None)
            if isinstance(i, int) and isinstance(j, int) and 0 <= i < len(sent_arrays) and 0 <= j < len(rblobs):
                original, new = sent_arrays[i], bytes_to_array(rblobs[j])
                if original is not None and original.flags.writeable:
                    if new.shape == original.shape:
                        np.copyto(original, new, casting="unsafe")
                    else:
                        original[...] = np.nan  # reshaped in place: shown as changed
        return value


class RemoteObject:
    """A handle on an object that stayed on the other side."""

    def __init__(self, endpoint, info):
        self._endpoint, self._handle = endpoint, info.get("h")
        self._type = str(info.get("n", "object"))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._endpoint.getattr_remote(self._handle, name)

    def __repr__(self):
        return f"<{self._type} in the sandbox>"


class RemoteCallable(RemoteObject):
    """A handle on a function on the other side: calling it calls it there."""

    def __init__(self, endpoint, info):
        super().__init__(endpoint, info)
        self.__name__ = _identifier(info.get("name", "function"), "function")
        self._file = str(info.get("file", ""))

    def __call__(self, *args, **kwargs):
        return self._endpoint.call_remote(self._handle, args, kwargs)
