"""A small description of the YAML files cardgen reads: which keys each mapping may hold, what each
value is, and what it means.

One description serves three readers, so they cannot disagree:

- the loaders refuse a key the description does not know, naming the nearest known one
  (:func:`unknown_keys`: ``histroy`` -> ``history``);
- editors autocomplete and underline case files from the JSON Schema made from it (:func:`json_schema`,
  published under ``docs/schema/``);
- ``cardgen new`` writes a commented skeleton from its texts.

The values are checked by the loaders themselves (they turn text into enums, windows and paths); the
description only has to say enough for the keys and for an editor's schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from cardgen.errors import InputError, did_you_mean


@dataclass(frozen=True)
class Scalar:
    """A single value: its JSON Schema and a short name for messages ("text", "a number", ...)."""

    schema: dict
    name: str


@dataclass(frozen=True)
class ListOf:
    """A list of values (``also_single``: a single value may stand for a one-item list)."""

    item: "Value"
    also_single: bool = False


@dataclass(frozen=True)
class AnyOf:
    """One of several forms (a file name or a mapping; a preset name, a mapping or a list)."""

    forms: tuple["Value", ...]


@dataclass(frozen=True)
class Key:
    """One key of a mapping."""

    name: str
    value: "Value"
    doc: str
    required: bool = False
    example: str | None = None  # as YAML text, for skeletons and the schema's examples


@dataclass(frozen=True)
class Mapping:
    """A mapping with known keys; ``name`` makes it a reusable definition (``$defs``).

    ``variants``: a mapping whose keys depend on the value of ``variant_key`` (a shape's ``kind``);
    each variant lists its own keys besides the common ``keys``.
    """

    name: str
    doc: str
    keys: tuple[Key, ...]
    variant_key: str | None = None
    variants: dict[str, tuple[Key, ...]] = field(default_factory=dict)
    extension_prefix: str | None = None  # keys starting with it are the author's own, not checked

    def key_names(self, data: dict | None = None) -> list[str]:
        """The keys allowed here (for ``data``, its variant's keys; without one, every variant's)."""
        names = [k.name for k in self.keys]
        if self.variant_key is not None:
            variant = data.get(self.variant_key) if isinstance(data, dict) else None
            chosen = self.variants.get(str(variant).strip().lower()) if variant is not None else None
            for keys in [chosen] if chosen is not None else self.variants.values():
                names += [k.name for k in keys if k.name not in names]
        return names

    def key(self, name: str, data: dict | None = None) -> Key | None:
        for key in self.keys + tuple(k for keys in self.variants.values() for k in keys):
            if key.name == name:
                return key
        return None


@dataclass(frozen=True)
class Ref:
    """A mapping defined elsewhere (a curriculum topic's children are topics)."""

    target: str


Value = Union[Scalar, ListOf, AnyOf, Mapping, Ref]

TEXT = Scalar({"type": ["string", "number"]}, "text")
NUMBER = Scalar({"type": "number"}, "a number")
INTEGER = Scalar({"type": "integer", "minimum": 0}, "a whole number from 0")
BOOLEAN = Scalar({"type": "boolean"}, "true or false")
POINT = Scalar({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}, "a point [x, y]")


def choice(values: list[str], name: str) -> Scalar:
    return Scalar({"enum": list(values)}, name)


# --- checking keys -------------------------------------------------------------------------------


def unknown_keys(data: object, spec: Value, *, file: Path, definitions: dict[str, Mapping] | None = None,
                 path: str = "") -> list[InputError]:
    """An error for every key of ``data`` that ``spec`` does not allow, at any depth, each naming
    the nearest allowed key. ``path`` is the field path of ``data`` (``findings[0].shapes[1]``)."""
    definitions = definitions or {}
    errors: list[InputError] = []
    homes = _key_homes(spec, definitions)
    _walk(data, spec, file, definitions, path, errors, homes)
    return errors


def _key_homes(spec: Value, definitions: dict[str, Mapping]) -> dict[str, list[str]]:
    """For each key name, the docs of the mappings that hold it (``window`` -> ["An image"])."""
    homes: dict[str, list[str]] = {}
    seen: set[str] = set()
    stack: list[Value] = [spec]
    while stack:
        value = stack.pop()
        if isinstance(value, Ref):
            value = definitions[value.target]
        if isinstance(value, Mapping):
            if value.name in seen:
                continue
            seen.add(value.name)
            for key in value.keys + tuple(k for keys in value.variants.values() for k in keys):
                if value.doc not in homes.setdefault(key.name, []):
                    homes[key.name].append(value.doc)
                stack.append(key.value)
        elif isinstance(value, ListOf):
            stack.append(value.item)
        elif isinstance(value, AnyOf):
            stack.extend(value.forms)
    return homes


def _walk(data: object, spec: Value, file: Path, definitions: dict[str, Mapping], path: str,
          errors: list[InputError], homes: dict[str, list[str]]) -> None:
    if isinstance(spec, Ref):
        spec = definitions[spec.target]
    if isinstance(spec, Mapping):
        if not isinstance(data, dict):
            return  # the loader reports a value of the wrong kind
        allowed = spec.key_names(data)
        for name, value in data.items():
            where = f"{path}.{name}" if path else str(name)
            if name in allowed:
                key = spec.key(name)
                assert key is not None
                _walk(value, key.value, file, definitions, where, errors, homes)
            elif spec.extension_prefix and str(name).startswith(spec.extension_prefix):
                continue
            else:
                errors.append(_unknown(str(name), spec, data, allowed, file, where, homes.get(str(name), [])))
    elif isinstance(spec, ListOf):
        if isinstance(data, list):
            for index, item in enumerate(data):
                _walk(item, spec.item, file, definitions, f"{path}[{index}]", errors, homes)
        elif spec.also_single:
            _walk(data, spec.item, file, definitions, path, errors, homes)
    elif isinstance(spec, AnyOf):
        for form in spec.forms:
            resolved = definitions[form.target] if isinstance(form, Ref) else form
            if (isinstance(resolved, Mapping) and isinstance(data, dict)) or \
                    (isinstance(resolved, ListOf) and isinstance(data, list)):
                _walk(data, resolved, file, definitions, path, errors, homes)
                return


def _unknown(name: str, spec: Mapping, data: dict, allowed: list[str], file: Path, where: str,
             homes: list[str]) -> InputError:
    near = did_you_mean(name, allowed)
    elsewhere = None
    if spec.variant_key is not None and near is None:
        # A key of another variant: "width" on a point.
        for variant, keys in spec.variants.items():
            if any(k.name == name for k in keys):
                elsewhere = variant
                break
    others = [home for home in homes if home != spec.doc]
    if near is not None:
        hint = f"did you mean '{near}'?"
    elif others and elsewhere is None:
        hint = (f"'{name}' belongs in {' or '.join(h[0].lower() + h[1:] for h in others)}, not in "
                f"{spec.doc[0].lower() + spec.doc[1:]}: move it there")
    elif elsewhere is not None:
        hint = (f"'{name}' belongs to a {elsewhere}, not a {data.get(spec.variant_key)}; "
                f"a {data.get(spec.variant_key)} has {', '.join(allowed)}")
    else:
        hint = f"{spec.doc.rstrip('.')} has {', '.join(allowed)}"
    value = data.get(name)
    error = InputError(f"unknown key '{name}'", file=file, field=where,
                       value=value if isinstance(value, (str, int, float)) else None, hint=hint)
    if near is not None:  # the key meant: a "missing required field" there is this same mistake
        error.meant_field = where[: len(where) - len(name)] + near  # type: ignore[attr-defined]
    return error


def drop_consequences(errors: list[InputError]) -> list[InputError]:
    """``errors`` without the "missing required field" errors of keys that a misspelt key meant
    (``hieght: 38`` is one mistake, not also a missing ``height``)."""
    meant = {getattr(error, "meant_field", None) for error in errors} - {None}
    return [error for error in errors
            if not (error.field in meant and error.problem.startswith("missing required"))]


# --- JSON Schema ---------------------------------------------------------------------------------


def json_schema(root: Value, *, title: str, description: str, schema_id: str | None = None) -> dict:
    """A JSON Schema (draft 2020-12) of ``root``, with every named mapping under ``$defs``."""
    definitions: dict[str, dict] = {}
    body = _schema(root, definitions)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    if schema_id:
        schema["$id"] = schema_id
    schema.update({"title": title, "description": description})
    schema.update(body)
    if definitions:
        schema["$defs"] = dict(sorted(definitions.items()))
    return schema


def _schema(spec: Value, definitions: dict[str, dict]) -> dict:
    if isinstance(spec, Scalar):
        return dict(spec.schema)
    if isinstance(spec, Ref):
        return {"$ref": f"#/$defs/{spec.target}"}
    if isinstance(spec, ListOf):
        many = {"type": "array", "items": _schema(spec.item, definitions)}
        return {"anyOf": [_schema(spec.item, definitions), many]} if spec.also_single else many
    if isinstance(spec, AnyOf):
        return {"anyOf": [_schema(form, definitions) for form in spec.forms]}
    if spec.name not in definitions:
        definitions[spec.name] = {}  # placeholder: a mapping may contain itself
        definitions[spec.name] = _mapping_schema(spec, definitions)
    return {"$ref": f"#/$defs/{spec.name}"}


def _properties(keys: tuple[Key, ...], definitions: dict[str, dict]) -> dict:
    out = {}
    for key in keys:
        prop = _schema(key.value, definitions)
        prop = {**prop, "description": key.doc} if "$ref" not in prop else {"allOf": [prop], "description": key.doc}
        out[key.name] = prop
    return out


def _mapping_schema(spec: Mapping, definitions: dict[str, dict]) -> dict:
    common = _properties(spec.keys, definitions)
    required = [k.name for k in spec.keys if k.required]
    if spec.variant_key is None:
        schema = {"type": "object", "description": spec.doc, "properties": common, "additionalProperties": False}
        if spec.extension_prefix:
            schema["patternProperties"] = {f"^{spec.extension_prefix}": {}}
        if required:
            schema["required"] = required
        return schema
    variants = []
    for variant, keys in spec.variants.items():
        props = {**common, **_properties(keys, definitions)}
        props[spec.variant_key] = {**props.get(spec.variant_key, {}), "const": variant}
        props[spec.variant_key].pop("enum", None)
        variants.append({"type": "object", "title": variant, "properties": props, "additionalProperties": False,
                         "required": sorted(set(required) | {k.name for k in keys if k.required})})
    return {"description": spec.doc, "anyOf": variants}
