"""The derivlib dashboard: its pages, and nothing else (each page is a script in pages/, read top to bottom).

The one-variable page is the default, at the site's root: links shared before there were pages (`/?expr=…`) still
open it with the same view. Each other page has its own address (`/two_variables?expr=…`).
"""

import streamlit as st

st.set_page_config(page_title="derivlib: derivatives of a formula", page_icon="∂", layout="wide")
PAGES = [
    st.Page("pages/one_variable.py", title="One variable", icon=":material/show_chart:", default=True),
    st.Page("pages/two_variables.py", title="Two variables", icon=":material/landscape:"),
    st.Page("pages/optimisation.py", title="Optimisation", icon=":material/route:"),
]
st.navigation(PAGES).run()
