"""Every page survives its widgets driven to extremes and random values: a message, never a traceback.

A light version of the reliability test of the classroom issue: 30 random moves per page, each
either an end of a widget's range or a random option, a typed formula (good or hostile), a button
press, a pill, or a click on a clickable chart, with a fixed seed per page. An ``st.error`` is a
failure unless the input was meant to be refused (a bad formula or an empty domain).
"""

from __future__ import annotations

import random

import pytest

from tests.helpers import assert_no_error_from_valid_input, open_page, random_moves
from ui.frame import PAGES


# The Network lab trains a network on each new setting (~3 s of CPU, cold): its 30 moves take
# about two minutes, so they run with the slow tier.
@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p[0], marks=pytest.mark.slow) if "Network" in p[0] else p[0]
        for p in PAGES
        if p[0] != "app.py"
    ],
)
def test_random_and_extreme_inputs_never_raise_and_valid_ones_never_err(path):
    at = open_page(path)
    done = random_moves(
        at,
        random.Random(path),
        30,
        120,
        check=lambda at, done: assert_no_error_from_valid_input(at, (path, done)),
    )
    assert len(done) == 30
