"""The solver layer: MINPACK's least-squares solve with SciPy's interface, above the binding.

``leastsq`` (with a Python or a compiled function), the settings object
every front end builds, the argument and output checks, the call-back
evaluators, ``cov_x``, SciPy's message table and MINPACK's ``chkder``.
"""
