"""Solara dashboard: the live run, ensembles of seeded runs, and the sweep explorer.

Start it with ``negotiation dashboard`` (or ``make dashboard``); it serves on
http://127.0.0.1:8765 by default.
"""
