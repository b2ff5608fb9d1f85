"""``python -m ui.bench``: the interaction benchmark of the race view (``bench/interaction.py``).

The benchmarks live in ``bench/`` (not deployed); this name runs the one about ``ui.race``.
"""

if __name__ == "__main__":
    from bench.interaction import main

    main()
