"""Benchmarks, outside the runtime packages: ``python -m bench.engine`` and ``python -m bench.app``.

They print figures (ratios measured side by side in one run); nothing here is deployed or asserted.
"""
