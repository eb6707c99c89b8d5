"""Practice: check my derivative. Differentiate a formula by hand, type the answer, and see whether it is right, what
kind of mistake it looks like, and where on the x axis it differs from the correct derivative; the correct derivative
itself (with the rules it takes) only when asked for.

Exercises come from derivlib.exercises: "New exercise" makes one of the chosen topic and level; a class set is the
`count` exercises of a topic, level and seed, the same for everyone who opens its link.

The link (query parameters, all optional; the address bar always holds the view's):
  expr        the formula to differentiate, as typed                    expr=tan(4x)
  answer      the answer, as typed (a problem in it is shown under its box, with a caret)
  order       which derivative the answer is: 1, 2 or 3
  xmin, xmax  the range of x the answer is checked on (numbers or constant formulas: -pi); without them, the range
              where the formula's derivative lives (ln x: 0 … 5)
  topic, level   what "New exercise" makes (and a class set's topic and level)
  seed, count    a class set: exercise_set(topic, level, seed, count); n, which of them is shown (1 …)
  set         or a set of the teacher's own formulas, separated by commas: set=x^2 sin(x), exp(3x), ln(x^2 + 1)
  show        1: the correct derivative shown
So /practice?expr=cos(5x)&answer=-sin(5x) opens that answer checked, and
/practice?topic=chain&level=2&seed=17&count=5 opens a class's five exercises.

User text is only ever read by derivlib.parse. Widget keys start with "practice_".
"""

from __future__ import annotations

import random
import urllib.parse
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import derivlib
import page_kit as kit
from derivlib.checking import GRID_POINTS as CHECK_GRID
from derivlib.discontinuities import breaks
from derivlib.exercises import LEVELS, MAX_COUNT, MAX_SEED, TOPICS, exercise, exercise_set, practice_range
from derivlib.figures.one_variable import derivative_name
from derivlib.figures.practice import answer_figure, spans
from derivlib.functions import names_in_words
from derivlib.latex import lines as latex_lines
from derivlib.parse import name_position

PREFIX = "practice_"  # of every widget key on this page
PAGE = "practice"  # the page's address
ORDERS = [1, 2, 3]
CHART_POINTS = 1_000  # points of each curve on the chart (the check itself is derivlib's, on its own grid)
SYMBOLIC_SECONDS = 3.0  # sympy's time for the correct derivative's formula
START = exercise("chain", 1, 0)  # the exercise a bare /practice opens with
DEFAULTS: dict[str, Any] = {
    "expr": START.text,
    "answer": "",
    "order": 1,
    "xmin": START.x[0],
    "xmax": START.x[1],
    "topic": START.topic,
    "level": START.level,
    "seed": 0,
    "count": 5,  # a class set's size (there is a set where the link has count, or set)
    "n": 1,
    "set": "",
    "show": False,
}
TOPIC_NAMES = {
    "power": "Power rule",
    "chain": "Chain rule",
    "product": "Product rule",
    "quotient": "Quotient rule",
    "trigonometric": "Trigonometric functions",
    "exponential and logarithmic": "Exponentials and logarithms",
    "mixed": "Mixed",
}
LEVEL_NAMES = {1: "1 · first steps", 2: "2 · practice", 3: "3 · challenge"}
FORMULA_HELP = (
    "A formula in x: powers with ^ (x^3), products with * or a space (2x, x sin(x)), e^x as exp(x), ln or log for "
    "the natural logarithm, constants pi and e. The functions: " + names_in_words() + "."
)
ANSWER_HELP = "Your derivative, written as the formula is: 5cos(5x), -sin(x)/x^2, 2x exp(x^2). Press Enter to check."


# ---------------------------------------------------------------------------------------------------------------------
# The share link: query parameters <-> widget values


def read_seed(text: str) -> int:
    value = kit.read_whole_number(text)
    if not 0 <= value < MAX_SEED:
        raise ValueError(f"a seed goes from 0 to {MAX_SEED - 1:,}")
    return value


def read_count(text: str) -> int:
    value = kit.read_whole_number(text)
    if not 1 <= value <= MAX_COUNT:
        raise ValueError(f"a set holds 1 to {MAX_COUNT} exercises")
    return value


def read_formula_set(text: str) -> str:
    """Formulas in x separated by commas (a comma inside a call's parentheses separates nothing): a teacher's own
    set. ExpressionError points at a problem in the whole text."""
    formulas = derivlib.parse_list(text)
    if len(formulas) > MAX_COUNT:
        raise ValueError(f"a set holds at most {MAX_COUNT} exercises, not {len(formulas)}")
    for formula in formulas:
        if formula.parameters:
            name = formula.parameters[0]
            position = text.index(formula.source) + name_position(formula.source, name)
            raise derivlib.ExpressionError(f"'{name}' would be a parameter: write a number instead", text, position)
    return text


LINK = kit.Link(
    PAGE,
    DEFAULTS,
    {
        "expr": kit.read_formula(),
        "answer": str,  # as typed: a problem in it is shown under its box, with a caret
        "order": kit.read_choice(ORDERS, kit.read_whole_number),
        "xmin": kit.read_constant,
        "xmax": kit.read_constant,
        "topic": kit.read_choice(list(TOPICS)),
        "level": kit.read_choice(list(LEVELS), kit.read_whole_number),
        "seed": read_seed,
        "count": read_count,
        "n": kit.read_whole_number,  # at most the set's size: checked below
        "set": read_formula_set,
        "show": kit.read_switch,
    },
    prefix=PREFIX,
)


def check_link(values: dict, notes: list[str]) -> None:
    """What the link's values must satisfy together: a set to pick exercise n from (its formula and range are the
    page's unless the link gives them), a range where the derivative lives when none is given, a usable range."""
    query = st.query_params
    notes[:] = [note.removesuffix(": using ") + ": no set" if note.startswith("`set=") else note for note in notes]
    spec = set_spec(values) if ("count" in query or values["set"]) else None
    if spec is not None:
        items = set_items(spec)
        if not 1 <= values["n"] <= len(items):
            notes.append(f"`n={values['n']}`: the set has exercises 1 to {len(items)}: using 1")
            values["n"] = 1
        if values["expr"] != query.get("expr"):  # none in the link, or one that could not be used
            values["expr"] = items[values["n"] - 1][0]
    st.session_state[f"{PREFIX}spec"] = spec
    if "xmin" not in query and "xmax" not in query:
        values["xmin"], values["xmax"] = exercise_range(values["expr"])
    kit.check_link_ranges_and_parameters(values, notes, DEFAULTS, ("x",), "float64")


def set_spec(values: dict) -> tuple:
    """What a set is made from: ("own", the formulas' text) or ("generated", topic, level, seed, count)."""
    if values["set"]:
        return ("own", values["set"])
    return ("generated", values["topic"], values["level"], values["seed"], values["count"])


def write_link() -> None:
    """The address bar: every input of the page as it is now."""
    state = st.session_state
    values = {name: state[PREFIX + name] for name in ("expr", "answer", "order", "xmin", "xmax", "topic", "level")}
    spec = state.get(f"{PREFIX}spec")
    if spec is not None and spec[0] == "own":
        values |= {"set": spec[1], "n": state[f"{PREFIX}n"]}
    elif spec is not None:
        _, values["topic"], values["level"], seed, count = spec
        values |= {"seed": seed, "count": count, "n": state[f"{PREFIX}n"]}
    if state[f"{PREFIX}show"]:
        values["show"] = True
    LINK.write({name: value for name, value in values.items() if name != "answer" or value})


def address(values: dict[str, Any]) -> str:
    """A link to this page with these query parameters: absolute where the browser's address is known (AppTest has
    none: then relative to the site). Brackets, powers and commas are left as typed, for a link that reads."""
    url = urllib.parse.urlsplit(st.context.url or "")
    path = url.path if url.path.endswith(f"/{PAGE}") else f"{url.path.rstrip('/')}/{PAGE}"
    text = {
        k: f"{v:.15g}" if isinstance(v, float) else str(int(v) if isinstance(v, bool) else v) for k, v in values.items()
    }
    query = "&".join(f"{k}={urllib.parse.quote(v, safe=READABLE)}" for k, v in text.items())
    return urllib.parse.urlunsplit((url.scheme, url.netloc, path, query, ""))


READABLE = "()^*/,|!"  # characters that a query may hold as they are (a space, + and & may not)


# ---------------------------------------------------------------------------------------------------------------------
# Computation: cached functions of plain values that return plain data


@st.cache_data(max_entries=64, show_spinner=False)
def set_items(spec: tuple) -> list[tuple[str, tuple[float, float]]]:
    """A set's exercises: each formula's text and the range it is checked on."""
    if spec[0] == "own":
        texts = [formula.source.strip() for formula in derivlib.parse_list(spec[1])]  # each as typed
        return [(text, exercise_range(text)) for text in texts]
    return [(item.text, item.x) for item in exercise_set(*spec[1:])]


def exercise_range(text: str) -> tuple[float, float]:
    """Where to check a formula's derivative (derivlib.exercises.practice_range); -5 … 5 for a formula that has no
    derivative to look at (a parameter without a value: its box says so)."""
    try:
        return practice_range(text)
    except ValueError:
        return DEFAULTS["xmin"], DEFAULTS["xmax"]


@st.cache_data(max_entries=64, show_spinner=False)
def checked(expr: str, answer: str, order: int, xmin: float, xmax: float):
    """derivlib's verdict on the answer, and the chart's curves: x, the correct derivative and the answer on
    CHART_POINTS points, with the places where each jumps (no line is drawn across)."""
    result = derivlib.check_derivative(expr, answer, order=order, x=(xmin, xmax))
    x = derivlib.grid(xmin, xmax, CHART_POINTS)
    expected_rows = derivlib.derivatives(expr, x, order=order + 1).numpy()
    given_rows = derivlib.derivatives(answer, x, order=1).numpy()
    points = x.numpy()
    gaps = (
        breaks(derivlib.parse(expr), points, expected_rows, None)[order],
        breaks(derivlib.parse(answer), points, given_rows, None)[0],
    )
    frame = pd.DataFrame({"x": points, "expected": expected_rows[order], "given": given_rows[0]})
    return result, frame, gaps


@st.cache_data(max_entries=64, show_spinner=False)
def derivative_latex(expr: str, order: int) -> tuple[str, str]:
    """The correct derivative in LaTeX (sympy's, from derivlib's tree), and a note where sympy did not finish."""
    formula = derivlib.derivative_formulas(expr, order, timeout=SYMBOLIC_SECONDS)[order]
    return formula.latex, formula.note


def latex_name(order: int) -> str:
    return "f" + "'" * order


# ---------------------------------------------------------------------------------------------------------------------
# Reading the boxes


def formula_in_x(text: str, *, answer: bool = False) -> derivlib.Expression:
    """The text as a formula in x alone, or ExpressionError pointing at the problem (a parameter's name too: this
    page checks answers at numbers, and a parameter has none)."""
    expr = derivlib.parse(text)
    if expr.parameters:
        name = expr.parameters[0]
        message = (
            f"the answer uses {name}, which is not in the formula: the derivative is in x"
            if answer
            else f"'{name}' would be a parameter: this page takes formulas in x alone. Write a number instead"
        )
        raise derivlib.ExpressionError(message, text, name_position(text, name))
    return expr


def differing_spans(differs: pd.DataFrame, xmin: float, xmax: float) -> list[tuple[float, float]]:
    """The stretches of x where the answer differs: the points of derivlib's grid (and the random points between)
    where it does, neighbours joined, each reaching half a grid step beyond."""
    return spans(differs["x"].to_numpy(dtype=float), (xmax - xmin) / (CHECK_GRID - 1), xmin, xmax)


# ---------------------------------------------------------------------------------------------------------------------
# What the buttons do (callbacks: they run before the page, so that the boxes show what they set)


def start(text: str, x: tuple[float, float]) -> None:
    """Put an exercise in the formula box, with an empty answer, its range, and the derivative hidden."""
    state = st.session_state
    state[f"{PREFIX}expr"] = text
    state[f"{PREFIX}answer"] = ""
    state[f"{PREFIX}xmin"], state[f"{PREFIX}xmax"] = x
    state[f"{PREFIX}show"] = False
    state.pop(f"{PREFIX}good", None)


def new_exercise() -> None:
    """An exercise of the chosen topic and level, from a new seed; any class set is left."""
    state = st.session_state
    item = exercise(state[f"{PREFIX}topic"], state[f"{PREFIX}level"], random.randrange(MAX_SEED))
    state[f"{PREFIX}spec"] = None
    start(item.text, item.x)


def go_to(n: int) -> None:
    """Exercise n of the set."""
    items = set_items(st.session_state[f"{PREFIX}spec"])
    st.session_state[f"{PREFIX}n"] = n
    start(*items[n - 1])


def make_class_set() -> None:
    """A class set of the chosen topic and level, from a new seed: its first exercise."""
    state = st.session_state
    seed = random.randrange(MAX_SEED)
    topic, level, count = (state[PREFIX + name] for name in ("topic", "level", "set_size"))
    state[f"{PREFIX}spec"] = ("generated", topic, level, seed, count)
    go_to(1)


def use_own_set() -> None:
    state = st.session_state
    text = state[f"{PREFIX}own_set"]
    try:
        read_formula_set(text)
    except ValueError:  # the problem is shown under the box
        return
    state[f"{PREFIX}spec"] = ("own", text)
    go_to(1)


def chooser_changed() -> None:
    """Another topic or level: a class set of the last one is left (the link holds the chosen topic and level)."""
    state = st.session_state
    if state.get(f"{PREFIX}spec") and state[f"{PREFIX}spec"][0] == "generated":
        state[f"{PREFIX}spec"] = None


def answered() -> None:
    """The student checked an answer (Enter in its box, or the button): it counts in the score."""
    st.session_state[f"{PREFIX}answered"] = True


# ---------------------------------------------------------------------------------------------------------------------
# The page's parts


def exercise_row() -> DeltaGenerator:
    """Topic, level, a new exercise, and a place for the score (filled once this run's answer is counted)."""
    row = st.container(horizontal=True, vertical_alignment="bottom", key=f"{PREFIX}exercise_row")
    row.selectbox(
        "Topic",
        TOPICS,
        key=f"{PREFIX}topic",
        format_func=TOPIC_NAMES.__getitem__,
        on_change=chooser_changed,
        width=230,
    )
    row.selectbox(
        "Level",
        LEVELS,
        key=f"{PREFIX}level",
        format_func=LEVEL_NAMES.__getitem__,
        on_change=chooser_changed,
        width=160,
    )
    row.button("New exercise", key=f"{PREFIX}new", on_click=new_exercise, icon=":material/casino:", type="primary")
    return row.empty()


def show_score(place: DeltaGenerator) -> None:
    tried = st.session_state[f"{PREFIX}score"]
    place.markdown(  # (a line, not a metric: on a phone it shares the button's row)
        f"Score **{sum(tried.values())} / {len(tried)}**",
        help="Exercises you answered right / exercises you answered, in this session. An exercise counts once: "
        "right if one of your answers to it was right.",
        width="content",
    )


def set_row() -> None:
    """Where the student is in a class set, and the way to the others."""
    spec = st.session_state.get(f"{PREFIX}spec")
    if spec is None:
        return
    items = set_items(spec)
    n = st.session_state[f"{PREFIX}n"]
    what = f"{TOPIC_NAMES[spec[1]].lower()}, level {spec[2]}" if spec[0] == "generated" else "your teacher's formulas"
    done = st.session_state.get(f"{PREFIX}score", {})
    order = st.session_state[f"{PREFIX}order"]
    marks = " · ".join(
        f"{k}. `{text}`" + (" ✓" if done.get((str(derivlib.parse(text)), order)) else "")
        for k, (text, _) in enumerate(items, 1)
    )
    text, back, forward = st.columns([6, 1, 1], vertical_alignment="center")
    text.markdown(f"**Exercise {n} of {len(items)}** in the class set ({what})")
    text.caption(marks)
    back.button(
        "Previous",
        key=f"{PREFIX}previous",
        on_click=go_to,
        args=(n - 1,),
        disabled=n <= 1,
        icon=":material/chevron_left:",
        width="stretch",
    )
    forward.button(
        "Next",
        key=f"{PREFIX}next",
        on_click=go_to,
        args=(n + 1,),
        disabled=n >= len(items),
        icon=":material/chevron_right:",
        width="stretch",
    )


def formula_rows() -> tuple[derivlib.Expression | None, derivlib.Expression | None]:
    """The formula and the order, the answer and its button: the formula and the answer as read (None where a box
    cannot be read: the problem is shown under it, or the answer is empty)."""
    state = st.session_state
    box, order_box = st.columns([3, 1], vertical_alignment="bottom")
    box.text_input("Differentiate  f(x) =", key=f"{PREFIX}expr", help=FORMULA_HELP, placeholder="for example sin(5x)")
    order_box.radio("Derivative", ORDERS, key=f"{PREFIX}order", horizontal=True, format_func=derivative_name)
    try:
        expr = formula_in_x(state[f"{PREFIX}expr"])
        st.markdown(f"Read as  `f(x) = {expr}`")
    except derivlib.ExpressionError as error:
        kit.show_error(error)
        expr = None
    name = derivative_name(state[f"{PREFIX}order"])
    row = st.container(horizontal=True, vertical_alignment="bottom")  # the button beside the box, on a phone too
    row.text_input(
        f"Your answer  {name}(x) =",
        key=f"{PREFIX}answer",
        help=ANSWER_HELP,
        on_change=answered,
        placeholder="type it, then press Enter",
    )
    row.button("Check", key=f"{PREFIX}check", on_click=answered, icon=":material/task_alt:")
    answer = None
    if state[f"{PREFIX}answer"].strip():
        try:
            answer = formula_in_x(state[f"{PREFIX}answer"], answer=True)
            st.markdown(f"Read as  `{name}(x) = {answer}`")
        except derivlib.ExpressionError as error:
            kit.show_error(error)
    return expr, answer


def current_inputs(expr: derivlib.Expression | None, answer: derivlib.Expression | None) -> dict | None:
    """The check's inputs as the boxes hold them, or None where one cannot be used."""
    state = st.session_state
    if expr is None or answer is None or not state[f"{PREFIX}range_usable"]:
        return None
    return {
        "expr": state[f"{PREFIX}expr"],
        "answer": state[f"{PREFIX}answer"],
        "order": state[f"{PREFIX}order"],
        "xmin": state[f"{PREFIX}xmin"],
        "xmax": state[f"{PREFIX}xmax"],
    }


def verdict_part(inputs: dict | None) -> tuple[dict, Any] | None:
    """The verdict on the answer, and the chart: for the inputs, or else for the last inputs that could be checked
    (said so); the inputs shown and derivlib's verdict, or None."""
    state = st.session_state
    good = state.get(f"{PREFIX}good")
    found = None
    for attempt in (inputs, good):
        if attempt is None:
            continue
        try:
            kit.within_limits(ranges=[(attempt["xmin"], attempt["xmax"])], order=attempt["order"])
            found = checked(*(attempt[key] for key in ("expr", "answer", "order", "xmin", "xmax"))), attempt
            break
        except derivlib.ExpressionError as error:
            kit.show_error(error)
        except ValueError as error:
            st.error(kit.first_line(error))
    if state.pop(f"{PREFIX}answered", False) and found is not None and found[1] is inputs:
        key = (str(derivlib.parse(inputs["expr"])), inputs["order"])
        state[f"{PREFIX}score"][key] = state[f"{PREFIX}score"].get(key, False) or found[0][0].correct
    if found is None:
        if not state[f"{PREFIX}answer"].strip():
            name = derivative_name(state[f"{PREFIX}order"])
            st.info(
                f"Differentiate f by hand, type your {name}(x) above and press Enter: this page checks it.",
                icon=":material/edit:",
            )
        return None
    (result, frame, gaps), shown = found
    state[f"{PREFIX}good"] = shown
    name = derivative_name(shown["order"])
    if shown is not inputs:
        st.info(
            f"Showing the last answer that could be checked: `{name}(x) = {shown['answer']}` for "
            f"`f(x) = {shown['expr']}`. Correct the input to check it.",
            icon=":material/history:",
        )
    with st.container(key=f"{PREFIX}verdict"):
        if result.correct:
            st.success(bold_start(result.message, "Right"), icon=":material/check_circle:")
        else:
            st.warning(f"**Not right yet.** {result.message}", icon=":material/error:")
            if result.mistake and result.mistake not in result.message:
                st.caption(f"The kind of mistake it looks like: {result.mistake}.")
    differ = differing_spans(result.differs, shown["xmin"], shown["xmax"])
    st.plotly_chart(
        answer_figure(frame, differ, order=shown["order"], gaps=gaps),
        config={"displaylogo": False},
        key=f"{PREFIX}chart",
    )
    if differ:
        where = f"Shaded: where your answer differs from {name}."
    elif result.correct:
        where = f"Your answer equals {name} wherever {name} is defined here: the dashed curve lies on the solid one."
    else:
        where = "The difference is too small to see on the chart."
    st.caption(
        f"{name}, the correct derivative (solid), and your answer (dashed), from x = {shown['xmin']:g} to "
        f"{shown['xmax']:g}. {where} No line is drawn where a curve is undefined or jumps."
    )
    return shown, result


def bold_start(message: str, word: str) -> str:
    """The message with its first word in bold where it is `word` ('**Right:** …')."""
    return f"**{word}:**{message[len(word) + 1 :]}" if message.startswith(f"{word}:") else message


def derivative_part(found: tuple[dict, Any] | None) -> None:
    """The correct derivative, only when asked for: its formula in LaTeX, and the rules that take it there (of the
    answer checked, or else of the formula in the box)."""
    state = st.session_state
    expr = found[0]["expr"] if found else state[f"{PREFIX}expr"]
    order = found[0]["order"] if found else state[f"{PREFIX}order"]
    st.toggle("Show the derivative", key=f"{PREFIX}show", help="The correct derivative, and the rules it takes")
    if not state[f"{PREFIX}show"]:
        return
    try:
        formula_in_x(expr)
        steps = found[1].steps if found else derivlib.derivative_steps(expr)
    except derivlib.ExpressionError:  # said under the formula's box
        return
    except ValueError as error:
        st.error(kit.first_line(error))
        return
    text = found[1].expected_text if found else ""
    latex, note = derivative_latex(expr, order)
    if latex:
        st.latex(latex_lines(f"{latex_name(order)}(x) = {latex}"))
    if note:
        st.caption(f":material/info: {note}")
    if text:
        st.caption(f"As text: `{text}`")
    if steps:
        st.markdown(
            "**The rules it takes**, from the outside in:\n" + "\n".join(f"- {rule}: `{part}`" for rule, part in steps)
        )


def share_part() -> None:
    """Links a teacher sends: this exercise with this answer, the exercise alone, and a class set."""
    state = st.session_state
    st.subheader("Share")
    exercise_values = {
        "expr": state[f"{PREFIX}expr"],
        "order": state[f"{PREFIX}order"],
        "xmin": state[f"{PREFIX}xmin"],
        "xmax": state[f"{PREFIX}xmax"],
    }
    left, right = st.columns(2)
    with left:
        st.markdown("**This exercise, for a student to answer**")
        st.code(address(exercise_values), language=None, wrap_lines=True)
    if state[f"{PREFIX}answer"].strip():
        with right:
            st.markdown("**This exercise with this answer, checked**")
            st.code(address(exercise_values | {"answer": state[f"{PREFIX}answer"]}), language=None, wrap_lines=True)
    st.caption(
        "A link carries the formula (expr), the answer (answer, in the second link only), which derivative (order) "
        "and the range checked (xmin, xmax): whoever opens it sees the boxes filled in and, with an answer, the "
        "verdict."
    )
    with st.expander("A set of exercises for a class", icon=":material/groups:"):
        st.caption(
            "Everyone who opens the link gets the same exercises, one after the other, and the page keeps each "
            "student's score. A set is made from the topic and level chosen above and a seed (the link carries "
            "topic, level, seed and count), or from your own formulas (the link carries them as set=…)."
        )
        size, make = st.columns([1, 2], vertical_alignment="bottom")
        size.number_input("Exercises", 1, MAX_COUNT, key=f"{PREFIX}set_size")
        make.button(
            f"Make a set: {TOPIC_NAMES[state[f'{PREFIX}topic']].lower()}, level {state[f'{PREFIX}level']}",
            key=f"{PREFIX}make_set",
            on_click=make_class_set,
            icon=":material/playlist_add:",
        )
        st.text_input(
            "Or your own formulas, separated by commas",
            key=f"{PREFIX}own_set",
            placeholder="x^2 sin(x), exp(3x), ln(x^2 + 1)",
        )
        if state[f"{PREFIX}own_set"].strip():
            try:
                read_formula_set(state[f"{PREFIX}own_set"])
                st.button("Use these formulas", key=f"{PREFIX}use_own", on_click=use_own_set)
            except derivlib.ExpressionError as error:
                kit.show_error(error)
            except ValueError as error:
                st.error(str(error))
        spec = state.get(f"{PREFIX}spec")
        if spec is not None:
            values: dict[str, Any] = (
                {"set": spec[1]}
                if spec[0] == "own"
                else dict(zip(("topic", "level", "seed", "count"), spec[1:], strict=True))
            )
            st.markdown(f"**The link of this class set** ({len(set_items(spec))} exercises)")
            st.code(address(values), language=None, wrap_lines=True)
    st.caption(kit.SHARE)


# ---------------------------------------------------------------------------------------------------------------------
# The page

kit.start_sympy_helper()  # in the background: the derivative's formula, when asked for, is then ready sooner
LINK.fill(check_link)  # on this page's first run: the inputs from the link
for name, value in (("set_size", DEFAULTS["count"]), ("own_set", ""), ("score", {})):
    st.session_state.setdefault(PREFIX + name, value)

kit.page_top(
    "∂ Practice: check my derivative",
    "Differentiate a formula by hand and type your answer: the page says whether it is right, what kind of mistake "
    "it looks like, and where on the x axis it goes wrong. The correct derivative is shown only when you ask for it.",
)
with st.container():
    LINK.warn()
    score_place = exercise_row()
    set_row()
    expr_read, answer_read = formula_rows()
verdict_box = st.container()  # above the range's boxes, which come first: the verdict needs the range
st.session_state[f"{PREFIX}range_usable"] = kit.range_inputs(("x",), PREFIX, "float64")
with verdict_box:
    checked_answer = verdict_part(current_inputs(expr_read, answer_read))
show_score(score_place)
derivative_part(checked_answer)
write_link()
share_part()
