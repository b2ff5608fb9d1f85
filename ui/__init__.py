"""Streamlit glue shared by the pages: the page frame, widgets built from the registries, caches.

Everything here imports Streamlit; the math lives in ``optim``/``surfaces`` and the figures in ``viz``.
"""
