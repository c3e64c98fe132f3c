"""A tiny, safe expression language for network templates (``out: =c // 2``).

Only arithmetic, comparisons, boolean logic, conditional expressions, lists and a few pure
functions are allowed; anything else (attribute access, imports, lambdas…) is rejected.
"""

from __future__ import annotations

import ast
import operator
import warnings
from functools import lru_cache

from .limits import MAX_EXPR_ELEMS, MAX_EXPR_INT_BITS

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
        ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_CMP = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge}
_FUNCS = {"min": min, "max": max, "int": int, "round": round, "abs": abs, "str": str}

# Bounds that keep a hostile or mistyped expression from hanging or exhausting memory
# (``=10 ** 10 ** 10``, ``='a' * 10 ** 9``, ``='%999999999d' % 1``,
# ``=str([[[0] * 9999] * 9999] * 9999)``): docs/errors.md.
MAX_INT_BITS = MAX_EXPR_INT_BITS
MAX_SEQ_LEN = MAX_EXPR_ELEMS


def _is_num(v) -> bool:
    return isinstance(v, (int, float))


def _weight(v, memo: dict | None = None) -> int:
    """The size of a value once written out: characters of a string, elements of a list counted
    through every level (``[[0] * 9999] * 9999`` shares one inner list but is 10⁸ elements),
    digits of an integer / 8.  Memoised by identity, so a shared list is measured once."""
    if isinstance(v, str):
        return len(v)
    if isinstance(v, list):
        memo = {} if memo is None else memo
        if id(v) not in memo:
            memo[id(v)] = 0   # a self-containing list (impossible here) would count once
            memo[id(v)] = 1 + sum(_weight(x, memo) for x in v)
        return memo[id(v)]
    if isinstance(v, int):
        return 1 + v.bit_length() // 32
    return 1


def _check_size(v) -> None:
    if isinstance(v, list) and _weight(v) > MAX_SEQ_LEN:
        raise OverflowError(f"result of more than {MAX_SEQ_LEN:,} elements")


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
            if (not isinstance(count, int) or isinstance(count, bool)
                    or _weight(seq) * max(count, 0) > MAX_SEQ_LEN):
                raise OverflowError("repeated sequence too long")
        elif not (_is_num(left) and _is_num(right)):
            raise TypeError(f"unsupported operand types {type(left).__name__} and "
                            f"{type(right).__name__}")
    elif op is not ast.Add and not (_is_num(left) and _is_num(right)):
        # no string formatting with %, no set-like operations on lists
        raise TypeError(f"unsupported operand types {type(left).__name__} and "
                        f"{type(right).__name__}")
    elif op is ast.Add and not (_is_num(left) and _is_num(right)) and type(left) is not type(
            right):
        raise TypeError(f"unsupported operand types {type(left).__name__} and "
                        f"{type(right).__name__}")
    result = _BIN[op](left, right)
    if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
        raise OverflowError("result too large")
    if isinstance(result, (str, list)) and len(result) > MAX_SEQ_LEN:
        raise OverflowError("result too long")
    _check_size(result)
    return result


class ExprError(ValueError):
    pass


def evaluate(text: str, scope: dict):
    """Evaluate ``text`` (without the leading ``=``) in ``scope``.

    A float result that is integral becomes an int, so ``=32 * w`` with ``w: 2.0`` is 64.
    """
    if len(text) > MAX_SEQ_LEN:
        raise ExprError(f"expression of {len(text):,} characters is too long")
    value = _eval(_parse(text).body, scope, text)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@lru_cache(maxsize=4096)
def _parse(text: str) -> ast.Expression:
    """The syntax tree of an expression (memoised: a network repeats the same few expressions
    in every block; the tree is only read)."""
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal": never on stderr
            warnings.simplefilter("ignore")
            return ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"cannot parse expression {text!r}: {e.msg}") from None
    except (MemoryError, RecursionError):  # CPython's parser on very deep nesting
        raise ExprError(f"expression nested too deeply: {text[:40]!r}...") from None


def _plain(v) -> bool:
    if isinstance(v, list):
        return True   # elements are checked when used
    return v is None or isinstance(v, (int, float, str, bool))


def _eval(node, scope, text):
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float, str, bool)) or node.value is None:
            return node.value
    elif isinstance(node, ast.Name):
        if node.id in scope:
            v = scope[node.id]
            if not _plain(v):   # e.g. bytes from YAML: no operator here is meant for them
                raise ExprError(f"{node.id!r} is a {type(v).__name__}, not a number, string, "
                                f"boolean or list, in {text!r}")
            if isinstance(v, list):
                try:
                    _check_size(v)
                except OverflowError as e:
                    raise ExprError(f"{node.id!r}: {e} in {text!r}") from None
            return v
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
        out = [_eval(e, scope, text) for e in node.elts]
        try:
            _check_size(out)
        except OverflowError as e:
            raise ExprError(f"{e} in {text!r}") from None
        return out
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
          and node.func.id in _FUNCS and not node.keywords):
        args = [_eval(a, scope, text) for a in node.args]
        if node.func.id == "str" and any(_weight(a) > MAX_SEQ_LEN for a in args):
            raise ExprError(f"str() of a value of more than {MAX_SEQ_LEN:,} elements in "
                            f"{text!r}")
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
