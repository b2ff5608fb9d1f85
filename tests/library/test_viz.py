"""Figure builders without Streamlit: valid Plotly, exact paths, frame budgets, divergence, and the
race view's spec (every number the browser draws, computed here)."""

from __future__ import annotations

import io
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

import optim
import viz
from surfaces import SURFACES, get_surface
from viz import labs


def _views(surface, names=("gd", "momentum", "adam"), steps=150, scale=None):
    scale = scale or {}
    specs = [
        optim.RunSpec(
            n, [surface.starts[0]], {"lr": optim.lr_range(surface, n)[1] * scale.get(n, 1)}
        )
        for n in names
    ]
    trajs = optim.run_many(surface, specs, steps)
    return trajs, viz.run_views(trajs, surface)


def _plotly_parts(spec: dict) -> dict[str, dict]:
    """The Plotly figures inside a race view's spec (what ``viz/race.js`` hands plotly.js)."""
    parts = {"map": {"data": spec["map"]["static"], "layout": spec["map"]["layout"]}}
    for kind in ("loss", "dist", "lr"):
        layout = (spec.get("curves") or {}).get(kind)
        if layout:
            parts[kind] = {"data": [], "layout": layout}
    if "surface3d" in spec:
        t = spec["surface3d"]
        surface = spec["chunks"][t["surface"]]["trace"]
        parts["3d"] = {"data": [surface, *t["static"]], "layout": t["layout"]}
    return parts


def _all_figures(surface, views):
    bg = viz.png_data_uri(viz.field_png(surface.mesh(50)[2], surface.log_scale))
    spec = viz.race_spec(surface, views, bg, start=surface.starts[0], mesh=surface.mesh(30))
    figs = _plotly_parts(spec)
    figs["schedule"] = viz.schedule_figure(optim.schedules.linear(50, 0.1).factors(100))
    return spec, figs


def _builders() -> dict:
    """Every figure builder of viz and viz.labs with example arguments: one registry."""

    s = get_surface("quadratic", kappa=10.0)
    trajs, views = _views(s, steps=40)
    bg = viz.png_data_uri(viz.field_png(s.mesh(40)[2], s.log_scale))
    k = np.arange(30)
    rng = np.random.default_rng(4)
    return {
        "schedule_figure": lambda: viz.schedule_figure(optim.schedules.step(10, 0.5).factors(40)),
        "inspector_figure": lambda: viz.inspector_figure(
            s, [viz.Inspected(v, t.lr[:, 0]) for v, t in zip(views, trajs)], 5, bg
        ),
        "iterates_figure": lambda: labs.iterates_figure(
            [("η = 0.3", 0.7**k, 0.7**k), ("η = 1.1", (-0.2) ** k, None)], 0.0, "w_k"
        ),
        "contraction_figure": lambda: labs.contraction_figure(0.3, 1.0),
        "direction_errors_figure": lambda: labs.direction_errors_figure(
            np.stack([0.9**k, 0.99**k], -1), (1.0, 0.3), 0.2
        ),
        "impulse_figure": lambda: labs.impulse_figure(0.1 * 0.9 ** k[::-1], 10.0),
        "filter_figure": lambda: labs.filter_figure(rng.normal(size=40), np.zeros(40)),
        "rate_map_figure": lambda: labs.rate_map_figure(
            np.linspace(0.1, 4, 12),
            np.linspace(0, 0.99, 10),
            rng.uniform(0.2, 1.2, (10, 12)),
            (1.0, 0.9),
            (1.5, 0.5),
        ),
        "sweep_figure": lambda: labs.sweep_figure(
            np.geomspace(0.01, 10, 8),
            np.linspace(0, 0.9, 6),
            rng.normal(size=(6, 8)),
            rng.uniform(size=(6, 8)) > 0.7,
            ytitle="β",
            ztitle="log₁₀ L",
            boundary=(np.full(6, 2.0), np.linspace(0, 0.9, 6)),
        ),
        "lines_figure": lambda: labs.lines_figure(
            [("a", viz.color(0), "solid", 0.9**k), ("b", viz.color(1), "dash", 0.8**k)],
            "L",
            log=True,
        ),
        "effective_steps_figure": lambda: labs.effective_steps_figure(
            [("adagrad", np.stack([0.9**k, 0.8**k], -1))]
        ),
        "bias_correction_figure": lambda: labs.bias_correction_figure(
            np.ones(30), np.full(30, 3.16), 3.16
        ),
        "sparse_steps_figure": lambda: labs.sparse_steps_figure(
            np.ones((30, 2)), np.stack([0.9**k, 0.99**k], -1)
        ),
        "sampling_figure": lambda: labs.sampling_figure(
            {"shuffle": 0.9**k, "replacement": 0.92**k}
        ),
        "gradient_cloud_figure": lambda: labs.gradient_cloud_figure(
            rng.normal(size=(50, 2)), np.array([0.5, -0.2])
        ),
    }


def test_every_figure_builder_is_in_the_registry_and_draws_valid_plotly():
    from viz import labs

    public = {n for n in viz.__all__ if n.endswith("_figure")}
    public |= {n for n in dir(labs) if n.endswith("_figure")}
    public -= {"standalone_html"}
    registry = _builders()
    assert public <= set(registry), f"add example arguments for {sorted(public - set(registry))}"
    for name, build in registry.items():
        spec = build()
        fig = go.Figure(spec)  # raises on any invalid property, in data, layout or frames
        assert fig.data, name
        json.dumps(spec)  # plain JSON: what Streamlit sends


def test_builders_do_not_change_their_inputs():
    s = get_surface("quadratic")
    _, views = _views(s, steps=30)
    before = [(v.xy.copy(), v.loss.copy()) for v in views]
    bank = viz.Bank(
        "lr", "η", (0.1, 0.2), 0, np.zeros((2, 31, 2)), np.ones((2, 31)), np.array([-1, 5])
    )
    viz.race_spec(s, views, "", banks=[[bank], [], []], mesh=s.mesh(20))
    for (xy, loss), v in zip(before, views):
        np.testing.assert_array_equal(xy, v.xy)
        np.testing.assert_array_equal(loss, v.loss)
    assert bank.loss.tolist() == np.ones((2, 31)).tolist()


@pytest.mark.parametrize("name", ["quadratic", "rosenbrock", "himmelblau", "sigmoid_neuron"])
def test_every_figure_is_valid_plotly(name):
    s = get_surface(name)
    _, views = _views(s, scale={"gd": 50.0})  # GD diverges on some: the ✕ path is validated too
    spec, figs = _all_figures(s, views)
    for fig in figs.values():
        go.Figure(fig)  # raises on any invalid property, in data or layout
    assert figs["map"]["data"] and figs["3d"]["data"], name
    json.dumps(spec)  # plain JSON: what Streamlit sends


def test_every_registry_surface_draws():
    for name in SURFACES:
        s = get_surface(name)
        _, views = _views(s, names=("gd", "adam"), steps=20)
        spec, figs = _all_figures(s, views)
        assert len(spec["runs"]) == 2 and spec["frames"]["steps"][-1] == 20 and "3d" in figs


def test_the_race_view_holds_the_exact_path_and_thins_only_its_frames():
    s = get_surface("quadratic", kappa=30)
    trajs, views = _views(s, steps=1000)  # long run: the frame steps are thinned
    spec = viz.race_spec(s, views, "")
    plan = viz.plan_frames(1000, 3, 151, 40_000)
    assert not plan.exact and spec["frames"]["steps"] == plan.steps.tolist()
    assert len(spec["frames"]["steps"]) <= 151 and spec["frames"]["stride"] == plan.stride > 1
    for t, run in zip(trajs, spec["runs"]):  # every step of every run, exact (float32)
        exact = t.xy[:, 0, :].astype(np.float32)
        np.testing.assert_array_equal(viz.decode(run["xy"]).reshape(-1, 2), exact)


def test_the_race_views_spec_fits_the_budget_for_eight_long_runs():
    s = get_surface("rosenbrock")
    _, views = _views(
        s,
        names=("gd", "momentum", "adam", "rmsprop", "adagrad", "nadam", "lion", "amsgrad"),
        steps=1000,
    )
    spec = viz.race_spec(s, views, "")
    assert len(spec["frames"]["steps"]) <= 151 and len(spec["runs"]) == 8
    assert viz.payload_bytes(spec) < 1_000_000


def test_a_short_run_has_a_frame_at_every_step():
    s = get_surface("booth")
    _, views = _views(s, names=("gd",), steps=40)
    spec = viz.race_spec(s, views, "")
    plan = viz.plan_frames(40, 1)
    assert plan.exact and plan.steps.tolist() == list(range(41)) == spec["frames"]["steps"]
    assert spec["frames"]["stride"] == 1


def test_plan_frames_bounds():
    for steps, runs in [(0, 1), (1, 1), (149, 8), (150, 3), (1000, 1), (10_000, 8)]:
        p = viz.plan_frames(steps, runs)
        assert p.steps[0] == 0 and p.steps[-1] == steps
        assert len(p.steps) <= 150 and np.all(np.diff(p.steps) > 0)
        thinned = runs * sum(len(range(0, k + 1, p.stride)) + 1 for k in p.steps)
        assert thinned <= 40_000 * 1.1 or p.stride == 1


def test_diverged_run_is_marked_with_its_step_inside_the_window():
    s = get_surface("quadratic")
    traj = optim.run(s, "gd", np.array([s.starts[0]]), 60, lr=2.5)
    (view,) = viz.run_views([traj], s)
    k = view.diverged_at
    assert k > 0
    spec = viz.race_spec(s, [view], "", mesh=s.mesh(20))
    (run,) = spec["runs"]
    (x0, x1), (y0, y1) = s.plot_window
    x, y = run["div_xy"]  # where the browser draws the ✕: its last point inside the map
    assert run["diverged_at"] == k and x0 <= x <= x1 and y0 <= y <= y1
    inside = [i for i in range(k + 1) if viz.geometry.inside(view.xy[i], s.plot_window)]
    np.testing.assert_allclose([x, y], view.xy[inside[-1]])
    assert spec["map"]["layout"]["xaxis"]["range"] == [x0, x1]
    assert spec["map"]["layout"]["xaxis"]["autorange"] is False
    z = viz.decode(run["z"])  # the 3D path leaves the view where the run leaves the map
    assert np.isnan(z[k]) and np.isfinite(z[0]) and np.isfinite(run["div_z"])
    (msg,) = viz.divergence_messages([view])
    assert f"diverged at step {k}" in msg


def test_the_curves_draw_the_gap_to_the_minimum_and_the_distance_on_log_axes():
    s = get_surface("booth")
    trajs, views = _views(s, names=("gd",), steps=30)
    spec = viz.race_spec(s, views, "")
    assert spec["curves"]["loss"]["yaxis"]["type"] == "log"
    y = viz.decode(spec["runs"][0]["series"]["loss"])
    np.testing.assert_allclose(y, np.maximum(trajs[0].loss[:, 0] - s.f_min, 1e-16), rtol=1e-6)
    d = viz.decode(spec["runs"][0]["series"]["dist"])
    np.testing.assert_allclose(d, s.distance_to_min(trajs[0].xy[:, 0]), rtol=1e-6)


def test_one_colour_per_run_in_every_view():
    s = get_surface("himmelblau")
    _, views = _views(s)
    spec, _ = _all_figures(s, views)
    for i, (v, run) in enumerate(zip(views, spec["runs"])):
        assert v.color == viz.PALETTE[i] == run["color"]  # the map, curves and 3D view draw it
    assert len(set(viz.PALETTE)) == 8


def test_field_png_is_oriented_like_the_axes():
    z = np.tile(np.linspace(0.0, 1.0, 40)[:, None], (1, 30))  # grows with y (row index)
    img = np.asarray(Image.open(io.BytesIO(viz.field_png(z))).convert("L"), dtype=float)
    assert img.shape == (40, 30)
    assert img[0].mean() < img[-1].mean()  # top row (high y, high loss) is darker
    bad = z.copy()
    bad[:5] = np.nan
    out = viz.field_png(bad)  # undefined regions draw, hatched
    assert out.startswith(b"\x89PNG")


def test_b64_round_trip_and_nan():
    a = np.array([[1.5, np.nan], [3.0, -2.0]])
    spec = viz.b64(a)
    assert spec["shape"] == "2, 2"
    back = viz.decode(spec)
    assert np.isnan(back[0, 1]) and back[1, 0] == 3.0
    assert viz.b64([]) == []


def test_standalone_html_plays_offline_with_the_pages_own_component():
    s = get_surface("booth")
    _, views = _views(s, names=("gd",), steps=10)
    html = viz.standalone_html(viz.race_spec(s, views, ""), "Booth <1>")
    assert '<script src="http' not in html and len(html) > 1_000_000  # plotly.js is inlined
    body = viz.export.JS.replace(viz.export.ENTRY, "window.__raceMount = function (component) {")
    assert body in html  # the component's code, byte for byte, not a copy of it
    assert "Booth &lt;1&gt;" in html and '"clicks":false' in html


def test_animated_gif_is_drawn_without_a_browser():
    s = get_surface("quadratic")
    _, views = _views(s, steps=150, scale={"gd": 2.5})  # GD diverges: its ✕ is drawn
    gif = viz.animated_gif(s, views, size=240, max_frames=40)
    img = Image.open(io.BytesIO(gif))
    left, top, bottom, _, canvas = viz.gif.geometry(240, len(views))
    assert img.format == "GIF" and img.size == canvas and img.n_frames == 40
    img.seek(0)
    first = np.asarray(img.convert("RGB")).copy()
    img.seek(img.n_frames - 1)
    last = np.asarray(img.convert("RGB"))
    assert not np.array_equal(first, last)
    map_ = last[top : top + 240, left : left + 240].astype(int)
    legend = last[top + 240 + bottom :].astype(int)
    for v in views:  # every run's colour is on the map's last frame, and in the legend
        rgb = np.array([int(v.color[i : i + 2], 16) for i in (1, 3, 5)])
        assert np.any(np.all(np.abs(map_ - rgb) <= 8, axis=-1)), v.label
        assert np.any(np.all(np.abs(legend - rgb) <= 8, axis=-1)), v.label
    r, g, b = map_[..., 0], map_[..., 1], map_[..., 2]
    gold = (r > 200) & (g > 150) & (g < 235) & (b < 90)  # gold after the 64-colour palette
    assert gold.sum() > 10  # the minimum's star
    # the frames share the last one's palette: an early frame's paths keep their colours
    img.seek(10)
    early = np.asarray(img.convert("RGB"))[top : top + 240, left : left + 240].astype(int)
    for v in views:
        rgb = np.array([int(v.color[i : i + 2], 16) for i in (1, 3, 5)])
        assert np.any(np.all(np.abs(early - rgb) <= 8, axis=-1)), v.label


def _arrows(spec, name):
    return [d for d in spec["data"] if d.get("name") == name]


def test_inspector_figure_is_valid_and_splits_the_step():
    s = get_surface("rosenbrock")
    trajs, views = _views(s, names=("momentum", "adam"), steps=40)
    spec = viz.inspector_figure(
        s, [viz.Inspected(v, t.lr[:, 0]) for v, t in zip(views, trajs)], 10, ""
    )
    go.Figure(spec)
    (taken_name, _, _), (gd_name, _, _), (extra_name, _, _) = viz.inspector.ARROWS
    taken, gd, extra = (_arrows(spec, n) for n in (taken_name, gd_name, extra_name))
    assert len(taken) == len(gd) == len(extra) == 2  # one per run
    assert {a["line"]["dash"] for a in gd} == {"dash"} and {a["line"]["dash"] for a in extra} == {
        "dot"
    }
    for t, g, e, traj in zip(taken, gd, extra, trajs):
        assert (e["x"][1], e["y"][1]) == (t["x"][1], t["y"][1])  # GD part + extra = step taken
        assert (g["x"][1], g["y"][1]) == (e["x"][0], e["y"][0])
        w = traj.xy[10, 0]  # the dashed arrow is −η∇L at w_k itself
        expect = w - traj.lr[10, 0] * np.asarray(s.grad(w))
        np.testing.assert_allclose([g["x"][1], g["y"][1]], expect, rtol=1e-12)
        assert t["marker"]["symbol"] == "arrow" and t["marker"]["angleref"] == "previous"


def test_inspector_draws_nesterovs_look_ahead_point_and_its_gradient():
    s = get_surface("quadratic", kappa=20.0)
    traj = optim.run(s, "nesterov", np.array([s.starts[0]]), 20, lr=1.0, beta=0.5, convention="ema")
    (view,) = viz.run_views([traj], s)
    spec = viz.inspector_figure(
        s, [viz.Inspected(view, traj.lr[:, 0], traj.state["lookahead"][:, 0])], 4, ""
    )
    go.Figure(spec)
    point = next(d for d in spec["data"] if d.get("name", "").startswith("look-ahead point"))
    q = traj.state["lookahead"][4, 0]
    np.testing.assert_allclose([point["x"][1], point["y"][1]], q)
    arrow = _arrows(spec, "−η_k∇L(look-ahead)")[0]
    np.testing.assert_allclose(
        [arrow["x"][1], arrow["y"][1]], q - traj.lr[4, 0] * traj.grad[4, 0], rtol=1e-12
    )


def test_hover_and_markers_name_what_they_show():
    """#14: the sweep's hover named nothing ("η=10^-0.764, 0.5059: -6.886"); the rate map's
    "your (α, β)" was a white ring, invisible on light cells."""
    lrs, ys = np.geomspace(0.01, 10, 8), np.linspace(0, 0.9, 6)
    spec = labs.sweep_figure(
        lrs, ys, np.zeros((6, 8)), np.zeros((6, 8), bool), ytitle="momentum β", ztitle="log₁₀ L"
    )
    shown = [d for d in spec["data"] if "click: open" in d.get("hovertemplate", "")]
    assert [d["type"] for d in shown] == ["heatmap", "heatmap"]  # diverged cells answer too
    cells = shown[1]
    assert (
        "η = %{customdata" in cells["hovertemplate"] and "momentum β = " in cells["hovertemplate"]
    )
    assert "log₁₀ L = %{z" in cells["hovertemplate"] and "diverged" in shown[0]["hovertemplate"]
    assert all(d["hoverongaps"] is False for d in shown)  # each layer answers on its own cells
    eta = viz.decode(cells["customdata"]).reshape(6, 8)
    np.testing.assert_allclose(eta, np.broadcast_to(lrs, (6, 8)), rtol=1e-6)
    rate = labs.rate_map_figure(
        np.linspace(0.1, 4, 12),
        np.linspace(0, 0.99, 10),
        np.full((10, 12), 0.5),
        (1.0, 0.9),
        (2, 0.5),
    )
    rings = [d for d in rate["data"] if d.get("x") == [1.0] and d.get("y") == [0.9]]
    assert {r["marker"]["line"]["color"] for r in rings} == {"black", "white"}


@pytest.mark.parametrize("kappa", [1.0, 10.0, 50.0, 1000.0])
def test_the_rate_maps_diverging_region_is_where_the_eigenvalues_say(kappa):
    """The Momentum lab's pink region is a polygon (a few hundred numbers, not a layer of 9000
    cells: it was resent with every η step) that covers exactly the cells whose rate is ≥ 1, and
    those lie beyond αλ_max = 2 + 2β, where the iteration matrix's spectral radius reaches 1 (one
    cell of tolerance at the edge)."""
    from ui.momentum import rate_grid

    a, b, rates = rate_grid(kappa)
    fig = labs.rate_map_figure(a, b, rates, (1.0, 0.5), (1.5, 0.5))
    shown, pink = fig["data"][:2]  # the polygon over the heatmap
    assert pink["fill"] == "toself" and pink["type"] == "scatter"
    left = np.array(pink["x"][:-2:2])  # each row's left edge (the stairs: two points a row)
    np.testing.assert_allclose(pink["y"][:-2:2], b - (b[1] - b[0]) / 2)
    dx = a[1] - a[0]
    covered = a[None, :] - dx / 2 >= left[:, None] - 1e-12
    np.testing.assert_array_equal(covered, rates >= 1)
    beyond = a[None, :] >= 2 + 2 * b[:, None]
    edge = np.abs(a[None, :] - (2 + 2 * b[:, None])) <= dx
    np.testing.assert_array_equal((rates >= 1)[~edge], beyond[~edge])
    z = viz.decode(shown["z"]).reshape(rates.shape)  # every cell keeps its rate: clicks land
    np.testing.assert_allclose(z, rates, rtol=1e-6)


def test_only_a_formula_is_searched_for_poles():
    """The pole search costs ~2.5 s on a data surface at 8 runs × 1000 steps, and only a typed
    formula can have a pole: the others are not searched."""
    from types import SimpleNamespace

    assert not get_surface("logistic_sparse").may_have_poles
    assert not get_surface("quadratic").may_have_poles
    path = np.array([[-0.5, 1.0], [-0.3, 0.9], [0.256, 0.81]])  # crosses x = 0 of 1/x + y²
    view = viz.RunView("1. gd", "#000000", path, np.ones(3), -1)
    f = lambda w: 1 / w[..., 0] + w[..., 1] ** 2  # noqa: E731
    formula = SimpleNamespace(f=f, may_have_poles=True)
    smooth = SimpleNamespace(f=f, may_have_poles=False)
    assert any("singularity" in m for m in viz.divergence_messages([view], formula))
    assert viz.divergence_messages([view], smooth) == []


def test_a_banks_curves_travel_at_16_bits_within_a_hair_of_the_run():
    """A bank row's loss and distance (drawn only as curves) are quantized over their own range:
    each value within 1/65534 of that range (log₁₀ for the log axes) of the row's own run."""
    from viz.encode import dequantize

    s = get_surface("quadratic", kappa=10.0)
    values = (0.05, 0.2, 0.5, 2.5)  # the last diverges
    x0 = np.tile(np.asarray(s.starts[0], dtype=float), (4, 1))
    p = optim.run_paths(s, [optim.RunSpec("gd", x0, {"lr": np.array(values)})], 40)
    ks = viz.race.bank_steps(40)
    xy, loss = p.xy[ks].transpose(1, 0, 2), p.loss[ks].T
    bank = viz.Bank("lr", "η", values, 1, xy, loss, p.diverged_at.astype(int), key="k")
    _, views = _views(s, names=("gd",), steps=40)
    spec = viz.race_spec(s, views, "", banks=[[bank]])
    body = spec["chunks"][spec["runs"][0]["axes"][0]["chunk"]]
    got_loss, got_dist = dequantize(body["loss"]), dequantize(body["dist"])
    with np.errstate(all="ignore"):
        want = np.log10(np.maximum(loss - s.f_min, 1e-16))
        dist = np.log10(np.maximum(s.distance_to_min(xy.reshape(-1, 2)).reshape(4, -1), 1e-16))
    for got, exact in ((got_loss, want), (got_dist, dist)):
        ok = np.isfinite(exact.ravel())
        span = exact.ravel()[ok].max() - exact.ravel()[ok].min()
        err = np.abs(np.log10(got.ravel()[ok]) - exact.ravel()[ok])
        assert err.max() <= span / 65534 * 0.51 + 1e-9
        assert np.all(np.isnan(got.ravel()[~ok]))
    assert spec["targets"] == {"0:lr": ["k", list(values)]}  # the widget it sets, not sent


def test_the_race_view_draws_the_fields_iso_lines_as_vectors_on_their_levels():
    """#27: the contour field read as stair-stepped stripes (a raster of a coarse grid). The race
    view draws contourpy's iso-lines as one vector trace (16 bits a coordinate): every point lies
    on one of the shading's levels, and the shading under them has no raster lines."""
    from viz.contours import contour_lines, levels_of
    from viz.encode import dequantize, q16

    s = get_surface("quadratic", kappa=50.0)
    xs, ys, z = s.mesh(120)
    x, y = contour_lines(xs, ys, z, s.log_scale)
    gaps = np.isnan(x)
    assert gaps.any() and 12_000 > (~gaps).sum() > 1_000  # 5 000–11 000 points a surface
    f = s.f(np.stack([x[~gaps], y[~gaps]], -1))
    levels = levels_of(z, s.log_scale)
    nearest = np.min(np.abs(f[:, None] - levels[None, :]), axis=1)
    span = float(levels[-1] - levels[0])
    assert np.max(nearest) < 0.01 * span  # on a level, up to the mesh's linear interpolation
    lines = {"x": q16(x), "y": q16(y)}
    (x0, x1), _ = s.plot_window
    assert np.nanmax(np.abs(dequantize(lines["x"]) - x)) <= (x1 - x0) / 65534
    _, views = _views(s, names=("gd",), steps=10)
    spec = viz.race_spec(s, views, "", lines=lines)
    assert spec["chunks"][spec["map"]["lines"]] == lines
    banded = viz.field_png(z, s.log_scale, lines=True)
    smooth = viz.field_png(z, s.log_scale, lines=False)
    dark = lambda png: int((np.asarray(Image.open(io.BytesIO(png))).min(-1) < 150).sum())  # noqa: E731
    assert dark(banded) > 1000 and dark(smooth) == 0  # the raster's iso-lines are gone


@pytest.mark.parametrize(
    ("kappa", "angle", "smooth"), [(50.0, 0.0, 3), (10.0, 30.0, 3), (200.0, -20.0, 1)]
)
def test_an_ill_conditioned_bowls_iso_lines_are_its_ellipses(kappa, angle, smooth):
    """#27: on the κ = 50 bowl every iso-line was a stripe (equal steps of the loss put every
    level's ellipse beyond the window). Geometric levels above the minimum draw nested closed
    ellipses; each, fitted as a conic about the minimum, has the axis ratio √κ within 2 %
    (the quadratic's closed form), wherever its short axis spans at least four mesh cells (at
    κ = 200 the window's closed ellipses are at most that thin: ``smooth`` of them qualify)."""
    from viz.contours import contour_lines

    s = get_surface("quadratic", kappa=kappa, angle_deg=angle, scale=1.0)
    assert s.bowl
    xs, ys, z = s.mesh(120)
    x, y = contour_lines(xs, ys, z, s.log_scale, floor=s.f_min)
    cell = float(xs[1] - xs[0])
    breaks = np.flatnonzero(np.isnan(x))
    closed, checked = 0, 0
    for seg in np.split(np.arange(x.size), breaks):
        seg = seg[np.isfinite(x[seg])]
        if seg.size < 8:
            continue
        px, py = x[seg], y[seg]
        if np.hypot(px[0] - px[-1], py[0] - py[-1]) > 1e-9:
            continue  # an arc the window cuts
        closed += 1
        # A x² + B xy + C y² = 1 through the points (the minimum is the origin)
        coef, *_ = np.linalg.lstsq(np.stack([px**2, px * py, py**2], 1), np.ones_like(px))
        quad = np.array([[coef[0], coef[1] / 2], [coef[1] / 2, coef[2]]])
        lam = np.linalg.eigvalsh(quad)
        if 1 / np.sqrt(lam[1]) < 4 * cell:
            continue  # too small to draw smoothly on this mesh
        checked += 1
        assert np.sqrt(lam[1] / lam[0]) == pytest.approx(np.sqrt(kappa), rel=0.02)
    assert closed >= 5 and checked >= smooth, (closed, checked)


def test_the_gif_keeps_each_runs_dash_a_legible_legend_and_the_star_over_the_heads():
    """#27: the GIF drew every run solid (the dashes promised for greyscale were lost), its
    legend at ~11 px, and the runs' heads over the minimum's star."""
    from PIL import ImageDraw

    from viz.gif import _dashed, _sizes

    def row(dash: str) -> np.ndarray:
        img = Image.new("RGB", (200, 9), (255, 255, 255))
        _dashed(ImageDraw.Draw(img), [(0, 4), (120, 4), (199, 4)], (0, 0, 0), 2, dash)
        return np.asarray(img)[4, :, 0] < 128

    assert row("solid").all()
    for dash in ("dash", "dot", "dashdot", "longdash"):
        ink = row(dash)
        assert 0.2 < ink.mean() < 0.9, dash  # gaps, and ink
        assert (np.diff(ink.astype(int)) != 0).sum() >= 6, dash  # a pattern, not one gap
    assert _sizes(480)[0] >= 18  # the legend, read from the back of a room
    s = get_surface("quadratic")
    _, views = _views(s, steps=300)  # every run arrives on the minimum
    gif = viz.animated_gif(s, views, size=240, max_frames=20)
    img = Image.open(io.BytesIO(gif))
    left, top, *_ = viz.gif.geometry(240, len(views))
    img.seek(img.n_frames - 1)
    last = np.asarray(img.convert("RGB")).astype(int)
    (x0, x1), (y0, y1) = s.plot_window
    cx = left + int((s.minima[0][0] - x0) / (x1 - x0) * 239)
    cy = top + int((y1 - s.minima[0][1]) / (y1 - y0) * 239)
    near = last[cy - 8 : cy + 9, cx - 8 : cx + 9]
    r, g, b = near[..., 0], near[..., 1], near[..., 2]
    assert ((r > 200) & (g > 150) & (g < 235) & (b < 90)).sum() > 10  # the star, over the heads
