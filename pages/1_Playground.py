"""Playground: up to 8 optimizer runs side by side on any surface, animated in 2D and 3D."""

from __future__ import annotations

import dataclasses

import streamlit as st

import viz
from optim import grids
from ui import controls, lab, link, playground, predict, race, view
from ui.cache import simulate
from ui.frame import chart, page, phone
from viz import claims

P = "pg"
look = page(
    "Playground",
    "🎢",
    "Pick a surface and up to eight runs, press ▶ Play, and watch them race. "
    "Every run starts from the same point and sees the same gradients (and noise or minibatches).",
    prefix=P,
)

race.preload()  # plotly.js for the race view, fetched while the page runs
ask = predict.begin(P)  # a question link: the outcome stays hidden until the student answers

key, surface = controls.sidebar_surface(P)

with st.sidebar:
    with link.section("Start point"):
        start = controls.start_picker(P, surface, key)
    with link.section("Steps and schedule"):
        steps = link.slider("steps", 10, 1000, 150, step=10, key=f"{P}_steps")
        schedule = controls.schedule_picker(P, steps)
        if schedule is not None:
            st.latex(schedule.latex)
            chart(
                viz.schedule_figure(schedule.factors(steps), look=look),
                "The learning-rate schedule: the factor multiplying η at each step",
                key=f"{P}_schedule_fig",
            )
    with link.section("Gradient: clipping, noise, minibatches", expander=True):
        grad = controls.gradient_picker(P, surface)
    speed = link.select_slider(
        "animation speed",
        grids.SPEEDS,
        value=1.0,
        format_func=lambda v: f"{v:g}×",
        key=f"{P}_speed",
    )

# The map and the runs side by side, the map first (and first on a phone, where columns stack):
# the picture and the η sliders that drive it are on screen together, on a projector too.
map_col, runs_col = st.columns([3, 1.3])
with runs_col:
    ask_slot = st.container()  # a question's panel: beside the map, so both fit one screen
    runs = controls.runs_editor(P, surface, key, compact=True)

try:
    trajs = simulate(
        key, tuple(r.key for r in runs), start, steps, dataclasses.replace(grad, schedule=schedule)
    )
except ValueError as err:
    st.error(f"These settings cannot run: {err}")
    link.stop()

labels = [r.label for r in runs]
views = viz.run_views(trajs, surface, labels)
options = dataclasses.replace(grad, schedule=schedule)
plain = options == dataclasses.replace(
    options, schedule=None, clip=None, noise=None, batch_size=None
)
question = predict.View(
    ask,
    views,
    surface,
    labels,
    P,
    kinds=("first", "regime", "next", "max_lr"),
    rules=[predict.rule(r.optimizer, r.hp, plain, options) for r in runs],
    rerun=lambda s, n=steps: viz.run_views(
        simulate(key, tuple(r.key for r in runs), tuple(s), n, options), surface, labels
    ),
    sweep=lambda i: predict.sweep(
        key, runs[i].key, runs[i].lr_grid(surface), start, steps, options
    ),
    look=look,
)
question.offer()
views = question.views  # cut at the question's step while the answer is pending
if not question.hidden:
    with runs_col:  # beside the map: what happened to each run
        finish = viz.finish_line(views, surface.f_min)
        if finish:
            st.markdown(finish)
        for msg in viz.divergence_messages(views, surface):
            st.warning(msg, icon="💥")

looking = [i for i, t in enumerate(trajs) if "lookahead" in t.state]
trails = None
if looking and link.toggle(
    "Show where each run takes its gradient",
    key=f"{P}_lookahead",
    help="Nesterov (EECS 182 and NPTEL forms): the look-ahead point w − η(1−β)a or w − βv "
    "(note 000 eq. 8, note 003). Schedule-Free: y = (1 − β)z + βx, and its SGD sequence z (the "
    "path drawn is the average x). SAM: the ascent point w + ρ∇L/‖∇L‖.",
    where=runs_col,
):
    cut = max(len(views[0].xy) - 1, 0)  # a question shows them up to its step only
    trails = {i: playground.trail_of(trajs[i], runs[i].optimizer, cut) for i in looking}
show_3d = link.toggle(
    "🧊 Show the 3D view",
    key=f"{P}_3d_on",
    help="The surface in 3D with a ball per run, under the curves, driven by the same player. "
    "Drawn on request: it is the slowest view to draw (software WebGL).",
    where=runs_col,
)
touch = phone()  # a phone's map takes no clicks, so a touch drag scrolls the page
request = view.Request(
    surface,
    key,
    views,
    f"{P}_map",
    "Top view of the loss surface with each run's path from the start, its player, scrubbers "
    "for η and β, and the loss and distance curves",
    runs=[r.key for r in runs],
    # with gradient noise every η would draw other noise: the paths could not be compared
    axes=[] if options.noise else [a for r in runs for a in r.axes(surface)],
    start=start,
    steps=steps,
    options=options,
    show_start=True,
    mesh=show_3d,
    trails=trails,
    clicks=not touch,
    on_start=lambda x, y: controls.set_start(P, x, y),
    note="Scrubbing is off while gradient noise is on: every η would draw other noise, so the "
    "paths could not be compared. Move the sliders beside the map instead."
    if options.noise
    else None,
    duration=round(60 / speed),
)
with map_col:
    question.panel(where=map_col if touch else ask_slot)  # a phone stacks: the question first
    drawn = view.show(request, look, question)
    st.caption(
        "Top view, drawn to scale. ▶ Play (or Space) animates every view; ← → step; "
        "**Scrub** redraws a run at another η or β at once, and the page follows when you let "
        "go. "
        + ("Set the start under “Start point”." if touch else "Click on the map to start there.")
    )
question.end()  # while the answer is pending nothing below is drawn (it would tell)
with st.expander(f"About this surface: {link.escape(surface.title)}"):
    st.latex(surface.latex)
    if surface.notes:
        st.caption(surface.notes)
    if surface.name == "relu_neuron":  # note 001's dead units, measured on these examples
        st.markdown(claims.dead_units_sentence(lab.dead_units(key)))
    if surface.reference:
        st.caption(f"Reference: {surface.reference}")

playground.inspector(P, surface, key, trajs, views, labels, steps, look)
playground.downloads(P, surface, trajs, views, labels, drawn)

link.finish()
