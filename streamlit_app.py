"""The derivlib dashboard: its pages, and nothing else (each page is a script in views/, read top to bottom).

The one-variable page is the default, at the site's root: links shared before there were pages (`/?expr=…`) still
open it with the same view. Each other page has its own address (`/two_variables?expr=…`), from its file's name.
The folder is not called pages/: Streamlit takes an app with a pages/ folder beside its entry for an old-style
multipage app, and a first visitor opening /two_variables on a fresh server would get the page alone, without the
navigation below.
"""

import streamlit as st

st.set_page_config(page_title="derivlib: derivatives of a formula", page_icon="∂", layout="wide")
PAGES = [
    st.Page("views/one_variable.py", title="One variable", icon=":material/show_chart:", default=True),
    st.Page("views/two_variables.py", title="Two variables", icon=":material/landscape:"),
    st.Page("views/optimisation.py", title="Optimisation", icon=":material/route:"),
    st.Page("views/practice.py", title="Practice", icon=":material/school:"),
]
st.navigation(PAGES).run()
