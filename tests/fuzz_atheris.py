"""The parser's fuzz property (tests/fuzz_core.py) under atheris, coverage-guided: not collected by pytest as a test.

    python tests/fuzz_atheris.py -max_total_time=300 -rss_limit_mb=4096

atheris mutates bytes towards new branches of derivlib's parser; each input is decoded as UTF-8 (invalid bytes
replaced), and half the time read instead as indices into the grammar's own tokens. A failure of the property is an
uncaught AssertionError or other exception, which atheris reports with the input that caused it.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    import atheris  # only here: `pytest --doctest-modules` imports this file, where atheris may not be installed

    sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
    import torch  # noqa: F401 (imported first, so that only derivlib is instrumented)

    with atheris.instrument_imports(include=["derivlib"]):
        import derivlib  # noqa: F401 (instrumented: the parser's branches guide the mutations)
    from fuzz_core import TOKENS, check

    def one_input(data: bytes) -> None:
        if data[:1] == b"\x00":  # a soup of the grammar's tokens
            text = "".join(TOKENS[b % len(TOKENS)] for b in data[1:])
        else:
            text = data.decode("utf-8", errors="replace")
        check(text)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
