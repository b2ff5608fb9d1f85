"""Safe user formulas: text → whitelisted syntax tree → SymPy expression → exact gradient.

The text is parsed with Python's ``ast`` module into a tree that is *walked*, never evaluated: only
numbers, ``x``, ``y``, ``pi``, ``e``, ``+ − * / ^ **``, unary minus, parentheses and calls of the
whitelisted functions are accepted; anything else (attributes, subscripts, keywords, lambdas,
comparisons, strings, unknown names) raises ``ValueError`` naming the column. Length, nesting depth,
node count, constant size and constant exponents are bounded so no formula can run code, hang the
server or exhaust memory. SymPy differentiates the resulting expression exactly; evaluation walks the
SymPy tree with NumPy functions (no ``lambdify``/``exec``), and overflow or undefined values give NaN.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from .base import Surface

__all__ = ["FUNCTIONS", "MAX_LENGTH", "from_formula"]

MAX_LENGTH = 200
MAX_DEPTH = 30
MAX_NODES = 150
MAX_EXPONENT = 64
MAX_CONSTANT = 1e12

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
    # implicit multiplication the way students write it: 2x, 2 x, 3(x+1), (x+1)(y-1), )x
    pieces: list[str] = []
    new_cols: list[int] = []
    prev = -1  # index in s of the previous non-space character
    for j, ch in enumerate(s):
        if (
            prev >= 0
            and ch in "xy("
            and (s[prev] == ")" or (s[prev].isdigit() and not _in_name(s, prev)))
        ):
            pieces.append("*")
            new_cols.append(cols[j])
        pieces.append(ch)
        new_cols.append(cols[j])
        if not ch.isspace():
            prev = j
    return "".join(pieces), new_cols


def _in_name(s: str, j: int) -> bool:
    """Is the digit at j part of an identifier (e.g. 'x2'), not a number?"""
    k = j
    while k >= 0 and (s[k].isalnum() or s[k] in "_."):
        k -= 1
    word = s[k + 1 : j + 1]
    return bool(word) and (word[0].isalpha() or word[0] == "_")


def _build(text: str):
    import sympy as sp

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
        "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
        "softplus": lambda u: sp.log(1 + sp.exp(u)),
        "min": sp.Min,
        "max": sp.Max,
    }
    count = [0]

    def walk(node: ast.AST, depth: int):
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
            return sp.Integer(v) if isinstance(v, int) else sp.Float(v)
        if isinstance(node, ast.Name):
            if node.id not in names:
                hint = " (it is a function: call it like sin(x))" if node.id in funcs else ""
                raise _fail(
                    f"Unknown name {node.id!r}{hint}; use x, y, pi, e and the functions "
                    f"{', '.join(FUNCTIONS)}",
                    col_of(node),
                )
            return names[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = walk(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = walk(node.left, depth + 1), walk(node.right, depth + 1)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                if right.is_number and right == 0:
                    raise _fail("Division by zero", col_of(node))
                return left / right
            if right.is_number:
                ev = float(right) if right.is_real else math.inf
                if abs(ev) > MAX_EXPONENT:
                    raise _fail(
                        f"The exponent {right} is too large (limit ±{MAX_EXPONENT})", col_of(node)
                    )
                if left.is_number:
                    try:
                        base = abs(float(left))
                        if base != 0 and abs(ev * math.log10(base)) > 300:
                            raise OverflowError
                    except (OverflowError, TypeError, ValueError):
                        raise _fail("This power is too large to compute", col_of(node)) from None
            return left**right
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
            return funcs[fname](*[walk(a, depth + 1) for a in node.args])
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
        expr = walk(tree, 0)
    except RecursionError:
        raise ValueError("The formula is nested too deeply.") from None
    if expr.has(sp.I) or expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ValueError(
            "The formula is not a real number everywhere it is defined "
            "(e.g. √ or log of a negative constant, or division by zero)."
        )
    return expr, (x, y)


# --- evaluation of a SymPy tree with NumPy (no exec) ------------------------------------------


def _compile(e, xs):
    import sympy as sp

    x, y = xs
    if e == x:
        return lambda X, Y: X
    if e == y:
        return lambda X, Y: Y
    if e.is_number:
        c = complex(e.evalf())
        v = c.real if abs(c.imag) < 1e-300 else math.nan
        return lambda X, Y: v
    args = [_compile(a, xs) for a in e.args]
    if e.is_Add:

        def add(X, Y):
            total = args[0](X, Y)
            for a in args[1:]:
                total = total + a(X, Y)
            return total

        return add
    if e.is_Mul:

        def mul(X, Y):
            total = args[0](X, Y)
            for a in args[1:]:
                total = total * a(X, Y)
            return total

        return mul
    if e.is_Pow:
        b, p = args
        if e.exp.is_number:
            ex = float(e.exp)
            if ex == 2:
                return lambda X, Y: b(X, Y) ** 2
            if ex == 0.5:
                return lambda X, Y: np.sqrt(b(X, Y))
            if ex == -1:
                return lambda X, Y: 1.0 / b(X, Y)
            if ex == int(ex):
                # integer powers are defined for negative bases
                return lambda X, Y: np.power(np.asarray(b(X, Y), dtype=float), ex)
        return lambda X, Y: np.power(np.asarray(b(X, Y), dtype=float), p(X, Y))
    unary = {
        sp.sin: np.sin,
        sp.cos: np.cos,
        sp.tan: np.tan,
        sp.exp: np.exp,
        sp.log: np.log,
        sp.tanh: np.tanh,
        sp.sinh: np.sinh,
        sp.cosh: np.cosh,
        sp.atan: np.arctan,
        sp.Abs: np.abs,
        sp.sign: np.sign,
    }
    fn = unary.get(e.func)
    if fn is not None and len(args) == 1:
        a = args[0]
        return lambda X, Y: fn(a(X, Y))
    if e.func in (sp.Min, sp.Max):
        red = np.minimum if e.func is sp.Min else np.maximum

        def minmax(X, Y):
            out = args[0](X, Y)
            for a in args[1:]:
                out = red(out, a(X, Y))
            return out

        return minmax
    if e.func is sp.Heaviside:
        a = args[0]
        return lambda X, Y: np.heaviside(a(X, Y), 0.5)
    if e.func is sp.DiracDelta:
        a = args[0]
        return lambda X, Y: 0.0 * a(X, Y)
    if e.func in (sp.sec, sp.csc, sp.cot):
        inner = {sp.sec: np.cos, sp.csc: np.sin, sp.cot: np.tan}[e.func]
        a = args[0]
        return lambda X, Y: 1.0 / inner(a(X, Y))
    raise ValueError(f"The formula uses {e.func.__name__}, which cannot be evaluated here.")


@lru_cache(maxsize=64)
def _formula_surface(text: str, domain: tuple) -> Surface:
    import sympy as sp

    expr, xs = _build(text)
    x, y = xs
    gx, gy = sp.diff(expr, x), sp.diff(expr, y)
    hxx, hxy, hyy = sp.diff(gx, x), sp.diff(gx, y), sp.diff(gy, y)
    f_c = _compile(expr, xs)
    g_c = (_compile(gx, xs), _compile(gy, xs))
    h_c = (_compile(hxx, xs), _compile(hxy, xs), _compile(hyy, xs))
    latex = sp.latex(expr)
    if len(latex) > 2000:
        latex = latex[:2000] + r"\ldots"
    return Surface(
        name="formula",
        title=f"Your formula: {text.strip()}",
        fn=f_c,
        grad_fn=lambda X, Y: (g_c[0](X, Y), g_c[1](X, Y)),
        hess_fn=lambda X, Y: (h_c[0](X, Y), h_c[1](X, Y), h_c[2](X, Y)),
        domain=domain,
        latex=f"L(x, y) = {latex}",
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
    >>> from_formula("__import__('os')")
    Traceback (most recent call last):
    ...
    ValueError: The character "'" is not allowed (at column 12).
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
    if not isinstance(text, str):
        raise ValueError("The formula must be text.")
    return _formula_surface(text, dom)
