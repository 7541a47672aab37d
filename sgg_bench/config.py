"""YAML configs with one ``_base_`` level and dotted command-line overrides.

Rules
-----
* Every config is merged over ``configs/_base_/defaults.yaml``, which lists every key
  the framework knows. A key that is not there is an error naming the key and the file.
  An empty mapping (``{}``) in the defaults is an open section: any keys are accepted
  there, because they are keyword arguments checked by the constructor they go to.
* A config may name one ``_base_`` file (relative to itself). The base may not name
  another base: one level keeps every value at most two files away.
* Overrides ``a.b.c=value`` are parsed with ``yaml.safe_load`` (so ``0.01``, ``true``,
  ``[1, 2]`` keep their types) and must name existing keys.
* The resolved config is saved with each run (``save_config``).
"""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from sgg_bench.errors import ConfigError
from sgg_bench.utils.atomic import atomic_write_text

BASE_KEY = "_base_"


def configs_root() -> Path:
    """The ``configs/`` folder: ``$SGG_BENCH_CONFIGS`` or the one beside the package."""
    env = os.environ.get("SGG_BENCH_CONFIGS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "configs"


def defaults_path() -> Path:
    return configs_root() / "_base_" / "defaults.yaml"


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
    try:
        with open(path, "r", encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, found {type(data).__name__}")
    return data


def _merge_checked(base: dict, update: Mapping, schema: Mapping | None, source: str, prefix: str = "") -> None:
    """Merge ``update`` into ``base`` in place; keys must exist in ``schema``."""
    for key, value in update.items():
        dotted = f"{prefix}{key}"
        if schema is not None and key not in schema:
            raise ConfigError(f"{source}: unknown config key '{dotted}'")
        sub_schema = schema.get(key) if schema is not None else None
        open_section = isinstance(sub_schema, Mapping) and len(sub_schema) == 0
        if isinstance(value, Mapping) and (isinstance(base.get(key), Mapping) or isinstance(sub_schema, Mapping)):
            if not isinstance(base.get(key), Mapping):
                base[key] = {}
            _merge_checked(base[key], value, None if open_section else sub_schema, source, dotted + ".")
        elif isinstance(sub_schema, Mapping) and not open_section and not isinstance(value, Mapping):
            raise ConfigError(f"{source}: config key '{dotted}' is a section; expected a mapping, found {value!r}")
        else:
            base[key] = copy.deepcopy(value)


def _load_with_base(path: Path, schema: Mapping) -> dict:
    data = read_yaml(path)
    base_name = data.pop(BASE_KEY, None)
    merged: dict = {}
    if base_name is not None:
        base_path = (path.parent / str(base_name)).resolve()
        base = read_yaml(base_path)
        if BASE_KEY in base:
            raise ConfigError(
                f"{base_path}: a _base_ file may not name another _base_ (one level only); "
                f"it is the base of {path}")
        _merge_checked(merged, base, schema, str(base_path))
    _merge_checked(merged, data, schema, str(path))
    return merged


def parse_override(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ConfigError(f"command line: override '{text}': expected KEY=VALUE, e.g. solver.base_lr=0.01")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"command line: override '{text}': empty key")
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


def load_config(path: str | os.PathLike | None = None, overrides: Iterable[str] = (),
                defaults: str | os.PathLike | None = None) -> Config:
    """Defaults, then the file (with its base), then the overrides."""
    defaults_file = Path(defaults) if defaults is not None else defaults_path()
    schema = read_yaml(defaults_file)
    resolved = copy.deepcopy(schema)
    if path is not None:
        _merge_checked(resolved, _load_with_base(Path(path), schema), schema, "")
    for text in overrides:
        key, value = parse_override(text)
        _merge_checked(resolved, _nest(key, value), schema, "command line")
    return _wrap(resolved)


def dump_config(cfg: Mapping) -> str:
    return yaml.safe_dump(_plain(cfg), sort_keys=False, default_flow_style=False)


def save_config(cfg: Mapping, destination: str | os.PathLike) -> None:
    """Write the resolved config (atomically) so a run can be reproduced from it alone."""
    atomic_write_text(destination, dump_config(cfg))
