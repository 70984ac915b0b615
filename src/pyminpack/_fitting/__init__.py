"""Curve fitting on top of the solver.

``curve_fit`` (with bounds), ``fit`` with its report and plot, and the
compiled and built-in models both take.
"""
