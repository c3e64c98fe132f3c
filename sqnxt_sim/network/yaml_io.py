"""Network YAML: load (templates, repeats, expressions → explicit graph) and dump (flat YAML).

The format is documented in docs/network-format.md.  Every error carries the file, the line of
the offending field and the field's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import NetworkError
from ..expr import ExprError, evaluate
from ..limits import MAX_LAYERS
from ..source import LDict, line_of, read_yaml
from .graph import LayerDef, Network
from .layers import Const, Input, Layer, Shape, yaml_vocabulary

INPUT_NAME = "input"


# -- layer construction -----------------------------------------------------------------------
COMMON = {"name", "type", "input", "inputs", "when"}

# the vocabulary is declared once, on the layer classes (layers.py: yaml_types, yaml_fields)
VOCABULARY = yaml_vocabulary()
LAYER_FIELDS: dict[str, set[str]] = {t: cls.yaml_accepts(t) for t, cls in VOCABULARY.items()}
REQUIRED: dict[str, set[str]] = {t: r for t, cls in VOCABULARY.items()
                                 if (r := cls.yaml_required(t))}


def make_layer(ltype: str, f: dict) -> Layer:
    """Build a layer value from already-evaluated fields (names checked by the caller)."""
    return VOCABULARY[ltype].from_yaml(ltype, f)


def layer_fields(layer: Layer) -> dict:
    """The YAML fields of a layer value, compact but explicit (inverse of make_layer)."""
    return layer.to_yaml()


# -- template expansion -----------------------------------------------------------------------
@dataclass
class _Scope:
    prefix: str                      # "" at top level, "stage1.1/" inside an instance
    vars: dict
    input: str                       # what 'in' (or the default first input) refers to
    parent: _Scope | None = None
    local: dict = field(default_factory=dict)   # declared short name -> full name
    ahead: dict = field(default_factory=dict)   # names declared further down -> their line

    def resolve(self, ref: str) -> str | None:
        s: _Scope | None = self
        while s is not None:
            if ref == "in" and s.parent is not None:
                return s.input
            if ref in s.local:
                return s.local[ref]
            s = s.parent
        return None




class _Expander:
    MAX_DEPTH = 16

    def __init__(self, doc: LDict, source: str | None) -> None:
        self.doc = doc
        self.source = source
        self.defs: list[LayerDef] = []
        self.all_names: set[str] = set()
        self.template_uses: dict[str, int] = {}
        self.templates = doc.get("templates") or LDict()
        if not isinstance(self.templates, dict):
            self.err("templates must be a mapping of template name to definition",
                     doc, "templates")
        for t in self.templates:
            if not isinstance(t, str):
                self.err(f"template name {t!r} must be a string", self.templates, t)
        self.defaults = doc.get("defaults") or LDict()
        if not isinstance(self.defaults, dict):
            self.err("defaults must be a mapping of layer type to fields", doc, "defaults")
        for t, fields_ in self.defaults.items():
            if t not in LAYER_FIELDS:
                self.err(f"defaults for unknown layer type {t!r}", self.defaults, t)
            if not isinstance(fields_, dict):
                self.err(f"defaults for {t} must be a mapping", self.defaults, t)
            for k in fields_:
                if k not in LAYER_FIELDS[t]:
                    self.err(f"unknown field {k!r} for {t} (allowed: "
                             f"{', '.join(sorted(LAYER_FIELDS[t]))})", fields_, k)

    def err(self, msg: str, d: Any, key: Any = None, extra: str = ""):
        raise NetworkError(msg + extra, file=self.source, line=line_of(d, key),
                           field=None if key is None else str(key))

    def value(self, v: Any, scope: _Scope, d: Any, key: str):
        """Evaluate a field value: strings starting with '=' are expressions."""
        if isinstance(v, str) and v.startswith("="):
            try:
                return evaluate(v[1:], scope.vars)
            except ExprError as e:
                self.err(str(e), d, key)
            except RecursionError:
                self.err("expression too deep", d, key)
        if isinstance(v, list):
            return [self.value(x, scope, d, key) for x in v]
        return v

    def condition(self, item: LDict, scope: _Scope) -> bool:
        """``when:`` is true/false, or an expression giving one: a quoted 'false' or a list
        would otherwise be truthy and silently keep the layer."""
        v = self.value(item["when"], scope, item, "when")
        if not isinstance(v, bool):
            self.err(f"when must be true, false or an expression giving one, got {v!r}",
                     item, "when")
        return v

    def expand(self, items: Any, scope: _Scope, depth: int, owner: Any, key: str) -> str | None:
        """Expand a list of layer / template items; returns the full name of the last one."""
        if not isinstance(items, list):
            self.err(f"{key} must be a list", owner, key)
        last = scope.input
        scope.ahead = {it["name"]: line_of(it, "name") for it in items
                       if isinstance(it, dict) and isinstance(it.get("name"), str)}
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                scope.ahead.pop(item["name"], None)
            if not isinstance(item, dict):
                self.err("each layer must be a mapping with a 'type' (or a 'use')",
                         item if hasattr(item, "line") else owner, None if
                         hasattr(item, "line") else key)
            if "when" in item and not self.condition(item, scope):
                continue
            if "use" in item:
                last = self.instance(item, scope, depth, last)
            else:
                last = self.layer(item, scope, last)
        return last

    def _inputs(self, item: LDict, scope: _Scope, default: str) -> tuple[str, ...]:
        if "input" in item and "inputs" in item:
            self.err("give either input or inputs, not both", item, "inputs")
        if "inputs" in item:
            refs = self.value(item["inputs"], scope, item, "inputs")
            key = "inputs"
            if not isinstance(refs, list):
                self.err("inputs must be a list of layer names", item, key)
        elif "input" in item:
            refs = [self.value(item["input"], scope, item, "input")]
            key = "input"
        else:
            return (default,)
        out = []
        for r in refs:
            if not isinstance(r, str):
                self.err(f"an input must be a layer name, got {r!r}", item, key)
            full = scope.resolve(r)
            if full is None:
                full = r if r in self.all_names else None
            if full is None and r in scope.ahead:
                self.err(f"input {r!r} is declared further down (line {scope.ahead[r]}); a "
                         f"layer may only take inputs from layers above it, which also rules "
                         f"out cycles", item, key)
            if full is None:
                self.err(f"input {r!r} is not a layer defined before this one", item, key)
            out.append(full)
        return tuple(out)

    def _name(self, item: LDict, scope: _Scope, fallback: str) -> str:
        name = self.value(item.get("name", fallback), scope, item, "name")
        if not isinstance(name, str) or not name or name == "in":
            self.err(f"name must be a non-empty string other than 'in', got {name!r}",
                     item, "name")
        return name

    def layer(self, item: LDict, scope: _Scope, prev: str) -> str:
        ltype = item.get("type")
        if ltype is None:
            self.err("layer has no 'type' (or 'use' for a template)", item)
        if not isinstance(ltype, str) or ltype not in LAYER_FIELDS:
            self.err(f"unknown layer type {ltype!r} (known: "
                     f"{', '.join(sorted(LAYER_FIELDS))})", item, "type")
        name = self._name(item, scope, f"{ltype}{len(self.defs)}")
        allowed = LAYER_FIELDS[ltype]
        fields_: dict = dict(self.defaults.get(ltype, {}))
        for k, v in item.items():
            if k in COMMON:
                continue
            if k not in allowed:
                self.err(f"unknown field {k!r} for {ltype} {name!r} (allowed: "
                         f"{', '.join(sorted(allowed | COMMON))})", item, k)
            fields_[k] = self.value(v, scope, item, k)
        for k in sorted(REQUIRED.get(ltype, ())):
            if k not in fields_:
                self.err(f"{ltype} {name!r} needs a {k!r} field", item)
        try:
            layer = make_layer(ltype, fields_)
        except NetworkError as e:
            key = e.field if e.field in item else None
            self.err(f"{ltype} {name!r}: {e.message}", item, key)
        full = scope.prefix + name
        if isinstance(layer, Const) and "input" not in item and "inputs" not in item:
            inputs: tuple[str, ...] = ()     # a constant has no producer
        else:
            inputs = self._inputs(item, scope, prev)
        lines = getattr(item, "lines", {})
        self.add(LayerDef(full, layer, inputs, line_of(item),
                          tuple((str(k), v) for k, v in lines.items())), item)
        scope.local[name] = full
        return full

    def add(self, d: LayerDef, item: Any) -> None:
        if len(self.defs) >= MAX_LAYERS:
            self.err(f"the network has more than {MAX_LAYERS:,} layers (a runaway repeat?)",
                     item, "repeat" if "repeat" in item else None)
        if d.name in self.all_names:
            self.err(f"layer name {d.name!r} is defined twice", item, "name")
        self.all_names.add(d.name)
        self.defs.append(d)

    def instance(self, item: LDict, scope: _Scope, depth: int, prev: str) -> str:
        if depth >= self.MAX_DEPTH:
            self.err("templates nest too deeply (a template uses itself?)", item, "use")
        tname = item["use"]
        if not isinstance(tname, str) or tname not in self.templates:
            self.err(f"unknown template {tname!r} (defined: "
                     f"{', '.join(sorted(self.templates)) or 'none'})", item, "use")
        tmpl = self.templates[tname]
        if not isinstance(tmpl, dict):
            self.err(f"template {tname!r} must be a mapping", self.templates, tname)
        for k in tmpl:
            if k not in ("args", "layers", "output"):
                self.err(f"unknown template field {k!r} (allowed: args, layers, output)",
                         tmpl, k)
        for k in item:
            if k not in ("use", "name", "args", "repeat", "input", "when"):
                self.err(f"unknown field {k!r} for a template use (allowed: use, name, args, "
                         f"repeat, input, when)", item, k)
        declared = tmpl.get("args") or {}
        if not isinstance(declared, dict):
            self.err("template args must be a mapping of name to default (null: required)",
                     tmpl, "args")
        for k in declared:
            if not isinstance(k, str) or not k.isidentifier():
                self.err(f"template argument name {k!r} must be an identifier", declared, k)
        repeat = self.value(item.get("repeat", 1), scope, item, "repeat")
        if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 0:
            self.err(f"repeat must be a non-negative integer, got {repeat!r}", item, "repeat")
        base = self._name(item, scope, tname)
        given = item.get("args") or LDict()
        if not isinstance(given, dict):
            self.err("args must be a mapping", item, "args")
        for k in given:
            if k not in declared:
                self.err(f"template {tname!r} has no argument {k!r} (declared: "
                         f"{', '.join(declared) or 'none'})", given, k)
        first_in = self._inputs(item, scope, prev)[0]
        cur = first_in
        for i in range(repeat):
            n = self.template_uses.get(tname, 0)
            self.template_uses[tname] = n + 1
            outer = {**scope.vars, "i": i, "n": n}
            args = {}
            for k, default in declared.items():
                if k in given:
                    args[k] = self.value(given[k], _Scope(scope.prefix, outer, cur, scope),
                                         given, k)
                elif default is None:
                    self.err(f"template {tname!r} needs argument {k!r}", item, "args")
                else:
                    args[k] = self.value(default, _Scope(scope.prefix, outer, cur, scope),
                                         declared, k)
            iname = base if repeat == 1 else f"{base}.{i + 1}"
            inner = _Scope(scope.prefix + iname + "/", {**scope.vars, **args, "i": i, "n": n},
                           cur, scope)
            last = self.expand(tmpl.get("layers"), inner, depth + 1, tmpl, "layers")
            if "output" in tmpl:
                out_ref = self.value(tmpl["output"], inner, tmpl, "output")
                resolved = inner.local.get(out_ref) if isinstance(out_ref, str) else None
                if resolved is None:
                    self.err(f"template output {out_ref!r} is not one of its layers",
                             tmpl, "output")
                last = resolved
            if last == cur:
                self.err(f"template {tname!r} produced no layers", item, "use")
            cur = last
        scope.local[base] = cur
        return cur


TOP_KEYS = {"name", "description", "source", "input", "vars", "defaults", "templates", "layers"}


def _parse_input(doc: LDict, source: str | None) -> Shape:
    v = doc.get("input")
    line = line_of(doc, "input")
    if isinstance(v, dict):
        unknown = set(v) - {"channels", "height", "width"}
        if unknown:
            raise NetworkError(f"unknown input field {sorted(unknown)[0]!r} (allowed: channels, "
                               f"height, width)", file=source, line=line, field="input")
        v = [v.get("channels"), v.get("height"), v.get("width")]
    if (not isinstance(v, list) or len(v) != 3
            or not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in v)):
        raise NetworkError(f"input must be [channels, height, width] of positive integers, "
                           f"got {v!r}", file=source, line=line, field="input")
    return Shape(*v)


def parse_network(doc: Any, source: str | None = None) -> Network:
    if not isinstance(doc, dict):
        raise NetworkError("a network file must be a mapping with name, input and layers",
                           file=source, line=line_of(doc) or 1)
    for k in doc:
        if k not in TOP_KEYS:
            raise NetworkError(f"unknown top-level field {k!r} (allowed: "
                               f"{', '.join(sorted(TOP_KEYS))})", file=source,
                               line=line_of(doc, k), field=str(k))
    for k in ("input", "layers"):
        if k not in doc:
            raise NetworkError(f"missing {k!r}", file=source, line=line_of(doc), field=k)
    name = doc.get("name") or (os.path.splitext(os.path.basename(source))[0] if source
                               else "network")
    if not isinstance(name, str):
        raise NetworkError("name must be a string", file=source, line=line_of(doc, "name"),
                           field="name")
    shape = _parse_input(doc, source)
    variables = doc.get("vars") or {}
    if not isinstance(variables, dict):
        raise NetworkError("vars must be a mapping", file=source, line=line_of(doc, "vars"),
                           field="vars")
    ex = _Expander(doc, source)
    ex.add(LayerDef(INPUT_NAME, Input(shape), (), line_of(doc, "input")), doc)
    top = _Scope("", dict(variables), INPUT_NAME)
    top.local[INPUT_NAME] = INPUT_NAME
    ex.expand(doc["layers"], top, 0, doc, "layers")
    return Network(name, ex.defs, source=source)


def load_network(path: str | os.PathLike) -> Network:
    """A network YAML file, a SCALE-Sim topology CSV or an ONNX model: the reader is chosen by
    the registry in ``loaders.py`` (by suffix, else by content)."""
    from .loaders import load_network as load
    return load(path)


def loads_network(text: str, source: str | None = None) -> Network:
    return parse_network(read_yaml(text, source), source)


def dump_network(net: Network, header: str | None = None) -> str:
    """A flat YAML (no templates, every input explicit) that loads back to an equal network;
    ``header``, if given, is a comment line written first (e.g. where the network came from)."""
    inputs = [n.name for n in net if isinstance(n.layer, Input)]
    if len(inputs) != 1 or inputs[0] != INPUT_NAME:
        raise NetworkError(f"cannot write {net.name!r} as network YAML: it has {len(inputs)} "
                           f"separate inputs (a SCALE-Sim topology's layers are independent), "
                           f"and the format has one input named {INPUT_NAME!r}",
                           file=net.source)
    layers = []
    for n in net:
        if isinstance(n.layer, Input):
            continue
        entry = {"name": n.name, "type": n.type}
        entry.update(layer_fields(n.layer))
        entry["inputs"] = list(n.inputs)
        layers.append(entry)
    s = net.input_shape

    class _Dumper(yaml.SafeDumper):
        pass

    def _flow_dict(dumper, data):
        return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)

    comment = f"flat dump of {net.name} ({net.source or 'in memory'}) by sqnxt-sim"
    lines = ["# " + " ".join(comment.splitlines()),  # a newline in a name must not end it
             *(["# " + " ".join(header.splitlines())] if header else []),
             yaml.safe_dump({"name": net.name}, sort_keys=False).rstrip(),
             f"input: [{s.c}, {s.h}, {s.w}]", "layers:" if layers else "layers: []"]
    for e in layers:
        _Dumper.add_representer(dict, _flow_dict)
        lines.append("  - " + yaml.dump(e, Dumper=_Dumper, sort_keys=False,
                                        default_flow_style=True, width=10_000).strip())
    return "\n".join(lines) + "\n"
