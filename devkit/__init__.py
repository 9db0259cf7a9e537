"""The harness shared by tests and benchmarks (tests/, bench/): starting the app as `streamlit run` does
(`devkit.server`), the browser's path and the waits for an idle page (`devkit.browser`), the AppTest entry
file (`HARNESS`, devkit/app_harness.py), and Word documents made the way offices make them
(`devkit.docx_render`, `devkit.office_docs`). Nothing here is part of the app: the server never imports it.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = str(Path(__file__).resolve().with_name("app_harness.py"))  # AppTest.from_file(HARNESS)
