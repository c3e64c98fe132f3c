"""A tiny, safe expression language for network templates (``out: =c // 2``).

Only arithmetic, comparisons, boolean logic, conditional expressions, lists and a few pure
functions are allowed; anything else (attribute access, imports, lambdas…) is rejected.
"""

from __future__ import annotations

import ast
import operator

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
        ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_CMP = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge}
_FUNCS = {"min": min, "max": max, "int": int, "round": round, "abs": abs, "str": str}


class ExprError(ValueError):
    pass


def evaluate(text: str, scope: dict):
    """Evaluate ``text`` (without the leading ``=``) in ``scope``.

    A float result that is integral becomes an int, so ``=32 * w`` with ``w: 2.0`` is 64.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"cannot parse expression {text!r}: {e.msg}") from None
    value = _eval(tree.body, scope, text)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _eval(node, scope, text):
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float, str, bool)) or node.value is None:
            return node.value
    elif isinstance(node, ast.Name):
        if node.id in scope:
            return scope[node.id]
        if node.id in ("true", "false"):
            return node.id == "true"
        raise ExprError(f"unknown name {node.id!r} in {text!r}")
    elif isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        left, right = _eval(node.left, scope, text), _eval(node.right, scope, text)
        try:
            return _BIN[type(node.op)](left, right)
        except (ArithmeticError, TypeError) as e:
            raise ExprError(f"{e} in {text!r}") from None
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, scope, text))
    elif isinstance(node, ast.BoolOp):
        vals = (_eval(v, scope, text) for v in node.values)
        return all(vals) if isinstance(node.op, ast.And) else any(vals)
    elif isinstance(node, ast.Compare) and all(type(o) in _CMP for o in node.ops):
        left = _eval(node.left, scope, text)
        for op, comp in zip(node.ops, node.comparators):
            right = _eval(comp, scope, text)
            if not _CMP[type(op)](left, right):
                return False
            left = right
        return True
    elif isinstance(node, ast.IfExp):
        return (_eval(node.body, scope, text) if _eval(node.test, scope, text)
                else _eval(node.orelse, scope, text))
    elif isinstance(node, (ast.List, ast.Tuple)):
        return [_eval(e, scope, text) for e in node.elts]
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
          and node.func.id in _FUNCS and not node.keywords):
        try:
            return _FUNCS[node.func.id](*(_eval(a, scope, text) for a in node.args))
        except (TypeError, ValueError) as e:
            raise ExprError(f"{e} in {text!r}") from None
    raise ExprError(f"unsupported expression {ast.unparse(node)!r} in {text!r}")
