"""Points of interest: roots, extrema, inflection points, poles, corners, jumps and holes, found on a grid and refined.

Each of the first kinds is the zero set of one derivative: roots of f, critical points of f′, inflection points of
f″. A dense grid brackets them (a sign change between neighbours, or a dip of |g| that touches zero, as x² does at
0); Newton's method driven by the exact next derivative then polishes every bracket at once, falling back to
bisection whenever a step would leave its bracket, so it cannot wander off or diverge.

Where f is not smooth, there is no derivative to make up, and the table says so instead (`discontinuities`): a
corner (f continuous, f′ jumping: |x| at 0, a cusp where f′ runs off to ±∞ as x^(2/3) does), its extremum decided by
the signs of f′ on its two sides; a jump of f (floor at each whole number), with its one-sided values; a hole (f
undefined at one point where its two one-sided limits agree: (x² − 1)/(x − 1) at 1), with the limit. f′ and f″ are
undefined (NaN) at all of these, and f itself at holes and poles.

Where f's domain ends inside the range (sqrt at 0) f is NaN on one side: the edge is found by bisection on "f is
defined", and f may have a root or a one-sided extremum there. Where |f| spikes without changing sign (1/x² at 0) the
pole is a peak of |f|, refined as a sign change of f′. A point found within rounding of a simpler number at which it
holds exactly (x³'s root comes out at -9e-34; f(0) = 0) is reported at that number, with every other point within
rounding of it, so that the rows at one place carry one x. And every value in the table is as honest as its
rounding allows (`rounding.pointwise_errors`): a root's f is 0, an extremum's f′ is 0, an inflection point's f″ is 0,
and any other value within its rounding error of 0 is 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .discontinuities import jumps, limits, undefined_points, value
from .engine import derivatives
from .parse import parse
from .rounding import SAFETY, pointwise_errors, simplest_between, zero_everywhere, zeroed
from .table import grid
from .tree import Expression

DEFAULT_POINTS = 20_001  # bracketing grid; an odd count puts the middle of a symmetric range on the grid
MAX_PLACES = 50  # places listed; beyond that the most widely spaced are, and a note says how many more there are
ITERATIONS = 100  # Newton/bisection steps; bisection alone halves a bracket to one ulp in about 60
POLE_RATIO = 1e3  # |f| at a pole is this many times larger than at the grid around it (1 at least)
ZERO_TOLERANCE = 1e-9  # |g| at a refined point, relative to |g| at its bracket's ends, that still counts as zero
SHRINK = 1e-3  # … or |g| at the refined bracket's ends, relative to the grid's: g is continuous through zero there
SIDE_DISTANCES = (0.1, 0.3, 1.0)  # in grid spacings: where a point's sides are probed for a sign change
NEIGHBOURS = 2  # grid points on each side whose rounding estimate also counts at a point
ULPS = 4  # ulps of the range's scale: points closer than this cannot be told apart
NAMED_STRETCHES = 2  # stretches where a derivative is 0 named in its note; the rest are counted
AGREE = 1e-6  # one-sided limits within this of each other (relative to max(1, |limit|)) are one limit
BESIDE = 1e-2  # in grid spacings: f defined this near a point on one side has a limit there, or else none
KINDS = ("root", "minimum", "maximum", "stationary", "critical", "inflection", "pole", "kink", "jump", "hole")
EXTREMUM_KINDS = ("minimum", "maximum", "stationary", "critical")  # where f′ is 0 (or undefined, or at an edge)
WORDS = {  # each kind as a table of places says it
    "root": "root",
    "minimum": "minimum",
    "maximum": "maximum",
    "stationary": "stationary point (no extremum)",
    "critical": "critical point (test inconclusive)",
    "inflection": "inflection point",
    "pole": "pole",
    "kink": "corner",  # "cusp" where f′ runs off to opposite infinities (by_place)
    "jump": "jump",
    "hole": "hole",
}
COLUMNS = ["kind", "x", "f", "d1", "d2", "edge", "f_left", "f_right", "d1_left", "d1_right"]
SIDES = ("f_left", "f_right", "d1_left", "d1_right")  # one-sided limits, where a row has them
PLACE_COLUMNS = ["x", "what it is", "f", "f′", "f″", "f(x⁻)", "f(x⁺)", "f′(x⁻)", "f′(x⁺)"]
UNDEFINED_WORDS = {"hole": "hole", "pole": "pole", "jump": "jump", "kink": "corner"}  # why a value is undefined


@dataclass
class _Problem:
    """Find zeros of the k-th derivative (k = 0: roots, 1: critical points, 2: inflection points) in [xmin, xmax]."""

    expr: Expression
    params: Mapping[str, float] | None
    k: int
    spacing: float  # of the bracketing grid
    xmin: float
    xmax: float

    @property
    def resolution(self) -> float:
        """How close two points of the range may be and still not be told apart."""
        return _resolution(max(abs(self.xmin), abs(self.xmax), self.spacing))

    def signs(self, x: np.ndarray, row: int | None = None) -> np.ndarray:
        """The sign of a derivative (g by default) at x, 0 where it is zero up to rounding."""
        row = self.k if row is None else row
        values, errors = pointwise_errors(self.expr, x, order=row, params=self.params)
        return _signs(values[row], errors[row], neighbours=0)

    def values(self, x: np.ndarray) -> np.ndarray:
        """Rows 0 … k+1 of the derivatives at x (g = row k, its slope = row k + 1)."""
        return derivatives(self.expr, x, order=self.k + 1, params=self.params).numpy()

    def row(self, x: np.ndarray, row: int = 0) -> np.ndarray:
        """One derivative (f by default) at x."""
        return value(self.expr, x, row, self.params)

    def limits(self, at: np.ndarray, row: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The one-sided limits of a derivative (f by default) at the points (`discontinuities.limits`)."""
        if len(at) == 0:
            return np.empty(0), np.empty(0)
        return limits(self.expr, at, row, spacing=self.spacing, params=self.params)


@dataclass
class _Found:
    """Points of one kind: where, whether at an edge of f's domain, their one-sided limits (SIDES, where they have
    them), and from which derivative on they are undefined there (0: f itself; 3: none of f, f′, f″)."""

    kind: str
    at: np.ndarray
    edge: bool = False
    sides: dict[str, np.ndarray] = field(default_factory=dict)
    undefined: int = 3


def points_of_interest(
    expr: Expression | str,
    xmin: float,
    xmax: float,
    *,
    params: Mapping[str, float] | None = None,
    points: int | None = None,
) -> pd.DataFrame:
    """Roots, extrema, stationary, inconclusive critical and inflection points, poles, corners (kinks), jumps and
    holes of f in [xmin, xmax], at most MAX_PLACES places.

    Columns: kind, x, f, d1, d2, edge (True for a point at an edge of f's domain, as sqrt's root at 0), and the
    one-sided limits f_left, f_right (a jump's, a hole's, a pole's) and d1_left, d1_right (a corner's slopes), sorted
    by x. Rows at one place share one x. Where f is not smooth its derivatives are NaN (a corner, a jump, a hole, a
    pole), and f too where it has no value (a hole, a pole). Values within rounding of 0 are 0. `frame.attrs["notes"]`
    lists what the table leaves out: places beyond MAX_PLACES, oscillation faster than the grid, stretches where a
    derivative is 0.

    >>> frame = points_of_interest("x^3 - x", -2, 2)
    >>> list(frame["kind"])
    ['root', 'maximum', 'root', 'inflection', 'minimum', 'root']
    >>> [round(x, 6) + 0.0 for x in frame["x"]]
    [-1.0, -0.57735, 0.0, 0.0, 0.57735, 1.0]
    >>> points_of_interest("abs(x - 1)", -2, 2)[["kind", "x", "f", "d1", "d1_left", "d1_right"]]
          kind    x    f  d1  d1_left  d1_right
    0     root  1.0  0.0 NaN      NaN       NaN
    1  minimum  1.0  0.0 NaN      NaN       NaN
    2     kink  1.0  0.0 NaN     -1.0       1.0
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    count = points or DEFAULT_POINTS
    grid(xmin, xmax, count)  # checks the range and the count
    if count < 3:
        raise ValueError(f"the bracketing grid needs at least 3 points, not {count}")
    # One more grid point beyond each end, so that a zero at an end (sin at 0) is bracketed like any other.
    spacing = (xmax - xmin) / (count - 1)
    x = grid(xmin - spacing, xmax + spacing, count + 2).numpy()
    rows, errors = pointwise_errors(expr, x, order=3, params=params)
    problems = [_Problem(expr, params, k, spacing, xmin, xmax) for k in range(3)]
    notes: list[str] = []
    fast: list[tuple[int, np.ndarray]] = []  # (k, where g changes sign faster than the grid resolves)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        found = _not_smooth(problems, x, rows, errors, notes)
        for k, name in ((0, "root"), (1, "critical point"), (2, "inflection point")):
            problem = problems[k]
            sign = _signs(rows[k], errors[k])
            defined = np.isfinite(rows[k])
            # A derivative that is 0 up to rounding wherever it is defined (f″ of sin²x + cos²x, f′ of floor) has
            # no zeros worth listing.
            if defined.any() and zero_everywhere(rows[k][defined], errors[k][defined], sign[defined]):
                exact = not np.any(rows[k][defined])
                notes.append(_everywhere_note(k, name, exact=exact, gaps=not defined.all()))
                continue
            zeros, singular, unresolved = _zeros(problem, x, rows[k], sign, notes, name)
            fast.append((k, unresolved))
            if k == 0:
                found += [_Found("root", zeros), _Found("pole", _poles(problem, singular), undefined=0)]
            elif k == 1:
                found += _classify_critical(problem, zeros)
            else:
                found.append(_Found("inflection", _real_sign_changes(problem, zeros)))
                found.append(_Found("inflection", _continuous(problem, singular), undefined=2))  # f″ jumps
        found.append(_Found("pole", _spikes(problems[1], x, rows[0], rows[1]), undefined=0))
        found += [_Found(kind, at, edge=True) for kind, at in _edges(problems[1], x, rows[0])]
        spans = _unresolved(problems[0], fast)
        notes += _oscillation_notes(spans)
        return _table(problems[0], found, notes, [(low, high) for low, high, _ in spans])


def by_place(points: pd.DataFrame) -> pd.DataFrame:
    """The rows of `points_of_interest` gathered by place: one row per x, saying everything the point is.

    Columns (PLACE_COLUMNS, as the page shows them): x, what it is ("root, stationary point (no extremum), inflection
    point"; "minimum, corner"; "… at an edge of the domain"), f, f′, f″ (NaN where any row there has it undefined: a
    corner's f′, a pole's f, whatever 1/0 gives), and the one-sided values f(x⁻), f(x⁺), f′(x⁻), f′(x⁺) where the
    place has them (a jump, a hole, a pole; a corner's slopes). `attrs["undefined"]` says for each place why a value
    there is undefined, in a word ("corner", "cusp", "jump", "hole", "pole"), or "".

    >>> by_place(points_of_interest("x^3", -1, 1))[["x", "what it is"]].values.tolist()
    [[0.0, 'root, stationary point (no extremum), inflection point']]
    >>> by_place(points_of_interest("abs(x) - 1", -2, 2))
         x       what it is    f   f′   f″  f(x⁻)  f(x⁺)  f′(x⁻)  f′(x⁺)
    0 -1.0             root  0.0 -1.0  0.0    NaN    NaN     NaN     NaN
    1  0.0  minimum, corner -1.0  NaN  NaN    NaN    NaN    -1.0     1.0
    2  1.0             root  0.0  1.0  0.0    NaN    NaN     NaN     NaN
    """
    rows, reasons = [], []
    for x, group in points.groupby("x", sort=True):
        kinds = sorted(set(group["kind"]), key=KINDS.index)
        sides = {name: _first(group[name]) for name in SIDES}
        cusp = "kink" in kinds and np.isinf(sides["d1_left"]) and np.isinf(sides["d1_right"])
        words = {kind: WORDS[kind] for kind in kinds} | ({"kink": "cusp"} if cusp else {})
        if "kink" in kinds and not set(kinds) & {"minimum", "maximum"}:
            words["kink"] += " (no extremum)"
        what = ", ".join(words.values()) + (" at an edge of the domain" if group["edge"].any() else "")
        values = [np.nan if group[name].isna().any() else group[name].iloc[0] for name in ("f", "d1", "d2")]
        rows.append([x, what, *values, *sides.values()])
        reason = next((UNDEFINED_WORDS[kind] for kind in ("hole", "pole", "jump", "kink") if kind in kinds), "")
        reasons.append("cusp" if cusp else reason)
    frame = pd.DataFrame(rows, columns=PLACE_COLUMNS)
    frame.attrs["undefined"] = reasons
    return frame


def reasons_at(places: pd.DataFrame, x: np.ndarray, tolerance: float) -> list[str]:
    """For each point x, why f or its derivatives are undefined there if it is one of the places (within
    `tolerance`): "corner", "cusp", "jump", "hole", "pole" (`by_place`'s attrs["undefined"]), else "".

    >>> reasons_at(by_place(points_of_interest("abs(x)", -1, 1)), np.array([0.0, 0.5]), 1e-12)
    ['corner', '']
    """
    reasons = places.attrs.get("undefined", [""] * len(places))
    at = places["x"].to_numpy(dtype=np.float64)
    found = []
    for point in np.asarray(x, dtype=np.float64):
        near = np.flatnonzero(np.abs(at - point) <= tolerance)
        found.append(reasons[near[0]] if len(near) else "")
    return found


def shown_places(places: pd.DataFrame) -> pd.DataFrame:
    """`by_place`'s table as text for a page: x to 10 digits, values to 6, "undefined (corner)" where a value is
    undefined and why, ±∞ for an infinite one-sided value, blanks where a place has no one-sided values; the columns
    of one-sided values only where some place has them.

    >>> shown_places(by_place(points_of_interest("abs(x) - 1", -2, 2))).iloc[1].tolist()
    ['0', 'minimum, corner', '-1', 'undefined (corner)', 'undefined (corner)', '-1', '1']
    """
    reasons = places.attrs.get("undefined", [""] * len(places))
    shown = pd.DataFrame({"x": [f"{v + 0.0:.10g}" for v in places["x"]], "what it is": places["what it is"]})
    for name in ("f", "f′", "f″"):
        undefined = [f"undefined ({why})" if why else "undefined" for why in reasons]
        shown[name] = [_shown(v, words) for v, words in zip(places[name], undefined, strict=True)]
    for name in PLACE_COLUMNS[5:]:
        if places[name].notna().any():
            shown[name] = [_shown(v, "") for v in places[name]]
    return shown


def _shown(value: float, undefined: str) -> str:
    if np.isnan(value):
        return undefined
    if np.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value + 0.0:.6g}"


def _first(values: pd.Series) -> float:
    defined = values.dropna()
    return float(defined.iloc[0]) if len(defined) else np.nan


def _not_smooth(
    problems: list[_Problem], x: np.ndarray, rows: np.ndarray, errors: np.ndarray, notes: list[str]
) -> list[_Found]:
    """Where f is not smooth (see the module's docstring): jumps of f, corners (f′ jumps, f continuous) with the
    extremum their sides make, and single points where f is undefined (holes, jumps, poles; a note where f has no
    limit there)."""
    problem, resolution = problems[0], problems[0].resolution
    expr, params = problem.expr, problem.params
    steps, met = jumps(expr, x, rows[0], rows[1], errors[0], 0, params, resolution)
    turns, met_slope = jumps(expr, x, rows[1], rows[2], errors[1], 1, params, resolution, infinite=True)
    exact_corners = x[np.isfinite(rows[0]) & np.isnan(rows[1])]  # a corner computed exactly at a grid point
    lone = undefined_points(expr, x, rows[0], params, resolution)
    found = _jumps_of_f(problem, _snapped(problem, steps.at))
    found += _corners(problems, _snapped(problem, np.concatenate([turns.at, exact_corners, met_slope])))
    found += _undefined_points(problem, _snapped(problem, np.concatenate([lone, met])), notes)
    return found


def _snapped(problem: _Problem, at: np.ndarray) -> np.ndarray:
    """The points, each moved to the simplest number within the range's resolution, those within it of each other
    one, inside the range."""
    resolution = problem.resolution
    at = np.unique([simplest_between(a - resolution, a + resolution) for a in at])
    at = at[(at >= problem.xmin - resolution) & (at <= problem.xmax + resolution)]
    return at[np.r_[True, np.diff(at) > resolution]] if len(at) else at


def _agree(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where two limits are the same number (or the same infinity), up to AGREE."""
    with np.errstate(invalid="ignore"):
        scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
        return (a == b) | (np.isfinite(a) & np.isfinite(b) & (np.abs(a - b) <= AGREE * scale))


def _jumps_of_f(problem: _Problem, at: np.ndarray) -> list[_Found]:
    """The jumps of f between grid points (floor at 1), where its one-sided limits differ; f is its value there."""
    left, right = problem.limits(at)
    real = np.isfinite(left) & np.isfinite(right) & ~_agree(left, right)
    sides = {"f_left": left[real], "f_right": right[real]}
    return [_Found("jump", at[real], sides=sides, undefined=1)]


def _corners(problems: list[_Problem], at: np.ndarray) -> list[_Found]:
    """Corners and cusps: f continuous (its limits agree with each other and with f there), f′'s one-sided limits
    defined and different; with the extremum that the signs of f′ on the two sides make, if any."""
    problem = problems[0]
    if len(at) == 0:
        return []
    f_left, f_right = problem.limits(at)
    here = problem.row(at)
    continuous = np.isfinite(f_left) & np.isfinite(here) & _agree(f_left, f_right) & _agree(here, f_left)
    slope_left, slope_right = problem.limits(at, 1)
    corner = continuous & ~np.isnan(slope_left) & ~np.isnan(slope_right) & ~_agree(slope_left, slope_right)
    at, slope_left, slope_right = at[corner], slope_left[corner], slope_right[corner]
    # The first-derivative test: the sign of each one-sided slope, or of f′ a little way off where that is 0.
    near_left, near_right = _sides(problems[1], at, 1)
    left = np.where(slope_left != 0, np.sign(slope_left), near_left)
    right = np.where(slope_right != 0, np.sign(slope_right), near_right)
    minimum = ((left < 0) & (right >= 0)) | ((left <= 0) & (right > 0))
    maximum = ((left > 0) & (right <= 0)) | ((left >= 0) & (right < 0))
    sides = {"d1_left": slope_left, "d1_right": slope_right}
    return [
        _Found("kink", at, sides=sides, undefined=1),
        _Found("minimum", at[minimum], undefined=1),
        _Found("maximum", at[maximum], undefined=1),
    ]


def _undefined_points(problem: _Problem, at: np.ndarray, notes: list[str]) -> list[_Found]:
    """Single points where f is undefined: a hole where its one-sided limits agree, a jump where they are finite and
    differ, a pole where one is infinite; a note where f is defined beside the point but has no limit there."""
    if len(at) == 0:
        return []
    at = at[~np.isfinite(problem.row(at))]
    left, right = problem.limits(at)
    near = BESIDE * problem.spacing
    beside = ~np.isnan(problem.row(np.concatenate([at - near, at + near]))).reshape(2, -1)
    finite = np.isfinite(left) & np.isfinite(right)
    hole = finite & _agree(left, right)
    jump = finite & ~hole
    pole = (np.isinf(left) | np.isinf(right)) & ~np.isnan(left) & ~np.isnan(right)
    settles = ~(beside[0] & np.isnan(left)) & ~(beside[1] & np.isnan(right))
    for point in at[~settles][:NAMED_STRETCHES]:
        notes.append(f"f is undefined at x = {point:.6g} and has no limit there: its values do not settle near it")
    return [
        _Found("hole", at[hole], sides={"f_left": left[hole], "f_right": left[hole]}, undefined=0),
        _Found("jump", at[jump], sides={"f_left": left[jump], "f_right": right[jump]}, undefined=0),
        _Found("pole", at[pole], sides={"f_left": left[pole], "f_right": right[pole]}, undefined=0),
    ]


def _table(
    problem: _Problem, found: list[_Found], notes: list[str], unresolved: Sequence[tuple[float, float]] = ()
) -> pd.DataFrame:
    """The points in the range, aligned (see _aligned), one row per kind and place, at most MAX_PLACES places (the
    most widely spaced), sorted by x, with f, f′, f″ there as honest as rounding allows and the one-sided limits."""
    found = [entry for entry in found if len(entry.at)]
    if not found:
        frame = pd.DataFrame(
            {name: pd.Series(dtype=object if name == "kind" else bool if name == "edge" else float) for name in COLUMNS}
        )
        frame.attrs["notes"] = notes
        return frame
    sizes = [len(entry.at) for entry in found]
    rank = np.repeat([KINDS.index(entry.kind) for entry in found], sizes)
    at = np.concatenate([entry.at for entry in found]).astype(np.float64)
    edge = np.repeat([entry.edge for entry in found], sizes).astype(bool)
    undefined = np.repeat([entry.undefined for entry in found], sizes)
    sides = {
        name: np.concatenate([entry.sides.get(name, np.full(len(entry.at), np.nan)) for entry in found])
        for name in SIDES
    }
    margin = problem.spacing * 1e-6  # a zero found a rounding error beyond an end still counts
    inside = (at >= problem.xmin - margin) & (at <= problem.xmax + margin)
    rank, at, edge, undefined = rank[inside], at[inside], edge[inside], undefined[inside]
    sides = {name: column[inside] for name, column in sides.items()}
    at = _aligned(problem, rank, at, edge) + 0.0  # + 0.0: -0.0 reads 0
    # Sorted by x, then kind; points of one kind that now coincide are one row: at an edge if either is, undefined
    # from the lowest order either is, with the one-sided limits either has.
    order = np.lexsort((undefined, ~edge, rank, at))
    rank, at, edge, undefined = rank[order], at[order], edge[order], undefined[order]
    sides = {name: column[order] for name, column in sides.items()}
    first = np.r_[True, (np.diff(at) != 0) | (np.diff(rank) != 0)]
    group = np.cumsum(first) - 1
    for name, column in sides.items():
        merged = np.full(first.sum(), np.nan)
        defined = ~np.isnan(column)
        merged[group[defined][::-1]] = column[defined][::-1]  # the first defined value of each group
        sides[name] = merged
    rank, at, edge, undefined = rank[first], at[first], edge[first], undefined[first]
    keep = _most_widely_spaced(np.unique(at), problem, notes, unresolved)
    listed = np.isin(at, keep)
    rank, at, edge, undefined = rank[listed], at[listed], edge[listed], undefined[listed]
    sides = {name: column[listed] for name, column in sides.items()}
    kind = np.array(KINDS, dtype=object)[rank]
    bare = (kind == "pole") & np.isnan(sides["f_left"])  # a pole found by its sign change or spike: its two sides
    sides["f_left"][bare], sides["f_right"][bare] = problem.limits(at[bare])
    places = np.unique(at)
    values, errors = pointwise_errors(problem.expr, places, order=2, params=problem.params)
    f, d1, d2 = zeroed(values, errors)[:, np.searchsorted(places, at)]
    # What each kind is, holds exactly there: a root's f is 0, an extremum's f′ (where f′ is defined and not at an
    # edge of the domain), an inflection point's f″.
    f = np.where(kind == "root", 0.0, f)
    d1 = np.where(np.isin(kind, EXTREMUM_KINDS) & ~edge & np.isfinite(d1), 0.0, d1)
    d2 = np.where((kind == "inflection") & np.isfinite(d2), 0.0, d2)
    f, d1, d2 = (np.where(undefined <= k, np.nan, row) for k, row in enumerate((f, d1, d2)))
    frame = pd.DataFrame({"kind": kind, "x": at, "f": f, "d1": d1, "d2": d2, "edge": edge, **sides}, columns=COLUMNS)
    frame.attrs["notes"] = notes
    return frame


def _most_widely_spaced(
    places: np.ndarray, problem: _Problem, notes: list[str], unresolved: Sequence[tuple[float, float]] = ()
) -> np.ndarray:
    """At most MAX_PLACES of the places: those outside the stretches the grid does not resolve first, then those
    farthest from their neighbours (the nearest the range's middle first where that ties), so that a list of
    sin(1/x)'s points shows the ones the chart can show; a note counts the rest."""
    if len(places) <= MAX_PLACES:
        return places
    gaps = np.diff(np.r_[problem.xmin, places, problem.xmax])
    spacing = np.minimum(gaps[:-1], gaps[1:])
    middle = np.abs(places - (problem.xmin + problem.xmax) / 2)
    margin = 10 * problem.spacing
    blurred = np.zeros(len(places), dtype=bool)
    for low, high in unresolved:
        blurred |= (places >= low - margin) & (places <= high + margin)
    chosen = np.lexsort((middle, -spacing, blurred))[:MAX_PLACES]
    rest = len(places) - MAX_PLACES
    notes.append(
        f"{rest:,} more place{'s' if rest > 1 else ''} in the range: the {MAX_PLACES} listed are the most widely spaced"
    )
    return np.sort(places[chosen])


def _aligned(problem: _Problem, rank: np.ndarray, at: np.ndarray, edge: np.ndarray) -> np.ndarray:
    """The points (their kinds given by rank in KINDS), each cluster within rounding of each other moved onto one x.

    That x is the simplest number within rounding of the cluster if one of its points holds exactly there (a root
    where f = 0, an extremum where f′ = 0, an inflection point where f″ = 0, a pole or a hole where f is not finite, a
    corner or a jump where f′ is not, a point at an edge where f is defined): x³'s root found at -9e-34 is at 0.
    Otherwise it is the x of the point whose kind comes first in KINDS (tan's root and inflection point at -π, found
    an ulp apart, are at the root's x).
    """
    if len(at) == 0:
        return at
    resolution = problem.resolution
    order = np.argsort(at, kind="stable")
    rank, at, edge = rank[order], at[order], edge[order]
    kind = np.array(KINDS)[rank]
    cluster = np.concatenate([[0], np.cumsum(np.diff(at) > resolution)])
    starts = np.flatnonzero(np.diff(cluster, prepend=-1))
    stops = np.append(starts[1:], len(at)) - 1
    simple = np.array(
        [simplest_between(a - resolution, b + resolution) for a, b in zip(at[starts], at[stops], strict=True)]
    )
    f, d1, d2 = derivatives(problem.expr, simple, order=2, params=problem.params).numpy()[:, cluster]
    holds = np.select(
        [kind == "root", kind == "inflection", np.isin(kind, ("pole", "hole")), np.isin(kind, ("kink", "jump"))],
        [f == 0, d2 == 0, ~np.isfinite(f), ~np.isfinite(d1)],
        (np.isin(kind, EXTREMUM_KINDS) & (d1 == 0)) | (edge & ~np.isnan(f)),
    )
    snapped = np.zeros(len(starts), dtype=bool)
    np.logical_or.at(snapped, cluster, holds)
    leaders = np.lexsort((rank, cluster))[starts]  # each cluster's point of the first kind
    chosen = np.where(snapped, simple, at[leaders])[cluster]
    aligned = np.empty_like(chosen)
    aligned[order] = chosen
    return aligned


def _zeros(
    problem: _Problem, x: np.ndarray, g: np.ndarray, sign: np.ndarray, notes: list[str], name: str
) -> tuple[np.ndarray, _Singular, np.ndarray]:
    """Zeros of g (refined), the places where g changes sign without passing through zero, and where it changes sign
    between neighbouring grid intervals, faster than the grid resolves."""
    finite = np.isfinite(g)
    exact = np.flatnonzero(finite & (sign == 0))
    flat = _flat_stretches(exact)
    if flat:
        notes.append(_flat_note(problem, name, x, flat))
    inside_flat = np.zeros(len(x), dtype=bool)
    for start, stop in flat:
        inside_flat[start : stop + 1] = True
    exact = exact[~inside_flat[exact] & (exact > 0) & (exact < len(x) - 1)]

    # Sign changes between finite neighbours, or across one or two grid points where g is 0 up to rounding (cbrt at a
    # grid point 4e-16 from 0, whose value no nudge of x leaves alone): refine inside the bracket.
    left = np.flatnonzero(finite[:-1] & finite[1:] & (sign[:-1] * sign[1:] < 0))
    unresolved = x[left[np.flatnonzero(np.diff(left) == 1)]]
    right = left + 1
    for gap in (2, 3):
        across = np.flatnonzero(
            finite[:-gap]
            & finite[gap:]
            & (sign[:-gap] * sign[gap:] < 0)
            & np.all([sign[k : len(sign) - gap + k] == 0 for k in range(1, gap)], axis=0)
        )
        left, right = np.concatenate([left, across]), np.concatenate([right, across + gap])
    roots, converged, ends = _newton_bisection(problem, x[left], x[right], g[left], g[right])
    singular = _Singular(roots[~converged], ends[0][~converged], ends[1][~converged], np.abs(g[left][~converged]))

    # Sign changes across a run of inf (as 1/x at 0 on a symmetric grid).
    beyond = _sign_changes_across_infinities(x, g, finite)
    singular = _Singular(*(np.concatenate([a, b]) for a, b in zip(singular, beyond, strict=True)))

    # Dips of |g| that touch zero without a sign change (x^2 at 0): Newton from the dip, kept if it lands on a zero.
    size, before, after = np.abs(g[1:-1]), np.abs(g[:-2]), np.abs(g[2:])
    dips = (
        np.flatnonzero(
            finite[1:-1]
            & finite[:-2]
            & finite[2:]
            & (g[1:-1] != 0)
            & (sign[:-2] == sign[2:])
            & (sign[:-2] == sign[1:-1])
            & (size <= before)
            & (size <= after)
            & ((size < before) | (size < after))
        )
        + 1
    )
    # Grid points where g is zero up to rounding are polished the same way.
    dips = np.concatenate([dips, exact])
    touching = _newton_touching(problem, x[dips], x[dips - 1], x[dips + 1], np.abs(g[dips - 1]) + np.abs(g[dips + 1]))

    zeros = np.unique(np.concatenate([x[exact][g[exact] == 0], roots[converged], touching]))
    return _merge_close(zeros, problem.spacing), singular, unresolved


def _unresolved(problem: _Problem, fast: list[tuple[int, np.ndarray]]) -> list[tuple[float, float, list[int]]]:
    """The stretches where f, f′ or f″ changes sign faster than the grid resolves (sin(1/x) near 0), each as its ends
    and which derivatives do: grid points of `fast` less than 100 spacings apart are one stretch."""
    points = sorted((at, k) for k, ats in fast for at in ats)
    if not points:
        return []
    xs = np.array([at for at, _ in points])
    groups = np.split(np.arange(len(xs)), np.flatnonzero(np.diff(xs) > 100 * problem.spacing) + 1)
    return [(float(xs[g].min()), float(xs[g].max()), sorted({points[i][1] for i in g})) for g in groups]


def _oscillation_notes(spans: list[tuple[float, float, list[int]]]) -> list[str]:
    """One note per stretch where f, f′ or f″ changes sign faster than the grid resolves: where, and what may be
    there unlisted."""
    names = {0: "roots", 1: "extrema", 2: "inflection points"}
    notes = []
    for low, high, rows in spans[:NAMED_STRETCHES]:
        kinds = [names[k] for k in rows]
        listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
        notes.append(
            f"f oscillates faster than the grid resolves near x = {simplest_between(low, high) + 0.0:.6g}: there are "
            f"more {listed} there than listed"
        )
    return notes


def _signs(g: np.ndarray, errors: np.ndarray, neighbours: int = NEIGHBOURS) -> np.ndarray:
    """The sign of g, or 0 where |g| is within SAFETY times its rounding error (`rounding.pointwise_errors`), or the
    second largest estimate among `neighbours` grid points on each side (an estimate can come out low by chance).

    abs(x)/x has f″ = ±1e-16 from rounding alone, which is no sign change; x⁴ near 0 has a tiny f″ that is exact.
    """
    if neighbours and len(errors):
        # The second largest: one point's large error (beside a singular point) does not spread to its neighbours.
        padded = np.pad(errors, neighbours, mode="edge")
        window = np.lib.stride_tricks.sliding_window_view(padded, 2 * neighbours + 1)
        errors = np.maximum(errors, np.partition(window, -2, axis=1)[:, -2])
    return np.sign(np.where(np.abs(g) <= SAFETY * errors, 0.0, g))


@dataclass
class _Singular:
    """Where g changes sign without passing through zero: the point, its final bracket, |g| at the grid."""

    at: np.ndarray
    low: np.ndarray
    high: np.ndarray
    scale: np.ndarray

    def __iter__(self):
        return iter((self.at, self.low, self.high, self.scale))


def _poles(problem: _Problem, singular: _Singular) -> np.ndarray:
    """The sign changes of f through ±inf or a value far larger than on the grid around it (tan at π/2)."""
    f = problem.row(singular.at) if len(singular.at) else np.empty(0)
    return singular.at[~np.isfinite(f) | (np.abs(f) > POLE_RATIO * np.maximum(singular.scale, 1.0))]


def _spikes(problem: _Problem, x: np.ndarray, f: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """The poles where |f| grows without bound on both sides with one sign (1/x² at 0), which no sign change shows.

    Each is a peak of |f| on the grid that is a spike (|f| convex on its way up, where a smooth maximum is concave),
    refined as a sign change of f′ = `slope` and kept where f′ is not 0 there and |f| is not finite or far larger
    than around it.
    Both grid neighbours must be defined: a domain's edge (log at 0) is no pole.
    """
    size = np.abs(f)
    far_left, left, middle, right, far_right = (size[i : len(size) - 4 + i] for i in range(5))
    peak = (
        np.isfinite(f[1:-3])
        & np.isfinite(f[3:-1])
        & (f[1:-3] * f[3:-1] > 0)
        & ~np.isnan(middle)
        & (middle >= np.maximum(left, right))
        & (middle > np.minimum(left, right))
        & ((middle - left > left - far_left) | (middle - right > right - far_right))
        & (slope[1:-3] * slope[3:-1] < 0)
    )
    i = np.flatnonzero(peak) + 2
    if len(i) == 0:
        return np.empty(0)
    at, flat, _ = _newton_bisection(problem, x[i - 1], x[i + 1], slope[i - 1], slope[i + 1])
    value = problem.row(at)
    around = np.maximum(np.maximum(size[i - 1], size[i + 1]), 1.0)
    # f′ = 0 there is a maximum of |f|, however sharp (1/(x² + 1e-12) at 0); at a pole f′ changes sign through ±inf.
    return at[~flat & (~np.isfinite(value) | (np.abs(value) > POLE_RATIO * around))]


def _edges(problem: _Problem, x: np.ndarray, f: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Roots and one-sided extrema at the edges of f's domain inside the range (sqrt at 0, acos at ±1).

    An edge is where f on the grid turns from NaN to defined; bisection on "f is defined" locates it to the range's
    resolution, and it moves to the simplest number within that where f is still defined (sqrt(1 - x²): 1). f must
    stay undefined beyond it (0/0 at one point is a hole, not an edge) and be finite at it (log at 0 is neither a
    root nor an extremum). The sign of f′ just inside tells a minimum (f rising away from the edge) from a maximum.
    """
    defined = ~np.isnan(f)
    before = np.flatnonzero(defined[:-1] != defined[1:])  # the grid point before each turn
    if len(before) == 0:
        return []
    inside = np.where(defined[before], x[before], x[before + 1])
    outside = np.where(defined[before], x[before + 1], x[before])
    into = np.sign(inside - outside)  # +1 where the domain lies to the right of the edge
    for _ in range(ITERATIONS):
        if np.all(np.abs(outside - inside) <= problem.resolution):
            break
        middle = (inside + outside) / 2
        ok = ~np.isnan(problem.row(middle))
        inside, outside = np.where(ok, middle, inside), np.where(ok, outside, middle)
    simple = np.array([simplest_between(a - problem.resolution, a + problem.resolution) for a in inside])
    beyond = inside - into * np.array(SIDE_DISTANCES)[:, None] * problem.spacing
    n = len(inside)
    f_simple, f_inside, f_beyond = np.split(problem.row(np.concatenate([simple, inside, beyond.ravel()])), [n, 2 * n])
    at = np.where(np.isnan(f_simple), inside, simple)
    value = np.where(np.isnan(f_simple), f_inside, f_simple)
    real = np.all(np.isnan(f_beyond.reshape(beyond.shape)), axis=0) & np.isfinite(value)
    at, value, into = at[real], value[real], into[real]
    if len(at) == 0:
        return []
    # The first-derivative test on the one side there is; several distances, so that rounding cannot decide it.
    left, right = _sides(problem, at, 1)
    rising = into * np.where(into > 0, right, left)  # > 0: f grows away from the edge
    return [("root", at[value == 0]), ("minimum", at[rising > 0]), ("maximum", at[rising < 0])]


def _continuous(problem: _Problem, singular: _Singular) -> np.ndarray:
    """The sign changes of a derivative at a point where f itself is continuous: a kink (abs) or a cusp."""
    if len(singular.at) == 0:
        return singular.at
    f = problem.row(np.concatenate([singular.low, singular.high]))
    low, high = f[: len(singular.at)], f[len(singular.at) :]
    close = np.abs(low - high) <= 1e-6 * np.maximum(1.0, np.maximum(np.abs(low), np.abs(high)))
    return singular.at[np.isfinite(low) & np.isfinite(high) & close]


def _resolution(scale: float) -> float:
    """How close two points near `scale` may be and still not be told apart: a few ulps."""
    return ULPS * np.finfo(float).eps * scale


def _derivative_name(k: int) -> str:
    return ["f", "f′", "f″"][k]


def _everywhere_note(k: int, name: str, *, exact: bool, gaps: bool = False) -> str:
    """The note for a derivative that is 0 on the whole range (wherever it is defined, with `gaps`), exactly or up to
    rounding: it has no zeros to list."""
    where = "wherever it is defined in this range" if gaps else "everywhere in this range"
    return f"{_derivative_name(k)} is 0 {where}{'' if exact else ' (up to rounding)'}: no {name}s"


def _flat_note(problem: _Problem, name: str, x: np.ndarray, flat: list[tuple[int, int]]) -> str:
    """One note for all the stretches where g is 0, ends inside the range: 'f′ is 0 on [a, b] and 3 more stretches'."""
    if flat[0][0] <= 1 and flat[0][1] >= len(x) - 2:  # x[1] and x[-2] are the range's ends
        return _everywhere_note(problem.k, name, exact=True)
    named = [f"[{_end(problem, x, a, -1):.6g}, {_end(problem, x, b, 1):.6g}]" for a, b in flat[:NAMED_STRETCHES]]
    rest = len(flat) - len(named)
    where = ", ".join(named) + f" and {rest} more stretch{'es' if rest > 1 else ''}" if rest else " and ".join(named)
    return f"{_derivative_name(problem.k)} is 0 on {where}: no {name}s listed there"


def _end(problem: _Problem, x: np.ndarray, i: int, outwards: int) -> float:
    """A stretch's end at grid point i: the range's end if it goes that far, else the simplest number between x[i] and
    the grid point beyond it (floor is 0 on [0, 1], though no grid point is 0 or 1 exactly)."""
    beyond = i + outwards
    if not 1 <= beyond <= len(x) - 2:
        return problem.xmin if outwards < 0 else problem.xmax
    return simplest_between(*sorted((x[i], x[beyond]))) + 0.0


def _flat_stretches(exact: np.ndarray) -> list[tuple[int, int]]:
    """Runs of three or more consecutive grid points where g is exactly zero."""
    if len(exact) == 0:
        return []
    breaks = np.flatnonzero(np.diff(exact) != 1)
    starts = np.concatenate([[exact[0]], exact[breaks + 1]])
    stops = np.concatenate([exact[breaks], [exact[-1]]])
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True) if b - a >= 2]


def _sign_changes_across_infinities(x: np.ndarray, g: np.ndarray, finite: np.ndarray) -> _Singular:
    """Runs of ±inf whose finite neighbours have opposite signs, as singular brackets."""
    steps = np.diff(np.concatenate([[False], np.isinf(g), [False]]).astype(np.int8))
    first, last = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1) - 1  # of each run
    inner = (first > 0) & (last < len(g) - 1)
    first, last = first[inner], last[inner]
    before, after = first - 1, last + 1
    opposite = finite[before] & finite[after] & (g[before] * g[after] < 0)
    first, last, before, after = first[opposite], last[opposite], before[opposite], after[opposite]
    scale = np.maximum(np.abs(g[before]), np.abs(g[after]))
    return _Singular((x[first] + x[last]) / 2, x[before], x[after], scale)


def _newton_bisection(
    problem: _Problem, a: np.ndarray, b: np.ndarray, ga: np.ndarray, gb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Refine every bracket [a, b] (g changes sign) at once; returns the points, which are zeros, and the brackets.

    A zero is where g comes out (nearly) 0, or where |g| at the bracket's ends shrank far below its size on the grid
    (cbrt at 0, whose infinite slope keeps |g| at 1e-5 a few ulps away). A bracket whose g stays large (a jump) or
    grows (tan at π/2) is not a zero.
    """
    a, b, ga, gb = a.copy(), b.copy(), ga.copy(), gb.copy()
    scale = np.maximum(np.abs(ga), np.abs(gb))
    # Points are located to a few ulps of the brackets' scale: finer than that, x itself cannot be told apart.
    resolution = _resolution(max(np.max(np.abs(a), initial=0), np.max(np.abs(b), initial=0), problem.spacing))
    x = (a + b) / 2
    for _ in range(ITERATIONS):
        rows = problem.values(x)
        g, slope = rows[problem.k], rows[problem.k + 1]
        if not np.any(g != 0) and len(g):
            break
        # Keep the half of the bracket in which g still changes sign.
        same = np.sign(g) == np.sign(ga)
        a, ga = np.where(same, x, a), np.where(same, g, ga)
        b, gb = np.where(same, b, x), np.where(same, gb, g)
        step = x - g / slope
        inside = np.isfinite(step) & (step > a) & (step < b)
        proposal = np.where(inside, step, (a + b) / 2)
        done = (g == 0) | (proposal == x) | (b - a <= resolution)
        x = np.where(done, x, proposal)
        if np.all(done):
            break
    g = problem.values(x)[problem.k] if len(x) else np.empty(0)
    shrunk = np.maximum(np.abs(ga), np.abs(gb)) <= SHRINK * scale
    return x, np.isfinite(g) & ((np.abs(g) <= ZERO_TOLERANCE * scale) | shrunk), (a, b)


def _newton_touching(
    problem: _Problem, start: np.ndarray, low: np.ndarray, high: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """Plain Newton from each dip of |g|; the zeros it reaches without leaving [low, high]."""
    x = start.copy()
    alive = np.ones(len(x), dtype=bool)
    for _ in range(ITERATIONS):
        if not np.any(alive):
            break
        rows = problem.values(x)
        g, slope = rows[problem.k], rows[problem.k + 1]
        step = np.where(alive & (g != 0) & (slope != 0), g / slope, 0.0)
        x = x - step
        alive &= np.isfinite(x) & (x >= low) & (x <= high) & (step != 0)
        x = np.where(np.isfinite(x), x, start)
    if len(x) == 0:
        return x
    g = problem.values(x)[problem.k]
    inside = (x >= low) & (x <= high)
    return x[inside & np.isfinite(g) & (np.abs(g) <= ZERO_TOLERANCE * scale)]


def _merge_close(points: np.ndarray, spacing: float) -> np.ndarray:
    """One point for each cluster closer than a millionth of the grid spacing (the same zero found twice)."""
    if len(points) < 2:
        return points
    keep = np.concatenate([[True], np.diff(points) > spacing * 1e-6])
    return points[keep]


def _sides(problem: _Problem, at: np.ndarray, row: int) -> tuple[np.ndarray, np.ndarray]:
    """Signs of a derivative just left and right of each point, 0 where they are not the same at SIDE_DISTANCES.

    Several distances guard against a sign that rounding decides: it would not hold steady across them.
    """
    offsets = np.array([d * problem.spacing for d in SIDE_DISTANCES])
    probes = np.concatenate([at[None, :] - offsets[:, None], at[None, :] + offsets[:, None]])
    signs = problem.signs(probes.ravel(), row).reshape(probes.shape)
    left, right = signs[: len(offsets)], signs[len(offsets) :]
    steady = lambda s: np.where(np.all(s == s[0], axis=0), s[0], 0.0)  # noqa: E731
    return steady(left), steady(right)


def _classify_critical(problem: _Problem, at: np.ndarray) -> list[_Found]:
    """The second-derivative test where f″ is clearly non-zero; where it is not, the first-derivative test: f′ from -
    to + is a minimum, from + to - a maximum, one sign on both sides no extremum (a stationary point, x³ at 0), and
    anything else inconclusive."""
    if len(at) == 0:
        return []
    rows = derivatives(problem.expr, at, order=2, params=problem.params).numpy()
    decisive = np.abs(rows[2]) > 1e-8 * np.maximum(1.0, np.abs(rows[0]))
    rest = at[~decisive]
    left, right = _sides(problem, rest, 1) if len(rest) else (np.empty(0), np.empty(0))
    minimum, maximum = (left < 0) & (right > 0), (left > 0) & (right < 0)
    stationary = (left == right) & (left != 0)
    return [
        _Found("minimum", np.concatenate([at[decisive & (rows[2] > 0)], rest[minimum]])),
        _Found("maximum", np.concatenate([at[decisive & (rows[2] < 0)], rest[maximum]])),
        _Found("stationary", rest[stationary]),
        _Found("critical", rest[~minimum & ~maximum & ~stationary]),
    ]


def _real_sign_changes(problem: _Problem, at: np.ndarray) -> np.ndarray:
    """The zeros of f″ across which f″ really changes sign (x⁴ at 0 is not an inflection point)."""
    if len(at) == 0:
        return at
    left, right = _sides(problem, at, 2)
    return at[left * right < 0]
