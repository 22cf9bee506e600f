"""A cache of the validated bundled knowledge files, so that a fresh process skips YAML and validation.

Parsing the bundled YAML and validating it (which first builds every schema
model's validator) depends only on the files' bytes and this package's code, so
it is kept per bundled file as plain JSON: the validated
:class:`~massage_rules.knowledge.schema.KnowledgeFile` and the line and column of
every entry (for ``file:line`` origins and messages). It buys, by ``bench/run.py``
(21 fresh processes), a ``suggest`` in 296 ms of wall time instead of 419 (29%
less; 208 against 235 ms of CPU): what keeps ``suggest`` within 1.5 times the floor.

Safety:

- JSON only: loading a cache file cannot run code.
- An entry is used only for a file whose SHA-256 matches the entry's key, in a
  cache file named by a fingerprint of this package's source, its format and
  the versions of Python, pydantic and PyYAML; anything else is a miss.
- The payload carries its own SHA-256; a truncated or corrupt file, a file
  owned by another user or writable by others, is ignored (and rewritten).
- An entry is written only after a full validated read of the file, and only
  if rebuilding the model from the written JSON gives back an identical model.
- Any failure to read or write the cache is silent: the files are then read
  the slow way. ``MASSAGE_RULES_NO_CACHE=1`` switches the cache off.

Where: ``$MASSAGE_RULES_CACHE_DIR``, else ``$XDG_CACHE_HOME/massage_rules``,
else ``~/.cache/massage_rules`` (``%LOCALAPPDATA%\\massage_rules`` on Windows).
The folder may hold other files: the cache writes, and prunes, only files named
``massage_rules-knowledge-cache-<40 hex digits>.json`` that start with its header,
and prunes only in a folder its user owns and no one else may write.
"""

import contextlib
import hashlib
import json
import os
import re
import stat
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from massage_rules.knowledge.yaml_files import Skeleton

__all__ = ["NO_CACHE_ENV", "CacheStore", "Skeleton", "cache_dir", "rebuild"]

NO_CACHE_ENV = "MASSAGE_RULES_NO_CACHE"
CACHE_DIR_ENV = "MASSAGE_RULES_CACHE_DIR"
FORMAT = 1
MAX_BYTES = 64 * 1024 * 1024
KEEP = 4  # cache files of other fingerprints kept (other installs, other versions)
FILE_PREFIX = "massage_rules-knowledge-cache-"  # a name no other program's file would have
_OWN_NAME = re.compile(re.escape(FILE_PREFIX) + r"([0-9a-f]{40})\.json")
_set = object.__setattr__


class UnsupportedError(Exception):
    """A value or a type the cache cannot represent exactly: such a file is simply not cached."""


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off or no folder can be named."""
    if os.environ.get(NO_CACHE_ENV, "") not in ("", "0"):
        return None
    explicit = os.environ.get(CACHE_DIR_ENV, "")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative path is invalid and ignored
        return Path(xdg) / "massage_rules"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "massage_rules"
    try:
        return Path.home() / ".cache" / "massage_rules"
    except RuntimeError:  # no home directory
        return None


# The modules whose code decides what a cache entry holds (how YAML is read, what the schema accepts, how an
# entry is written and rebuilt). A test checks that these import no other module of the package.
_SHAPING = "cache.py frozen.py schema.py schema_base.py schema_plan.py yaml_files.py"
SHAPERS = ("_codes.py", *(f"knowledge/{name}" for name in _SHAPING.split()))


def fingerprint() -> str | None:
    """What a cache entry depends on besides the file: the code of ``SHAPERS`` and the runtime's versions.

    The package version alone is not enough: an editable install changes the code, not the version.
    None when the sources cannot be read (an install without them): then there is no cache.
    """
    import pydantic
    import pydantic_core
    import yaml

    digest = hashlib.sha256()
    for part in (str(FORMAT), sys.version, pydantic.VERSION, pydantic_core.__version__, yaml.__version__):
        digest.update(part.encode() + b"\0")
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        for name in SHAPERS:
            with open(os.path.join(package, *name.split("/")), "rb") as handle:
                data = handle.read()
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


# -- models as plain data, and back -------------------------------------------------------------

_Converter = Callable[[Any], Any]
_PLANS: dict[type[BaseModel], list[tuple[str, _Converter, Any]]] = {}
_CONVERTERS: dict[Any, _Converter] = {}
_SCALARS = (str, int, float, bool, type(None))


def _same(value: Any) -> Any:
    return value


def plain(model: BaseModel) -> dict[str, Any]:
    """A model as JSON-ready data: the fields it was given (not its defaults), in field order."""
    given = model.__pydantic_fields_set__
    return {name: _plain(model.__dict__[name]) for name in type(model).model_fields if name in given}


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return plain(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise UnsupportedError("a dict key that is not a string")
        return {k: _plain(v) for k, v in value.items()}
    if type(value) in _SCALARS:
        return value
    raise UnsupportedError(f"a value of type {type(value).__name__}")


def rebuild(cls: type[BaseModel], data: dict[str, Any]) -> Any:
    """The model ``plain`` gave ``data`` for, built without validation: only for data this module wrote.

    As validation would: given fields converted (nested models rebuilt), the rest
    set to their defaults, ``fields_set`` the given ones, then ``model_post_init``.
    """
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = [
            (name, _converter(info.annotation), _default(info)) for name, info in cls.model_fields.items()
        ]
    values: dict[str, Any] = {}
    for name, convert, default in plan:
        if name in data:
            values[name] = convert(data[name])
        elif default is _REQUIRED:
            raise UnsupportedError(f"{cls.__name__}.{name} is missing")
        elif type(default) in _SCALARS:
            values[name] = default
        else:
            values[name] = default.get_default(call_default_factory=True, validated_data=values)
    if len(data) != sum(1 for name in data if name in values):
        raise UnsupportedError(f"unknown fields for {cls.__name__}")
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(data))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    if cls.__pydantic_post_init__:
        model.model_post_init(None)
    return model


_REQUIRED = object()


def _default(info: FieldInfo) -> Any:
    """A field's default when it is an immutable scalar (used as is), else the field (asked each time), or _REQUIRED."""
    if info.is_required():
        return _REQUIRED
    if info.default_factory is None and type(info.default) in _SCALARS:
        return info.default
    return info


def _converter(annotation: Any) -> _Converter:
    found = _CONVERTERS.get(annotation)
    if found is None:
        found = _CONVERTERS[annotation] = _make_converter(annotation)
    return found


def _make_converter(annotation: Any) -> _Converter:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _converter(args[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        model = annotation
        return lambda value: rebuild(model, value)
    if annotation in _SCALARS or origin is typing.Literal:
        return _same
    if origin is list:
        inner = _converter(args[0])
        return _same if inner is _same else (lambda value: [inner(v) for v in value])
    if origin is dict:
        inner = _converter(args[1])
        return _same if inner is _same else (lambda value: {k: inner(v) for k, v in value.items()})
    if origin in (typing.Union, types.UnionType):
        return _union_converter(args)
    raise UnsupportedError(f"the type {annotation!r}")


def _union_converter(args: tuple[Any, ...]) -> _Converter:
    """One converter per shape (mapping, list, scalar); a union with two of one shape is not supported."""
    by_shape: dict[type, _Converter] = {}
    for arg in args:
        origin = typing.get_origin(arg)
        base = typing.get_args(arg)[0] if origin is typing.Annotated else arg
        origin = typing.get_origin(base)
        if (isinstance(base, type) and issubclass(base, BaseModel)) or origin is dict:
            shape: type = dict
        elif origin is list:
            shape = list
        else:
            shape = object
        if shape in by_shape and shape is not object:
            raise UnsupportedError(f"a union with two {shape.__name__} members")
        by_shape[shape] = _converter(arg) if shape is not object else _same
    if all(convert is _same for convert in by_shape.values()):
        return _same

    def convert(value: Any) -> Any:
        shape = dict if isinstance(value, dict) else list if isinstance(value, list) else object
        return by_shape.get(shape, _same)(value)

    return convert


def identical(a: Any, b: Any) -> bool:
    """Equal, of the same types all the way down, with the same fields given and the same key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseModel):
        return a.__pydantic_fields_set__ == b.__pydantic_fields_set__ and identical(a.__dict__, b.__dict__)
    if isinstance(a, dict):
        return list(a) == list(b) and all(identical(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# -- the cache file -----------------------------------------------------------------------------


class CacheStore:
    """The entries of one cache file: file SHA-256 -> (plain model, skeleton); read once, written at most once."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = folder
        self.key = key
        self.path = folder / f"{FILE_PREFIX}{key[:40]}.json"
        self.entries: dict[str, Any] = {}
        self.added = False

    @classmethod
    def open(cls) -> "CacheStore | None":
        """The store for this code and runtime, with whatever valid entries its file holds; None when off."""
        folder = cache_dir()
        if folder is None:
            return None
        key = fingerprint()
        if key is None:
            return None
        store = cls(folder, key)
        store.entries = store._read()
        return store

    def _read(self) -> dict[str, Any]:
        try:
            with self.path.open("rb") as handle:
                info = os.fstat(handle.fileno())
                if _untrusted(info):
                    return {}
                raw = handle.read(MAX_BYTES + 1)
        except OSError:
            return {}
        head, _, payload = raw.partition(b"\n")
        try:
            header = json.loads(head)
            if not (
                isinstance(header, dict)
                and header.get("format") == FORMAT
                and header.get("fingerprint") == self.key
                and header.get("sha256") == hashlib.sha256(payload).hexdigest()
            ):
                return {}
            entries = json.loads(payload)
        except (ValueError, RecursionError):
            return {}
        return entries if isinstance(entries, dict) else {}

    def get(self, file_sha256: str, cls: type[BaseModel]) -> tuple[Any, Skeleton] | None:
        """The model and skeleton cached for a file with these bytes, or None."""
        entry = self.entries.get(file_sha256)
        if entry is None:
            return None
        try:
            model = rebuild(cls, entry["model"])
            return model, Skeleton(entry["positions"])
        except Exception:  # the checksum matched, so only a bug gets here; read the file instead
            self.entries.pop(file_sha256, None)
            return None

    def add(self, file_sha256: str, model: BaseModel, data: Any) -> None:
        """Remember a file just read and validated, if the cache can give back exactly the same model."""
        try:
            entry = {"model": plain(model), "positions": Skeleton.of(data).root}
            text = json.dumps(entry, ensure_ascii=False, allow_nan=False)
            if not identical(rebuild(type(model), json.loads(text)["model"]), model):
                return
        except (UnsupportedError, ValueError, TypeError, RecursionError):
            return
        self.entries[file_sha256] = entry
        self.added = True

    def save(self) -> None:
        """Write the entries atomically (a temporary file, then a rename); never fails."""
        if not self.added:
            return
        payload = json.dumps(self.entries, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        header = {"format": FORMAT, "fingerprint": self.key, "sha256": hashlib.sha256(payload).hexdigest()}
        temp: str | None = None
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            import tempfile

            fd, temp = tempfile.mkstemp(prefix=f".{FILE_PREFIX}", suffix=".tmp", dir=self.folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(header).encode() + b"\n" + payload)
            os.replace(temp, self.path)
            temp = None
            self._prune()
        except OSError:
            pass
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)

    def _prune(self) -> None:
        """Keep this cache file and the few most recent others (other installs sharing the folder).

        Only files this cache wrote go: its name, its header, a regular file of this user's,
        in a folder that no one else may write. Nothing else in the folder is touched.
        """
        if _untrusted(os.stat(self.folder)):  # say /tmp: a file there may be anyone's
            return
        others: list[tuple[float, str]] = []
        with os.scandir(self.folder) as entries:
            for entry in entries:
                found = _OWN_NAME.fullmatch(entry.name)
                if found is None or entry.name == self.path.name:
                    continue
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(info.st_mode) and not _untrusted(info) and _has_header(entry.path, found[1]):
                        others.append((info.st_mtime, entry.path))
        others.sort(reverse=True)
        for _, path in others[KEEP:]:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _has_header(path: str, key: str) -> bool:
    """Whether the file starts with a cache header whose fingerprint its name carries."""
    with open(path, "rb") as handle:
        head = handle.readline(4096)
    try:
        header = json.loads(head)
    except ValueError:
        return False
    return (
        isinstance(header, dict)
        and set(header) == {"format", "fingerprint", "sha256"}
        and (str(header["fingerprint"]).startswith(key))
    )


def _untrusted(info: os.stat_result) -> bool:
    """A cache file someone else could have written: owned by another user, or writable by group or others."""
    if not hasattr(os, "getuid"):  # Windows: the folder lives in the user's own profile
        return False
    return info.st_uid != os.getuid() or bool(info.st_mode & 0o022)
