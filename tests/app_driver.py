"""The app driven by Streamlit's AppTest, as the page tests share it: a page opened by its link, and the check that a
run raised nothing."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def ok(at: AppTest) -> AppTest:
    """The app after a run that raised nothing."""
    assert not at.exception, at.exception
    return at


def open_page(
    page: str | None = None, query: dict[str, str] | None = None, *, timeout: float = 120, opened: tuple[str, ...] = ()
) -> AppTest:
    """The app's first run on `page` (a script in views/; None: the default page), its link's query parameters
    `query`, the expanders keyed `opened` open (AppTest cannot click one; those whose content is sent only when
    open). The first run in a process imports torch: hence the generous timeout."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key in opened:
        at.session_state[key] = True
    if page is not None:
        at.switch_page(page)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return ok(at.run())


def part_identities(at: AppTest) -> dict[str, set[str]]:
    """Each keyed part (`@st.fragment(key=...)`) of the page and the identities Streamlit holds for it. An identity is
    the part's place on the page: a part that moves leaves its old one behind whenever a run is cut short, and the
    next `st.rerun` of its key then runs it twice (StreamlitDuplicateElementKey). Read from AppTest's own fragment
    storage: no public API says where a part is."""
    storage = at._fragment_storage
    return {key: set(ids) for key, ids in storage._ids_by_target_key.items()}


def assert_parts_stay_put(at: AppTest, formula_key: str, formulas: list[str]) -> None:
    """The page's parts keep their identities whatever stands above them: a formula with parameters (a slider each),
    a formula that cannot be read (its message under the box), and back."""
    first = part_identities(at)
    assert first, "the page has keyed parts"
    for formula in formulas:
        ok(at.text_input(key=formula_key).input(formula).run())
        assert part_identities(at) == first, formula
