"""A tiny, safe expression language for network templates (``out: =c // 2``).

Only arithmetic, comparisons, boolean logic, conditional expressions, lists and a few pure
functions are allowed; anything else (attribute access, imports, lambdas…) is rejected.
"""

from __future__ import annotations

import ast
import operator
import warnings

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
        ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_CMP = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge}
_FUNCS = {"min": min, "max": max, "int": int, "round": round, "abs": abs, "str": str}

# Bounds that keep a hostile or mistyped expression from hanging or exhausting memory
# (``=10 ** 10 ** 10``, ``='a' * 10 ** 9``, ``='%999999999d' % 1``).
MAX_INT_BITS = 4096
MAX_SEQ_LEN = 10_000


def _is_num(v) -> bool:
    return isinstance(v, (int, float))


def _binop(op, left, right):
    if op is ast.Pow:
        if not (_is_num(left) and _is_num(right)):
            raise TypeError("** needs numbers")
        if (isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1
                and (abs(left).bit_length() - 1) * right > MAX_INT_BITS):
            raise OverflowError("result too large")
    elif op is ast.Mult:
        seq, count = ((left, right) if isinstance(left, (str, list)) else (right, left))
        if isinstance(seq, (str, list)):
            if not isinstance(count, int) or len(seq) * max(count, 0) > MAX_SEQ_LEN:
                raise OverflowError("repeated sequence too long")
    elif op is not ast.Add and not (_is_num(left) and _is_num(right)):
        # no string formatting with %, no set-like operations on lists
        raise TypeError(f"unsupported operand types {type(left).__name__} and "
                        f"{type(right).__name__}")
    result = _BIN[op](left, right)
    if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
        raise OverflowError("result too large")
    if isinstance(result, (str, list)) and len(result) > MAX_SEQ_LEN:
        raise OverflowError("result too long")
    return result


class ExprError(ValueError):
    pass


def evaluate(text: str, scope: dict):
    """Evaluate ``text`` (without the leading ``=``) in ``scope``.

    A float result that is integral becomes an int, so ``=32 * w`` with ``w: 2.0`` is 64.
    """
    if len(text) > MAX_SEQ_LEN:
        raise ExprError(f"expression of {len(text):,} characters is too long")
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal": never on stderr
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"cannot parse expression {text!r}: {e.msg}") from None
    except (MemoryError, RecursionError):  # CPython's parser on very deep nesting
        raise ExprError(f"expression nested too deeply: {text[:40]!r}...") from None
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
            return _binop(type(node.op), left, right)
        except (ArithmeticError, TypeError, ValueError) as e:
            raise ExprError(f"{e} in {text!r}") from None
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        operand = _eval(node.operand, scope, text)
        try:
            return _UNARY[type(node.op)](operand)
        except TypeError as e:
            raise ExprError(f"{e} in {text!r}") from None
    elif isinstance(node, ast.BoolOp):
        vals = (_eval(v, scope, text) for v in node.values)
        return all(vals) if isinstance(node.op, ast.And) else any(vals)
    elif isinstance(node, ast.Compare) and all(type(o) in _CMP for o in node.ops):
        left = _eval(node.left, scope, text)
        for op, comp in zip(node.ops, node.comparators):
            right = _eval(comp, scope, text)
            try:
                ok = _CMP[type(op)](left, right)
            except TypeError as e:
                raise ExprError(f"{e} in {text!r}") from None
            if not ok:
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
        args = [_eval(a, scope, text) for a in node.args]
        if (node.func.id == "round" and len(args) == 2 and isinstance(args[1], int)
                and abs(args[1]) > 64):
            raise ExprError(f"round to {args[1]} digits in {text!r}")  # 10**digits would hang
        try:
            result = _FUNCS[node.func.id](*args)
        except (TypeError, ValueError, ArithmeticError) as e:
            raise ExprError(f"{e} in {text!r}") from None
        if isinstance(result, str) and len(result) > MAX_SEQ_LEN:
            raise ExprError(f"result too long in {text!r}")
        return result
    raise ExprError(f"unsupported expression {ast.unparse(node)!r} in {text!r}")
