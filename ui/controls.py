"""Widgets generated from the registries: surfaces, optimizers and their hyperparameters, schedules.

Each widget has a stable ``key`` (``<prefix>_…``) so tests and links can drive it. Values a widget
cannot hold any more (a learning rate from another surface's grid, Newton on a surface with no
Hessian) are reset to the default *before* the widget is drawn, never silently mid-run.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

import optim
from optim import theory
from optim.base import Param, Switch
from optim.grids import CLIP, NOISE, lr_grid, slider_step, snap, widget_grid
from surfaces import FUNCTIONS, SURFACES, Surface
from surfaces.formula import MAX_LENGTH

from . import link
from .cache import formula_key, surface_key, surface_of
from .runs import Run, hashable

__all__ = [
    "FORMULA",
    "gradient_picker",
    "param_widget",
    "playground_query",
    "runs_editor",
    "schedule_picker",
    "set_start",
    "sidebar_surface",
    "start_picker",
    "surface_picker",
    "usable_optimizers",
]

FORMULA = "formula"
DEFAULT_FORMULA = "x^2 + 10 y^2"
FORMULA_FALLBACK = formula_key(DEFAULT_FORMULA, ((-3.0, 3.0), (-3.0, 3.0)))
CATEGORY = {"lecture": "Lecture", "classic": "Classic", "shapes": "Shapes", "data": "Data"}


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def param_widget(
    p: Param | Switch,
    key: str,
    default: Any | None = None,
    url: str | None = None,
    describe: str | None = None,
    **kw: Any,
) -> Any:
    """One widget for a registry parameter: toggle, select box, log grid or linear slider.

    Its value round-trips through the page's URL (``ui.link``), under ``url`` or the key's name.
    """
    default = p.default if default is None else default
    help_ = p.help or None
    common = {"key": key, "url": url, "describe": describe, "help": help_, **kw}
    if isinstance(p, Switch):
        if set(p.choices) == {True, False}:
            return link.toggle(p.label, value=bool(default), **common)
        return link.selectbox(
            p.label,
            list(p.choices),
            index=list(p.choices).index(default),
            format_func=lambda c: p.labels.get(c, str(c)),
            **common,
        )
    grid = widget_grid(p, default)
    if grid is not None:
        if key in st.session_state and st.session_state[key] not in grid:
            st.session_state[key] = snap(st.session_state[key], grid)
        return link.select_slider(
            p.label, grid, value=snap(default, grid), format_func=_fmt, **common
        )
    lo, hi = p.slider
    return link.slider(
        p.label, float(lo), float(hi), value=float(default), step=slider_step(p), **common
    )


# -- surfaces ---------------------------------------------------------------------------------------
def surface_picker(prefix: str, default: str = "quadratic") -> tuple[tuple, Surface]:
    """Select box of every surface (and "your formula") with the surface's own parameters.

    Returns ``(key, surface)``. A surface that cannot be built (a formula with a typo, a domain
    with xmin > xmax) shows its message and hands back the last surface that worked on this page
    (or the default), so every other control keeps its value and the figures stay on screen.
    """
    names = [*SURFACES, FORMULA]

    def label(n: str) -> str:
        if n == FORMULA:
            return "✏️ Your formula f(x, y)"
        e = SURFACES[n]
        return f"{CATEGORY.get(e.category, e.category)} · {e.title}"

    name = link.selectbox(
        "Loss surface",
        names,
        index=names.index(default),
        format_func=label,
        key=f"{prefix}_surface",
    )
    if name == FORMULA:
        text = link.text_input(
            "f(x, y) =",
            value=DEFAULT_FORMULA,
            max_chars=MAX_LENGTH,
            key=f"{prefix}_formula",
            help="Use x and y, numbers, + − * / ^ and parentheses, and "
            + ", ".join(sorted(FUNCTIONS))
            + ". Implicit products like 2x or 3(x+1) work.",
        )
        c1, c2 = st.columns(2)
        xmin = link.number_input("x from", -1e4, 1e4, -3.0, key=f"{prefix}_xmin", where=c1)
        xmax = link.number_input("x to", -1e4, 1e4, 3.0, key=f"{prefix}_xmax", where=c2)
        ymin = link.number_input("y from", -1e4, 1e4, -3.0, key=f"{prefix}_ymin", where=c1)
        ymax = link.number_input("y to", -1e4, 1e4, 3.0, key=f"{prefix}_ymax", where=c2)
        key = formula_key(text, ((xmin, xmax), (ymin, ymax)))
    else:
        entry = SURFACES[name]
        key = surface_key(
            name, **{p.name: param_widget(p, f"{prefix}_{name}_{p.name}") for p in entry.params}
        )
        if entry.summary:
            st.caption(entry.summary)
    good_key = f"{prefix}_surface__good"
    try:
        surface = surface_of(key)
    except ValueError as err:
        fallback = st.session_state.get(good_key)
        if fallback is None or fallback[0] != key[0]:
            fallback = FORMULA_FALLBACK if key[0] == "formula" else surface_key(default)
        shown = (
            f"the last formula that worked, {link.quote(fallback[1], limit=MAX_LENGTH)}"
            if fallback[0] == "formula"
            else f"the last surface that worked, {link.escape(surface_of(fallback).title)}"
        )
        st.error(
            f"This surface cannot be drawn: {link.escape(str(err))}\n\n"
            f"The figures show {shown} until it is fixed; every other setting is kept."
        )
        st.session_state[f"{prefix}_surface__refused"] = shown
        return fallback, surface_of(fallback)
    st.session_state[good_key] = key
    st.session_state.pop(f"{prefix}_surface__refused", None)
    return key, surface


def sidebar_surface(prefix: str) -> tuple[tuple, Surface]:
    """The surface picker in the sidebar, under a heading; a refused surface is also said above
    the figures (the sidebar's message may be out of sight, or folded away on a phone)."""
    with st.sidebar, link.section("Surface"):
        picked = surface_picker(prefix)
    shown = st.session_state.get(f"{prefix}_surface__refused")
    if shown:
        st.warning(
            f"The surface in the sidebar cannot be drawn (its message is there): these "
            f"figures show {shown}.",
            icon="✏️",
        )
    return picked


def usable_optimizers(surface: Surface) -> list[str]:
    """Registry names that can run on ``surface`` (Newton needs an analytic Hessian)."""
    return [n for n, o in optim.OPTIMIZERS.items() if surface.has_hess or not o.needs_hessian]


# -- runs -------------------------------------------------------------------------------------------
def _shell(prefix: str, slot: int, name: str = "gd", index: int = 0) -> Run:
    """The run at widget ``slot`` before its settings are read: its widget keys only."""
    return Run(name, (), index=index, slot=slot, prefix=prefix)


def _tab_title(prefix: str, i: int, slot: int) -> str:
    """A run's tab: its position, optimizer and, for momentum methods, the notation it runs."""
    name = st.session_state.get(_shell(prefix, slot).widget("opt"), "gd")
    conv = st.session_state.get(_shell(prefix, slot, name).widget("convention"))
    conv = conv or optim.OPTIMIZERS[name].defaults().get("convention")
    return f"{i + 1}. {name}" + (f" ({conv})" if conv else "")


def _convert_motion(
    prefix: str, slot: int, name: str, convention: Any, grid: list[float], context: tuple
) -> None:
    """A run switched to another momentum notation keeps its motion: (η, β) are converted through
    PyTorch's (α, μ) and snapped to the new grids, as the Momentum lab does (EECS 182's β = 0.9
    is almost plain GD, not PyTorch's β = 0.9)."""
    run = _shell(prefix, slot, name)
    prev_key = f"{run.widget('convention')}__prev"
    previous = st.session_state.get(prev_key)
    st.session_state[prev_key] = convention
    lr_key, beta_key = run.widget("lr"), run.widget("beta")
    if convention is None or previous is None or previous == convention:
        return
    if lr_key not in st.session_state or beta_key not in st.session_state:
        return
    beta_param = next(p for p in optim.OPTIMIZERS[name].params if p.name == "beta")
    betas = [b for b in widget_grid(beta_param) if convention != "ema" or b > 0]
    alpha, mu = theory.to_pytorch(st.session_state[lr_key], st.session_state[beta_key], previous)
    eta, beta = theory.momentum_on_grid(alpha, mu, convention, grid, betas)
    st.session_state[lr_key], st.session_state[beta_key] = eta, beta
    ctx_key, ctx = context
    st.session_state[ctx_key] = ctx  # converted, not reset to the new notation's default


def _add_run(prefix: str, names: list[str]) -> None:
    slots = st.session_state[f"{prefix}_slots"]
    if len(slots) >= 8:
        return
    new = st.session_state[f"{prefix}_next"]
    st.session_state[f"{prefix}_next"] = new + 1
    used = {st.session_state.get(_shell(prefix, s).widget("opt")) for s in slots}
    st.session_state[_shell(prefix, new).widget("opt")] = next(
        (n for n in names if n not in used), "gd"
    )
    slots.append(new)


def _remove_run(prefix: str, slot: int) -> None:
    slots = st.session_state[f"{prefix}_slots"]
    if slot in slots and len(slots) > 1:
        slots.remove(slot)


def _runs_from_link(prefix: str, usable: list[str], max_runs: int) -> None:
    """A link's ``runs=gd,momentum,…`` replaces the runs (unknown or unusable names are noted)."""
    raw = link.take("runs")
    if raw is None:
        return
    names = [n.strip() for n in raw.split(",") if n.strip()]
    ok = [n for n in names if n in usable]
    bad = [n for n in names if n not in usable]
    if bad:
        link.note(
            f"{link.quote(f'runs={raw}')}: {link.quote(', '.join(bad))} cannot run on this "
            f"surface (choose from {', '.join(usable)}); left out."
        )
    if len(ok) > max_runs:
        link.note(
            f"{link.quote(f'runs={raw}')}: at most {max_runs} runs; kept the first {max_runs}."
        )
        ok = ok[:max_runs]
    if not ok:
        link.note(f"{link.quote(f'runs={raw}')} names no usable optimizer; using the default runs.")
        return
    st.session_state[f"{prefix}_slots"] = list(range(len(ok)))
    st.session_state[f"{prefix}_next"] = len(ok)
    for i, n in enumerate(ok):
        st.session_state[_shell(prefix, i).widget("opt")] = n


def runs_editor(
    prefix: str,
    surface: Surface,
    surface_key: tuple,
    defaults: tuple[str, ...] = ("gd", "momentum", "adam"),
    max_runs: int = 8,
    compact: bool = False,
) -> list[Run]:
    """Tabs of runs, each an optimizer with its own hyperparameters, its formula, and a remove button.

    ``compact`` stacks a run's controls in one column (for a narrow column beside the map); tabs
    are titled by position, optimizer and notation ("2. Momentum (PyTorch)"), as the legend is.

    The same optimizer may appear twice with different settings. Learning rates use a log grid
    around the surface's suggestion, up to 10× its upper hint so divergence is reachable.

    In the URL, ``runs=gd,momentum,adam`` lists the optimizers and run i's settings are
    ``r<i>_<name>`` (``r2_lr``, ``r2_beta``), numbered by position, from 1.
    """
    usable = usable_optimizers(surface)
    slots_key, next_key = f"{prefix}_slots", f"{prefix}_next"
    _runs_from_link(prefix, usable, max_runs)
    if slots_key not in st.session_state:
        st.session_state[slots_key] = list(range(len(defaults)))
        st.session_state[next_key] = len(defaults)
        for i, n in enumerate(defaults):
            st.session_state.setdefault(_shell(prefix, i).widget("opt"), n)
    slots = list(st.session_state[slots_key])
    for s in slots:  # Newton on a surface with no Hessian: back to GD, said below
        if st.session_state.get(_shell(prefix, s).widget("opt"), "gd") not in usable:
            st.session_state[_shell(prefix, s).widget("opt")] = "gd"
            st.toast("Newton's method needs a Hessian; that run switched to gradient descent.")
    fixed_runs = link.hidden("runs")

    titles = [_tab_title(prefix, i, s) for i, s in enumerate(slots)]
    tabs = st.tabs(titles)
    choices = []
    for i, (slot, tab) in enumerate(zip(slots, tabs)):
        with tab:
            c1, c2, c3 = (st.container(),) * 3 if compact else st.columns([1.0, 1.2, 1.6])
            with c1:
                opt_key = _shell(prefix, slot).widget("opt")
                if fixed_runs:
                    name = st.session_state.get(opt_key, "gd")
                    st.markdown(f"**{optim.OPTIMIZERS[name].title}**")
                else:
                    name = st.selectbox(
                        "Optimizer",
                        usable,
                        format_func=lambda n: optim.OPTIMIZERS[n].title,
                        key=opt_key,
                    )
                run = _shell(prefix, slot, name, index=i)  # its widget keys and URL names
                opt = optim.OPTIMIZERS[name]
                hp: dict[str, Any] = {}
                for sw in opt.switches:
                    hp[sw.name] = param_widget(
                        sw,
                        run.widget(sw.name),
                        url=run.url(sw.name),
                        describe=f"Run {i + 1} · {sw.label}",
                    )
            with c2:
                convention = hp.get("convention")
                grid, lr_default = lr_grid(surface, name, convention)
                lr_key = run.widget("lr")
                ctx_key = f"{lr_key}__context"  # a new surface resets η
                context = (surface_key, convention)
                _convert_motion(prefix, slot, name, convention, grid, (ctx_key, context))
                if st.session_state.get(ctx_key) != context or (
                    st.session_state.get(lr_key) not in grid
                ):
                    st.session_state[lr_key] = lr_default
                    st.session_state[ctx_key] = context
                hp["lr"] = link.select_slider(
                    "learning rate η (log scale)",
                    grid,
                    value=lr_default,
                    format_func=_fmt,
                    key=lr_key,
                    url=run.url("lr"),
                    describe=f"Run {i + 1} · learning rate η",
                    help="Step size η (ε in Goodfellow). The grid runs from the surface's "
                    "suggested range to 10× its top, so you can watch a run diverge.",
                )
                for p in opt.params:
                    if p.name != "lr":
                        hp[p.name] = param_widget(
                            p,
                            run.widget(p.name),
                            url=run.url(p.name),
                            describe=f"Run {i + 1} · {p.label}",
                        )
            with c3:
                st.latex(opt.formula(**{s.name: hp[s.name] for s in opt.switches}))
                st.caption(f"Source: {opt.source}")
                if opt.notes:  # what the rule amounts to here (Muon on a vector, SF's path…)
                    st.caption(opt.notes)
                if len(slots) > 1 and not fixed_runs:
                    st.button(
                        "✖ Remove this run",
                        key=run.widget("remove"),
                        on_click=_remove_run,
                        args=(prefix, slot),
                    )
            choices.append(dataclasses.replace(run, hyperparams=hashable(hp)))
    link.custom(
        "runs",
        "Runs: which optimizers (add, remove, change)",
        ",".join(c.optimizer for c in choices),
        ",".join(defaults),
    )
    if len(slots) < max_runs and not fixed_runs:
        st.button(
            "➕ Add a run",
            key=f"{prefix}_add",
            on_click=_add_run,
            args=(prefix, [n for n in ("nesterov", "rmsprop", "adagrad", *usable) if n in usable]),
            help=f"Compare up to {max_runs} runs; the same optimizer twice with other settings is fine.",
        )
    return choices


def playground_query(
    surface_key: tuple,
    runs: list[tuple[str, dict[str, Any]]],
    start: tuple[float, float] | None = None,
    steps: int | None = None,
    **extra: Any,
) -> dict[str, str]:
    """The playground's URL for a surface, runs ``[(optimizer, hyperparameters)]`` and a start.

    Learning rates are snapped to the run's η grid on that surface, so the link loads without a
    note. ``extra`` adds other playground settings by URL name (``schedule="step"``, ``noise=0.1``).
    """
    kind, name, values = surface_key
    q: dict[str, Any] = {}
    if kind == "registry":
        q["surface"] = name
        q.update({f"{name}_{p}": v for p, v in values})
    else:
        (xmin, xmax), (ymin, ymax) = values
        q.update(surface=FORMULA, formula=name, xmin=xmin, xmax=xmax, ymin=ymin, ymax=ymax)
    surface = surface_of(surface_key)
    q["runs"] = ",".join(opt for opt, _ in runs)
    for i, (opt, hp) in enumerate(runs):
        run = Run.of(opt, hp, index=i)
        for k, v in hp.items():
            q[run.url(k)] = snap(v, run.lr_grid(surface)) if k == "lr" else v
    if start is not None:
        q["x0"], q["y0"] = float(start[0]), float(start[1])
    if steps is not None:
        q["steps"] = int(steps)
    q.update(extra)
    return {k: link.encode(v) for k, v in q.items()}


# -- start point ------------------------------------------------------------------------------------
def set_start(prefix: str, x: float, y: float) -> None:
    """Move the start point (a click on the map, a suggested start)."""
    st.session_state[f"{prefix}_x0"] = float(x)
    st.session_state[f"{prefix}_y0"] = float(y)


def _pick_start(prefix: str, starts: dict[str, tuple[float, float]]) -> None:
    """A suggested start was chosen: move there and clear the pill (it is an action, not a mode)."""
    choice = st.session_state.get(f"{prefix}_starts")
    if choice in starts:
        set_start(prefix, *starts[choice])
    st.session_state[f"{prefix}_starts"] = None


def start_picker(prefix: str, surface: Surface, surface_key: tuple) -> tuple[float, float]:
    """Number inputs for the start point, buttons for the surface's suggested starts.

    A new surface moves the start to its first suggestion. A click on the map sets it too
    (:func:`set_start`, from the race view's callback, before these inputs are drawn).
    """
    ctx = f"{prefix}_start__surface"
    if st.session_state.get(ctx) != surface_key:
        st.session_state[ctx] = surface_key
        first = surface.starts[0] if surface.starts else centre(surface)
        set_start(prefix, *first)
    first = surface.starts[0] if surface.starts else centre(surface)
    (x0, x1), (y0, y1) = surface.plot_window
    span = 10 * max(x1 - x0, y1 - y0)
    x, y = (
        link.number_input(
            f"{axis}₀",
            lo - span,
            hi + span,
            float(first[i]),
            step=0.1,
            key=f"{prefix}_{axis}0",
            where=col,
            format="%.4g",
            describe=f"start {axis}₀",
        )
        for i, (axis, (lo, hi), col) in enumerate(zip("xy", ((x0, x1), (y0, y1)), st.columns(2)))
    )
    if link.hidden("x0") and link.hidden("y0"):
        return float(x), float(y)
    if surface.starts:
        options = [f"({a:.3g}, {b:.3g})" for a, b in surface.starts]
        st.pills(
            "suggested starts",
            options,
            key=f"{prefix}_starts",
            on_change=_pick_start,
            args=(prefix, dict(zip(options, surface.starts))),
        )
    st.caption("Or click anywhere on the map.")
    return float(x), float(y)


def centre(surface: Surface) -> tuple[float, float]:
    (x0, x1), (y0, y1) = surface.plot_window
    return (x0 + 0.8 * (x1 - x0), y0 + 0.8 * (y1 - y0))


# -- schedule and gradient --------------------------------------------------------------------------
def schedule_picker(prefix: str, steps: int) -> optim.schedules.Schedule | None:
    """The schedule (with an optional warm-up) as one record; ``None`` for a constant rate."""
    sched = optim.schedules
    labels = {
        "constant": "constant η",
        "linear": "linear decay to η_τ (COSI 165B)",
        "step": "step decay",
        "exponential": "exponential decay",
        "inverse_time": "1/t decay (Robbins–Monro)",
        "cosine": "cosine",
    }
    name = link.selectbox(
        "Learning-rate schedule",
        list(sched.SCHEDULES),
        format_func=lambda n: labels.get(n, n),
        key=f"{prefix}_schedule",
    )
    params = tuple(
        (p.name, float(param_widget(p, f"{prefix}_sched_{name}_{p.name}")))
        for p in sched.SCHEDULE_PARAMS[name]
    )
    warm = link.toggle("Linear warm-up first", key=f"{prefix}_warmup")
    warm_steps = 0.0
    if warm:
        (wp,) = sched.SCHEDULE_PARAMS["warmup"]
        warm_steps = float(param_widget(wp, f"{prefix}_warmup_steps"))
    if name == "constant" and not warm:
        return None
    made = sched.make(name, **dict(params))
    return sched.warmup(made, steps=warm_steps) if warm else made


def gradient_picker(prefix: str, surface: Surface) -> optim.RunOptions:
    """How gradients are formed, as the engine's own record (``optim.RunOptions``, no schedule)."""
    """Clipping for all surfaces; noise σ on analytic ones; batch size and sampling on data ones."""
    kind = link.selectbox(
        "Gradient clipping",
        ["none", "norm", "value"],
        format_func={
            "none": "none",
            "norm": "by global norm ‖g‖ ≤ c",
            "value": "by value |gᵢ| ≤ c",
        }.get,
        key=f"{prefix}_clip",
    )
    clip = None
    if kind != "none":
        c = link.select_slider(
            "clipping threshold c",
            list(CLIP),
            value=1.0,
            format_func=_fmt,
            key=f"{prefix}_clip_c",
        )
        clip = (kind, float(c))
    seed = 0
    if getattr(surface, "kind", "analytic") == "data":
        n = int(surface.n_data)
        batch = link.slider(
            f"minibatch size (of {n} examples)",
            1,
            n,
            n,
            key=f"{prefix}_batch",
            help="n = full batch: plain gradient descent. Smaller: SGD, noisier and cheaper steps.",
        )
        sampling = link.radio(
            "sampling",
            ["shuffle", "replacement"],
            format_func={
                "shuffle": "epochs, reshuffled each time",
                "replacement": "with replacement (i.i.d.)",
            }.get,
            key=f"{prefix}_sampling",
            horizontal=True,
        )
        if batch < n:
            seed = int(link.number_input("seed", 0, 10**6, 0, key=f"{prefix}_seed"))
        return optim.RunOptions(
            clip=clip,
            batch_size=None if batch >= n else int(batch),
            sampling=sampling,
            seed=seed,
        )
    sigma = link.select_slider(
        "gradient noise σ",
        list(NOISE),
        value=0.0,
        format_func=_fmt,
        key=f"{prefix}_noise",
        help="Adds N(0, σ²) to each gradient coordinate, the same draws for every run.",
    )
    if sigma > 0:
        seed = int(link.number_input("seed", 0, 10**6, 0, key=f"{prefix}_seed"))
    return optim.RunOptions(clip=clip, noise=float(sigma) or None, seed=seed)
