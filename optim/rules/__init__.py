r"""Every update rule of the lecture notes, one module per family.

Each module holds, side by side, a family's state, ``init``/``update`` (pure functions over ``(R, D)``
arrays), the helpers its ``derive`` shares with the update, its LaTeX formulas, its parameters and its
registry entries (``ENTRIES``); :mod:`optim.optimizers` gathers the entries.

Conventions used throughout (they matter, the notes disagree):

* ``k`` counts steps from 0; ``g_k`` is the gradient used at step ``k`` (full, minibatch or noisy,
  after clipping); ``t = k + 1`` counts updates for bias corrections.
* ``η`` (``lr``) is the learning rate at step ``k`` after the schedule.
* Every buffer (momentum, moments, accumulators) starts at zero.
"""
