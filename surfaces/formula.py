"""Safe user formulas: text → whitelisted syntax tree → SymPy → exact derivatives → a NumPy tape.

The text is parsed with Python's ``ast`` module into a tree that is *walked*, never evaluated: only
numbers, ``x``, ``y``, ``pi``, ``e``, ``+ − * / ^ **``, unary minus, parentheses and calls of the
whitelisted functions are accepted; anything else (attributes, subscripts, keywords, lambdas,
comparisons, strings, unknown names) raises ``ValueError`` naming the column.

Every cost is bounded, because a class shares one small server:

- length, nesting depth, node count and exponents are bounded as typed, and every *constant*
  sub-expression is computed in float64 as it is read: ``exp(exp(3e4))`` or ``2^64`` is refused with
  its value before SymPy ever sees it (SymPy would carry it exactly, for minutes);
- SymPy's work (differentiation, LaTeX) runs in a child process (:mod:`surfaces.sandbox`) with a CPU
  budget of :data:`CPU_BUDGET` seconds, a memory cap and a wall-clock kill, so nothing can keep a
  server thread busy; any exception class a library raises there becomes a plain message;
- what comes back is a *tape*: the formula, its gradient (and the Hessian, only when a second-order
  method asks for it) as one list of NumPy operations with shared sub-expressions computed once,
  at most :data:`MAX_OPS` of them, so evaluating it on a plotting mesh or stepping runs costs a
  bounded, small amount. The tape is data (no ``lambdify``/``exec``); overflow or undefined values
  give NaN.

Programs and messages are cached per text in the server (a few kB each, :data:`CACHE_ENTRIES` of
them), and concurrent requests for the same text wait for one analysis.
"""

from __future__ import annotations

import ast
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from . import sandbox
from .base import Surface

__all__ = [
    "ATTACKS",
    "CPU_BUDGET",
    "FUNCTIONS",
    "MAX_LENGTH",
    "MAX_OPS",
    "Program",
    "clear_caches",
    "from_formula",
    "program",
]

MAX_LENGTH = 200
MAX_DEPTH = 30
MAX_NODES = 150
MAX_EXPONENT = 64
MAX_CONSTANT = 1e12
MAX_OPS = 400  # NumPy operations in the tape of the formula and its gradient (×2 with a Hessian)
CPU_BUDGET = 0.6  # seconds of CPU for SymPy's part, in the child process
WALL_LIMIT = 4.0  # seconds before the child is killed, whatever it is doing
CACHE_ENTRIES = 128

# Formulas that once hung the server (minutes of CPU in SymPy), raised MemoryError in it, or took
# 12–17 s: a regression list for the tests and the benchmark. Each must now end in a message (or,
# for the nested σ, a usable surface) within the sandbox's budget.
ATTACKS = (
    "exp(exp(3e4))*x",
    "exp(exp(1e5))*x",
    "exp(exp(exp(exp(5))))*x",
    "exp(exp(1e4))*x",
    "sin(exp(1e6))*x",
    "exp(exp(1e12))*x",
    "cosh(cosh(1e12))*x",
    "2^64*x",
    "*".join(f"sin({k}x+y)" for k in range(1, 19)),  # a product rule too large to tape
    "sigmoid(" * 20 + "x*y" + ")" * 20,
)

FUNCTIONS = (
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "ln",
    "sqrt",
    "abs",
    "tanh",
    "sinh",
    "cosh",
    "atan",
    "sigmoid",
    "softplus",
    "min",
    "max",
)
_BINOPS = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "/", ast.Pow: "^"}
_SUPERSCRIPTS = {"²": "**2", "³": "**3", "−": "-", "×": "*", "·": "*", "^": "**"}


def _fail(msg: str, col: int | None = None) -> ValueError:
    where = f" (at column {col + 1})" if col is not None else ""
    return ValueError(f"{msg}{where}.")


def _normalise(text: str) -> tuple[str, list[int]]:
    """Map student notation onto Python syntax, keeping each output char's source column."""
    out: list[str] = []
    cols: list[int] = []
    for i, ch in enumerate(text):
        rep = _SUPERSCRIPTS.get(ch, ch)
        out.extend(rep)
        cols.extend([i] * len(rep))
    s = "".join(out)
    # implicit multiplication the way students write it: 2x, 2 x, 3(x+1), (x+1)(y-1), )x,
    # sin(x)cos(y), 2sin(x), x y, x sin(y); not inside numbers (2e5, 1.5e-3) or names (x2, exp)
    pieces: list[str] = []
    new_cols: list[int] = []
    prev = -1  # index in s of the previous non-space character
    for j, ch in enumerate(s):
        in_name_before = j > 0 and (
            s[j - 1].isalpha() or s[j - 1] == "_" or (s[j - 1].isdigit() and _in_name(s, j - 1))
        )
        starts_word = (ch.isalpha() or ch == "_") and not in_name_before
        if prev >= 0 and (ch == "(" or starts_word) and not _exponent(s, prev, j):
            after_number = s[prev].isdigit() and not _in_name(s, prev)
            after_word = _word_char(s[prev]) and prev < j - 1 and starts_word  # "x y", "x sin"
            if s[prev] == ")" or after_number or (after_word and ch != "("):
                pieces.append("*")
                new_cols.append(cols[j])
        pieces.append(ch)
        new_cols.append(cols[j])
        if not ch.isspace():
            prev = j
    return "".join(pieces), new_cols


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _exponent(s: str, prev: int, j: int) -> bool:
    """Is ``s[j]`` the ``e`` of a number's exponent (``2e5``, ``1.5E-3``), not Euler's e?"""
    if s[j] not in "eE" or prev != j - 1 or not s[prev].isdigit() or _in_name(s, prev):
        return False
    rest = s[j + 1 : j + 3]
    return bool(rest) and (rest[0].isdigit() or (rest[0] in "+-" and rest[1:2].isdigit()))


def _in_name(s: str, j: int) -> bool:
    """Is the digit at j part of an identifier (e.g. 'x2'), not a number?"""
    k = j
    while k >= 0 and (s[k].isalnum() or s[k] in "_."):
        k -= 1
    word = s[k + 1 : j + 1]
    return bool(word) and (word[0].isalpha() or word[0] == "_")


def _build(text: str):
    import sympy as sp

    stripped = _precheck(text)
    if "__" in stripped:
        raise _fail("Double underscores are not allowed", stripped.index("__"))
    if stripped.count("(") != stripped.count(")"):
        raise ValueError("Unbalanced parentheses: every '(' needs a matching ')'.")
    source, cols = _normalise(stripped)

    def col_of(node: ast.AST) -> int | None:
        off = getattr(node, "col_offset", None)
        return cols[off] if off is not None and off < len(cols) else None

    if source.count("(") > MAX_DEPTH:
        raise ValueError(f"Too many parentheses: at most {MAX_DEPTH} pairs.")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        col = cols[min(max((exc.offset or 1) - 1, 0), len(cols) - 1)] if cols else None
        raise _fail(
            "This is not a valid formula: check for a missing operator, a dangling sign "
            "or an unclosed bracket",
            col,
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ValueError("The formula is nested too deeply.") from None

    x, y = sp.symbols("x y", real=True)
    names = {"x": x, "y": y, "pi": sp.pi, "e": sp.E}
    funcs: dict[str, Callable[..., Any]] = {
        "sin": sp.sin,
        "cos": sp.cos,
        "tan": sp.tan,
        "exp": sp.exp,
        "log": sp.log,
        "ln": sp.log,
        "sqrt": sp.sqrt,
        "abs": sp.Abs,
        "tanh": sp.tanh,
        "sinh": sp.sinh,
        "cosh": sp.cosh,
        "atan": sp.atan,
        "sigmoid": _functions()["sigmoid"],
        "softplus": _functions()["softplus"],
        "min": sp.Min,
        "max": sp.Max,
    }
    count = [0]

    def check(value: float, node: ast.AST) -> None:
        """A constant sub-expression is refused by its float64 value, before SymPy computes it."""
        if math.isfinite(value) and abs(value) <= MAX_CONSTANT:
            return
        about = f" is about {value:.3g}," if math.isfinite(value) else " is"
        raise _fail(
            f"The constant {ast.unparse(node)[:40]}{about} too large to compute with "
            f"(limit ±{MAX_CONSTANT:g})",
            col_of(node),
        )

    def tame(expr: Any, value: float) -> Any:
        """An exact rational with huge digits (e.g. (1/10^12)^64) is carried as its float."""
        if expr.is_Rational and (abs(expr.p) > 10**15 or expr.q > 10**15):
            return sp.Float(value)
        return expr

    def number(node: ast.AST, fn: Callable[..., float], *args: float) -> float:
        try:
            return float(fn(*args))
        except ZeroDivisionError:
            raise _fail("Division by zero", col_of(node)) from None
        except OverflowError:
            return math.inf
        except (ValueError, TypeError):  # log(−1), sqrt(−1), (−8)^(1/3): not a real number
            raise _fail(f"{ast.unparse(node)[:40]} is not a real number", col_of(node)) from None

    def walk(node: ast.AST, depth: int) -> tuple[Any, float | None]:
        """The SymPy expression and, for a constant, its float64 value (None if it has x or y)."""
        count[0] += 1
        if count[0] > MAX_NODES:
            raise ValueError(f"The formula has too many terms (more than {MAX_NODES} pieces).")
        if depth > MAX_DEPTH:
            raise _fail(f"The formula is nested more than {MAX_DEPTH} levels deep", col_of(node))
        if isinstance(node, ast.Expression):
            return walk(node.body, depth + 1)
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise _fail(f"{v!r} is not a number", col_of(node))
            if not math.isfinite(v) or abs(v) > MAX_CONSTANT:
                raise _fail(f"The number {v:g} is too large (limit {MAX_CONSTANT:g})", col_of(node))
            return (sp.Integer(v) if isinstance(v, int) else sp.Float(v)), float(v)
        if isinstance(node, ast.Name):
            if node.id not in names:
                hint = " (it is a function: call it like sin(x))" if node.id in funcs else ""
                raise _fail(
                    f"Unknown name {node.id!r}{hint}; use x, y, pi, e and the functions "
                    f"{', '.join(FUNCTIONS)}",
                    col_of(node),
                )
            return names[node.id], {"pi": math.pi, "e": math.e}.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand, v = walk(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return operand, v
            return -operand, (None if v is None else -v)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            (left, lv), (right, rv) = walk(node.left, depth + 1), walk(node.right, depth + 1)
            if isinstance(node.op, ast.Div) and right.is_number and rv == 0:
                raise _fail("Division by zero", col_of(node))
            if isinstance(node.op, ast.Pow) and rv is not None and abs(rv) > MAX_EXPONENT:
                raise _fail(
                    f"The exponent {ast.unparse(node.right)[:20]} is too large "
                    f"(limit ±{MAX_EXPONENT})",
                    col_of(node),
                )
            value = None
            if lv is not None and rv is not None:  # a constant: its value first, SymPy after
                fn = {
                    ast.Add: lambda a, b: a + b,
                    ast.Sub: lambda a, b: a - b,
                    ast.Mult: lambda a, b: a * b,
                    ast.Div: lambda a, b: a / b,
                    ast.Pow: _real_pow,
                }[type(node.op)]
                value = number(node, fn, lv, rv)
                check(value, node)
            expr = {
                ast.Add: lambda: left + right,
                ast.Sub: lambda: left - right,
                ast.Mult: lambda: left * right,
                ast.Div: lambda: left / right,
                ast.Pow: lambda: left**right,
            }[type(node.op)]()
            return (expr if value is None else tame(expr, value)), value
        if isinstance(node, ast.Call):
            fname = node.func.id if isinstance(node.func, ast.Name) else None
            if fname not in funcs:
                shown = fname or ast.unparse(node.func)[:20]
                raise _fail(
                    f"Unknown function {shown!r}; allowed: {', '.join(FUNCTIONS)}", col_of(node)
                )
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise _fail(f"{fname}() takes plain arguments only", col_of(node))
            want = (2, 8) if fname in ("min", "max") else (1, 1)
            if not want[0] <= len(node.args) <= want[1]:
                need = "two or more arguments" if want[0] == 2 else "exactly one argument"
                raise _fail(f"{fname}() takes {need}", col_of(node))
            parts = [walk(a, depth + 1) for a in node.args]
            values = [v for _, v in parts]
            if all(v is not None for v in values):
                value = number(node, _MATH[fname], *values)
                check(value, node)
                return tame(funcs[fname](*[e for e, _ in parts]), value), value
            return funcs[fname](*[e for e, _ in parts]), None
        what = {
            ast.Attribute: "Attribute access (a.b)",
            ast.Subscript: "Indexing (a[i])",
            ast.Compare: "Comparisons",
            ast.BoolOp: "and/or",
            ast.Lambda: "lambda",
            ast.Tuple: "A comma outside a function call",
            ast.BinOp: "This operator",
        }.get(type(node), f"{type(node).__name__}")
        raise _fail(f"{what} is not allowed in a formula", col_of(node))

    try:
        expr, _ = walk(tree, 0)
    except RecursionError:
        raise ValueError("The formula is nested too deeply.") from None
    if expr.has(sp.I) or expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ValueError(
            "The formula is not a real number everywhere it is defined "
            "(e.g. √ or log of a negative constant, or division by zero)."
        )
    return expr, (x, y)


@lru_cache(maxsize=1)
def _functions() -> dict[str, Any]:
    """σ and softplus as SymPy functions with their own derivatives (σ' = σ(1 − σ), softplus' = σ).

    Written out as ``1/(1 + exp(−u))`` they make derivatives that grow with every nesting level;
    as functions, 20 nested σ differentiate in a few milliseconds and print as σ in the LaTeX.
    """
    import sympy as sp

    class sigmoid(sp.Function):
        def fdiff(self, argindex: int = 1) -> Any:
            s = sigmoid(self.args[0])
            return s * (1 - s)

        def _eval_evalf(self, prec: int) -> Any:
            return (1 / (1 + sp.exp(-self.args[0])))._eval_evalf(prec)

        def _latex(self, printer: Any) -> str:
            return rf"\sigma\left({printer._print(self.args[0])}\right)"

    class softplus(sp.Function):
        def fdiff(self, argindex: int = 1) -> Any:
            return sigmoid(self.args[0])

        def _eval_evalf(self, prec: int) -> Any:
            return sp.log(1 + sp.exp(self.args[0]))._eval_evalf(prec)

        def _latex(self, printer: Any) -> str:
            return rf"\operatorname{{softplus}}\left({printer._print(self.args[0])}\right)"

    return {"sigmoid": sigmoid, "softplus": softplus}


def _real_pow(a: float, b: float) -> float:
    return math.pow(a, b)  # ValueError for a negative base and a fractional exponent


def _sigmoid(u: float) -> float:
    return 1.0 / (1.0 + math.exp(-u)) if u >= 0 else math.exp(u) / (1.0 + math.exp(u))


def _softplus(u: float) -> float:
    return max(u, 0.0) + math.log1p(math.exp(-abs(u)))


# float64 twins of the whitelisted functions, to value constant sub-expressions before SymPy does
_MATH: dict[str, Callable[..., float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "log": math.log,
    "ln": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "atan": math.atan,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "min": min,
    "max": max,
}


# --- the tape: the formula and its derivatives as one list of NumPy operations ------------------
@dataclass(frozen=True)
class Program:
    """What the analysis of a formula returns: a tape of operations and where its outputs are.

    ``ops[i]`` is ``("x",)``, ``("y",)``, ``("c", value)`` or ``(name, *argument indices)``; the
    outputs are the indices of L, ∂L/∂x, ∂L/∂y (then ∂²L/∂x², ∂²L/∂x∂y, ∂²L/∂y² with a Hessian).
    """

    ops: tuple[tuple, ...]
    outputs: tuple[int, ...]
    latex: str


def _tape(exprs: list, xs: tuple, limit: int) -> tuple[list[tuple], list[int]]:
    """Post-order walk with one slot per distinct sub-expression (shared pieces computed once)."""
    import sympy as sp

    x, y = xs
    unary = {
        sp.sin: "sin",
        sp.cos: "cos",
        sp.tan: "tan",
        sp.exp: "exp",
        sp.log: "log",
        sp.tanh: "tanh",
        sp.sinh: "sinh",
        sp.cosh: "cosh",
        sp.atan: "atan",
        sp.Abs: "abs",
        sp.sign: "sign",
        sp.sec: "sec",
        sp.csc: "csc",
        sp.cot: "cot",
        sp.Heaviside: "heaviside",
        sp.DiracDelta: "zero",
        _functions()["sigmoid"]: "sigmoid",
        _functions()["softplus"]: "softplus",
    }
    index: dict[Any, int] = {}
    ops: list[tuple] = []
    cost = [0]  # NumPy calls to evaluate the tape once: an n-ary sum or product makes n − 1

    def emit(op: tuple) -> int:
        ops.append(op)
        cost[0] += max(1, len(op) - 2) if op[0] in _N_ARY else 1
        if cost[0] > limit:
            raise ValueError(
                f"This formula is too complex to differentiate here: its derivatives need more "
                f"than {limit} operations. Try a shorter formula."
            )
        return len(ops) - 1

    def children(e) -> tuple:
        if (e.is_Pow and e.exp.is_number) or e.func is sp.Heaviside:
            return e.args[:1]  # a constant exponent is part of the operation; H(0) = 1/2
        return e.args

    for root in exprs:
        stack = [(root, False)]
        while stack:
            e, ready = stack.pop()
            if e in index:
                continue
            if e == x or e == y:
                index[e] = emit(("x",) if e == x else ("y",))
                continue
            if e.is_number:
                c = complex(e.evalf(17))
                index[e] = emit(("c", c.real if abs(c.imag) <= 1e-12 * abs(c) else math.nan))
                continue
            if not ready:
                stack.append((e, True))
                stack.extend((a, False) for a in children(e) if a not in index)
                continue
            args = [index[a] for a in children(e)]
            if e.is_Add:
                op: tuple = ("add", *args)
            elif e.is_Mul:
                op = ("mul", *args)
            elif e.is_Pow and e.exp.is_number:
                ex = float(e.exp)
                if ex == 2:
                    op = ("square", args[0])
                elif ex == 0.5:
                    op = ("sqrt", args[0])
                elif ex == -1:
                    op = ("inv", args[0])
                else:
                    op = ("powc", args[0], ex)
            elif e.is_Pow:
                op = ("pow", *args)
            elif e.func in (sp.Min, sp.Max):
                op = ("min" if e.func is sp.Min else "max", *args)
            elif e.func in unary and len(args) == 1:
                op = (unary[e.func], args[0])
            else:
                raise ValueError(
                    f"The formula's derivative uses {e.func.__name__}, which cannot be "
                    "evaluated here."
                )
            index[e] = emit(op)
    return ops, [index[e] for e in exprs]


def _analyse(text: str, hessian: bool) -> Program:
    """Parse, differentiate and tape a formula (runs inside :mod:`surfaces.sandbox`)."""
    import sympy as sp

    expr, (x, y) = _build(text)
    gx, gy = sp.diff(expr, x), sp.diff(expr, y)
    exprs = [expr, gx, gy]
    if hessian:
        exprs += [sp.diff(gx, x), sp.diff(gx, y), sp.diff(gy, y)]
    ops, outputs = _tape(exprs, (x, y), MAX_OPS * (2 if hessian else 1))
    latex = sp.latex(expr)
    if len(latex) > 2000:
        latex = latex[:2000] + r"\ldots"
    return Program(tuple(ops), tuple(outputs), latex)


_N_ARY = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}
_UNARY = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "atan": np.arctan,
    "abs": np.abs,
    "sign": np.sign,
    "sqrt": np.sqrt,
    "square": np.square,
    "sec": lambda a: 1.0 / np.cos(a),
    "csc": lambda a: 1.0 / np.sin(a),
    "cot": lambda a: 1.0 / np.tan(a),
    "inv": lambda a: 1.0 / a,
    "heaviside": lambda a: np.heaviside(a, 0.5),
    "zero": lambda a: 0.0 * a,
    "sigmoid": lambda a: 0.5 + 0.5 * np.tanh(0.5 * a),  # no overflow for large |a|
    "softplus": lambda a: np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a))),
}


def _step(op: tuple, slot: dict[int, int]) -> Callable[[list, Any, Any], Any]:
    """One tape operation as a closure over the value list (arguments renumbered by ``slot``)."""
    kind, rest = op[0], op[1:]
    if kind == "x":
        return lambda v, X, Y: X
    if kind == "y":
        return lambda v, X, Y: Y
    if kind == "c":
        c = float(rest[0])
        return lambda v, X, Y: c
    if kind in _N_ARY:
        fn, idx = _N_ARY[kind], [slot[i] for i in rest]
        if len(idx) == 2:
            a, b = idx
            return lambda v, X, Y: fn(v[a], v[b])

        def reduce(v: list, X: Any, Y: Any) -> Any:
            out = fn(v[idx[0]], v[idx[1]])
            for j in idx[2:]:
                out = fn(out, v[j])
            return out

        return reduce
    if kind == "powc":
        a, ex = slot[rest[0]], float(rest[1])
        return lambda v, X, Y: np.power(np.asarray(v[a], dtype=float), ex)
    if kind == "pow":
        a, b = slot[rest[0]], slot[rest[1]]
        return lambda v, X, Y: np.power(np.asarray(v[a], dtype=float), v[b])
    fn1, a = _UNARY[kind], slot[rest[0]]
    return lambda v, X, Y: fn1(v[a])


def _evaluator(program: Program, outputs: tuple[int, ...]) -> Callable[[Any, Any], tuple]:
    """A function of (X, Y) computing the given outputs, running only the operations they need."""
    need: set[int] = set()
    todo = list(outputs)
    while todo:
        i = todo.pop()
        if i in need:
            continue
        need.add(i)
        op = program.ops[i]
        if op[0] not in ("x", "y", "c"):
            todo.extend(op[1:2] if op[0] == "powc" else op[1:])
    order = sorted(need)
    slot = {i: k for k, i in enumerate(order)}
    steps = [_step(program.ops[i], slot) for i in order]
    out = [slot[i] for i in outputs]

    def evaluate(X: Any, Y: Any) -> tuple:
        v: list = [None] * len(steps)
        for k, fn in enumerate(steps):
            v[k] = fn(v, X, Y)
        return tuple(v[k] for k in out)

    return evaluate


# --- analysis in the sandbox, cached per text ----------------------------------------------------
_PROGRAMS: OrderedDict[tuple[str, bool], Program | str] = OrderedDict()
_PROGRAMS_LOCK = threading.Lock()
_IN_FLIGHT: dict[tuple[str, bool], threading.Lock] = {}

_SANDBOX_MESSAGES = {
    "time": "This formula takes too long to analyse (more than {cpu:g} s of computing on the "
    "server). Simplify it: fewer nested functions, smaller constants.",
    "memory": "This formula needs too much memory to analyse. Simplify it.",
    "crash": "This formula could not be analysed ({detail}). Simplify it.",
    "busy": "The server is busy analysing other formulas; try again in a moment.",
    "share": "You have sent many new formulas in the last minute, and other students' formulas "
    "are waiting: theirs go first. Try yours again in a few seconds.",
}


def _precheck(text: str) -> str:
    """The checks that need no SymPy, done at once in the server (no child process for junk)."""
    if not isinstance(text, str):
        raise ValueError("The formula must be text.")
    stripped = text.strip()
    if not stripped:
        raise ValueError("The formula is empty: type an expression in x and y, e.g. x^2 + 3*y^2.")
    if len(stripped) > MAX_LENGTH:
        raise ValueError(
            f"The formula is {len(stripped)} characters long; the limit is {MAX_LENGTH}."
        )
    bad = re.search(r"[^0-9a-zA-Z_+\-*/^().,\s²³−×·]", stripped)
    if bad:
        raise _fail(f"The character {bad.group()!r} is not allowed", bad.start())
    return stripped


def program(text: str, hessian: bool = False) -> Program:
    """The analysed formula (cached); ``ValueError`` with a message a student can act on."""
    key = (_precheck(text), bool(hessian))
    with _PROGRAMS_LOCK:
        flight = _IN_FLIGHT.setdefault(key, threading.Lock())
    with flight:  # the same text asked for by many sessions at once is analysed once
        with _PROGRAMS_LOCK:
            done = _PROGRAMS.get(key)
            if done is not None:
                _PROGRAMS.move_to_end(key)
        if done is None:
            try:
                done = sandbox.run(_analyse, key, cpu=CPU_BUDGET, wall=WALL_LIMIT)
            except ValueError as err:
                done = str(err)
            except sandbox.SandboxError as err:
                reason = "share" if err.detail in ("share", "yours") else err.reason
                message = _SANDBOX_MESSAGES[reason].format(cpu=CPU_BUDGET, detail=err.detail)
                if err.reason == "busy":  # "share" too
                    raise ValueError(message) from None  # not cached: it may work in a moment
                done = message
            with _PROGRAMS_LOCK:
                _PROGRAMS[key] = done
                while len(_PROGRAMS) > CACHE_ENTRIES:
                    _PROGRAMS.popitem(last=False)
        with _PROGRAMS_LOCK:
            _IN_FLIGHT.pop(key, None)
    if isinstance(done, str):
        raise ValueError(done)
    return done


def clear_caches() -> None:
    """Forget every analysed formula (benchmarks and tests measure the analysis afresh)."""
    with _PROGRAMS_LOCK:
        _PROGRAMS.clear()
    _formula_surface.cache_clear()


class _Hessian:
    """The Hessian's evaluator, analysed on first use (only second-order methods ask for it)."""

    def __init__(self, text: str):
        self.text = text
        self._fn: Callable | None = None

    def __call__(self, X: Any, Y: Any) -> tuple:
        if self._fn is None:
            prog = program(self.text, hessian=True)
            self._fn = _evaluator(prog, prog.outputs[3:])
        return self._fn(X, Y)


@lru_cache(maxsize=64)
def _formula_surface(text: str, domain: tuple) -> Surface:
    prog = program(text)
    f_of = _evaluator(prog, prog.outputs[:1])
    grad_of = _evaluator(prog, prog.outputs[1:3])
    return Surface(
        name="formula",
        title=f"Your formula: {text.strip()}",
        fn=lambda X, Y: f_of(X, Y)[0],
        grad_fn=grad_of,
        hess_fn=_Hessian(text),
        domain=domain,
        latex=f"L(x, y) = {prog.latex}",
        reference="typed by you; gradient and Hessian by exact symbolic differentiation (SymPy)",
        notes="Minima are not known in advance for a typed formula.",
        params={"text": text.strip()},
        starts=(
            (0.6 * domain[0][0] + 0.4 * domain[0][1], 0.3 * domain[1][0] + 0.7 * domain[1][1]),
        ),
        lr_gd=(1e-4, 0.05, 1.0),
        lr_adaptive=(1e-3, 0.1, 1.0),
        kind="formula",
    )


def from_formula(text: str, domain: Any = ((-3.0, 3.0), (-3.0, 3.0))) -> Surface:
    """Build a surface from a formula a student typed; ``ValueError`` with a plain message if bad.

    >>> s = from_formula("x^2 + 3y^2")
    >>> float(s.f(np.array([1.0, 1.0]))), s.grad(np.array([1.0, 1.0])).tolist()
    (4.0, [2.0, 6.0])
    >>> s.hess(np.array([0.0, 0.0])).tolist()  # analysed on first use
    [[2.0, 0.0], [0.0, 6.0]]
    >>> from_formula("__import__('os')")
    Traceback (most recent call last):
    ...
    ValueError: The character "'" is not allowed (at column 12).
    >>> from_formula("exp(exp(3e4)) * x")
    Traceback (most recent call last):
    ...
    ValueError: The constant exp(30000.0) is too large to compute with (limit ±1e+12) (at column 5).
    """
    try:
        (x0, x1), (y0, y1) = domain
        dom = ((float(x0), float(x1)), (float(y0), float(y1)))
    except (TypeError, ValueError):
        raise ValueError("domain must be ((xmin, xmax), (ymin, ymax)).") from None
    if (
        not all(np.isfinite(v) for pair in dom for v in pair)
        or dom[0][0] >= dom[0][1]
        or dom[1][0] >= dom[1][1]
    ):
        raise ValueError("domain must be finite with xmin < xmax and ymin < ymax.")
    return _formula_surface(_precheck(text), dom)
