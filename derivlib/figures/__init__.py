"""The Plotly figures the pages draw, built from derivlib's frames (derivlib computes; these only draw).

one_variable  f and its derivatives, points of interest, the point view, finite-difference errors
two_variables the contour map, gradient arrows, click layer, surface and small maps of a function of x and y
optimisation  the optimisation lab's paths on the map or the curve, and the convergence plot
practice      the correct derivative beside a student's answer, where they differ shaded
markers       one marker per kind of point, the same on every page and legend
shared        the legend's place, the y range that shows a curve's shape, values as the browser is sent them
"""
