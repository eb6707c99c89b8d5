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
    """The app's first run on `page` (a script in pages/; None: the default page), its link's query parameters
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
