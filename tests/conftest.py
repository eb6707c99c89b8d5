"""Hypothesis without its "explain" phase: after a failure it re-runs the failing example under a line tracer, which
for a sympy-backed property takes many minutes and can push a CI run past its time. The failing example is still
shrunk and printed."""

from hypothesis import Phase, settings

settings.register_profile("derivlib", phases=[phase for phase in Phase if phase is not Phase.explain])
settings.load_profile("derivlib")
