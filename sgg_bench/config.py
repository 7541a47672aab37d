"""YAML config layers over typed defaults, with dotted command-line overrides.

Rules
-----
* Every config starts from ``sgg_bench.config_schema.SCHEMA``, which lists every key the
  framework reads with its default, type and range. A key that is not there is an error naming
  the key and the file. An open section (``model.head_args``, ``model.args``, ``detector.args``)
  accepts any keys: they are keyword arguments, checked against their constructor's signature
  before a run writes anything (``sgg_bench.runs.validate``).
* Layers are merged in order (``compose``); a layer file may name one ``_base_`` file (relative
  to itself), which may not name another: one level keeps every value at most two files away.
* Overrides ``a.b.c=value`` are parsed with ``yaml.safe_load`` (``0.01``, ``true``, ``[1, 2]``
  keep their types) and must name existing keys.
* After merging, every value is checked against its key's type and range; the error names the
  key and where the value came from.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

from sgg_bench.config_schema import OPEN, SCHEMA, Key, defaults
from sgg_bench.errors import ConfigError
from sgg_bench.utils.atomic import atomic_write_text

BASE_KEY = "_base_"
MAX_YAML_NODES = 100_000  # a config has a few hundred values; alias bombs expand far beyond this


def configs_root() -> Path:
    """The ``configs/`` folder: ``$SGG_BENCH_CONFIGS`` or the one beside the package."""
    env = os.environ.get("SGG_BENCH_CONFIGS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "configs"


class Config(dict):
    """A nested dict that also allows attribute access (``cfg.solver.base_lr``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def get_dotted(self, dotted: str) -> Any:
        node: Any = self
        for part in dotted.split("."):
            node = node[part]
        return node

    def to_dict(self) -> dict:
        return _plain(self)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Config({k: _wrap(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def read_yaml(path: Path) -> dict:
    """A YAML mapping from ``path``; every failure is a ``ConfigError`` naming the file."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; expected a YAML config file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, found {type(data).__name__}")
    if _exceeds(data, MAX_YAML_NODES):
        raise ConfigError(f"{path}: expands to more than {MAX_YAML_NODES} values (YAML aliases?); "
                          f"expected a small config")
    return data


def _exceeds(data: Any, budget: int) -> bool:
    """True when ``data`` holds more than ``budget`` values counting shared (aliased) ones each
    time they appear; stops counting as soon as the budget is spent."""
    stack, seen = [data], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > budget:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _merge(base: dict, update: Mapping, schema: Mapping | None, source: str, sources: dict, prefix: str = "") -> None:
    """Merge ``update`` into ``base`` in place; keys must exist in ``schema`` (None = open)."""
    for key, value in update.items():
        dotted = f"{prefix}{key}"
        if schema is not None and key not in schema:
            raise ConfigError(f"{source}: unknown config key '{dotted}'")
        entry = schema.get(key) if schema is not None else None
        if entry is OPEN or isinstance(entry, Mapping):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: config key '{dotted}' is a section; expected a mapping, "
                                  f"found {value!r}")
            if not isinstance(base.get(key), dict):
                base[key] = {}
            _merge(base[key], value, None if entry is OPEN else entry, source, sources, dotted + ".")
        else:
            base[key] = copy.deepcopy(value)
            sources[dotted] = source


def _layer(path: Path) -> list[tuple[Path, dict]]:
    """``path``'s mapping, preceded by its ``_base_`` file's when it names one."""
    data = read_yaml(path)
    base_name = data.pop(BASE_KEY, None)
    if base_name is None:
        return [(path, data)]
    base_path = (path.parent / str(base_name)).resolve()
    base = read_yaml(base_path)
    if BASE_KEY in base:
        raise ConfigError(f"{base_path}: a _base_ file may not name another _base_ (one level only); "
                          f"it is the base of {path}")
    return [(base_path, base), (path, data)]


def parse_override(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ConfigError(f"command line: override '{text}': expected KEY=VALUE, e.g. solver.base_lr=0.01")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"command line: override '{text}': expected a dotted key such as solver.base_lr")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def _nest(dotted: str, value: Any) -> dict:
    node: dict = {}
    root = node
    parts = dotted.split(".")
    for part in parts[:-1]:
        node[part] = {}
        node = node[part]
    node[parts[-1]] = value
    return root


def check_values(cfg: Mapping, sources: Mapping[str, str], schema: Mapping = SCHEMA, prefix: str = "") -> None:
    """Raise ``ConfigError`` for the first value outside its key's type or range."""
    for name, entry in schema.items():
        dotted = f"{prefix}{name}"
        if isinstance(entry, Key):
            problem = entry.check(cfg[name])
            if problem:
                where = sources.get(dotted, "defaults")
                raise ConfigError(f"{where}: {dotted}: expected {problem}, found {cfg[name]!r}")
        elif isinstance(entry, Mapping):
            check_values(cfg[name], sources, entry, dotted + ".")


def compose(layers: Sequence[str | os.PathLike | None], overrides: Iterable[str] = (),
            *, schema: Mapping = SCHEMA) -> Config:
    """Defaults, then each existing layer file in order (with its base), then the overrides;
    every value checked. ``None`` entries in ``layers`` are skipped."""
    resolved = defaults(schema)
    sources: dict[str, str] = {}
    for layer in layers:
        if layer is None:
            continue
        for path, data in _layer(Path(layer)):
            _merge(resolved, data, schema, str(path), sources)
    for text in overrides:
        key, value = parse_override(text)
        _merge(resolved, _nest(key, value), schema, "command line", sources)
    check_values(resolved, sources, schema)
    return _wrap(resolved)


def load_config(path: str | os.PathLike | None = None, overrides: Iterable[str] = ()) -> Config:
    """One config file (with its base) over the defaults, then the overrides."""
    return compose([path], overrides)


def dump_config(cfg: Mapping) -> str:
    return yaml.safe_dump(_plain(cfg), sort_keys=False, default_flow_style=False)


def save_config(cfg: Mapping, destination: str | os.PathLike) -> None:
    """Write the resolved config (atomically) so a run can be reproduced from it alone."""
    atomic_write_text(destination, dump_config(cfg))
