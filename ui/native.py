"""Streamlit's own English, replaced by Russian or hidden, app-wide: the one place for it.

Streamlit 1.67 has no interface language: its hints, placeholders and menu texts are English and
computed in the browser (the Python side sends no text for them), so they are changed here by CSS,
drawn with the theme on every run (`ui.shell`). Each rule names the element by its `data-testid`
or React Aria attribute, never by a generated class. What is covered (checked by
tests/e2e/test_page_tour.py for every role, after focusing, typing, opening and hovering):

- a text, number or text-area field's hint «Press Enter to submit form» / «Press Ctrl+Enter to
  apply»: hidden (the form's own button says what to press); the character counter «3/2000» stays;
- a select box's «Choose an option» / «Choose options» / «No options to select» placeholder: hidden
  (pages that leave a box empty pass a Russian `placeholder=`); «No results» of a search → «Ничего не
  найдено»; a multiselect's «Select all» / «Select N matches» → «Выбрать все» / «Выбрать все найденные»;
- the file uploader's «Drag and drop file here», «Limit 16MB per file», «Browse files» and the chip's
  size «5.1KB»: Russian instructions and button, the size hidden;
- the hover toolbar of tables and charts («Download as CSV», «Fullscreen», «Show data»…): hidden; a
  table or chart worth keeping has the page's own Russian downloads;
- a date range picker's quick choice «Date range / Past Month»: hidden;
- the skip link «Skip to main content» → «Перейти к содержанию».

The date picker's calendar follows the browser's language (the offices' browsers are Russian).
"""

from __future__ import annotations

CSS = """
<style>
  /* field hints («Press Enter to submit form»): the first message is the hint, a counter («3/2000») follows */
  [data-testid="InputInstructions"] > span:first-child { display: none }
  [data-testid="InputInstructions"] > span + span::before { content: none !important; margin: 0 }
  /* select boxes: Streamlit's English placeholders hidden (a page that wants one passes it in Russian) */
  input[placeholder="Choose an option"]::placeholder, input[placeholder="Choose options"]::placeholder,
  input[placeholder="No options to select"]::placeholder, input[placeholder="Choose or add an option"]::placeholder,
  input[placeholder="Choose or add options"]::placeholder, input[placeholder="Add an option"]::placeholder,
  input[placeholder="Add options"]::placeholder { color: transparent !important }
  /* «Select all» / «Select 3 matches» at the top of a multiselect's list */
  [role="option"][data-key="__select_all__"] [data-item-hl] { font-size: 0 }
  [role="option"][data-key="__select_all__"] [data-item-hl]::after { content: "Выбрать все"; font-size: 1rem }
  /* «No results» of a search in a select box */
  [role="listbox"][data-empty="true"] [role="option"] span { font-size: 0 }
  [role="listbox"][data-empty="true"] [role="option"] span::after { content: "Ничего не найдено"; font-size: 1rem }
  /* the file uploader: Russian instructions and buttons */
  [data-testid="stFileUploaderDropzoneInstructions"] > div > span,
  [data-testid="stFileUploaderDropzoneInstructions"] > div > small { display: none }
  [data-testid="stFileUploaderDropzoneInstructions"] > div::before {
      content: "Перетащите файл сюда или нажмите «Выбрать файл»"; font-size: 1rem }
  /* only the dropzone's own buttons (browse; «+» once a file is chosen), never a file chip's delete (×) */
  [data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"] p { display: none }
  [data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"]::after {
      content: "Выбрать файл"; font-size: 1rem; white-space: nowrap }
  [data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-borderlessIcon"]::after {
      content: "Добавить файл"; font-size: 1rem; white-space: nowrap; margin-left: .3rem }
  [data-testid="stFileUploaderDropzone"] button { white-space: nowrap; flex-shrink: 0 }
  /* the chip's size («5.1KB») has English units and no Russian form in CSS: hidden */
  [data-testid="stFileChipName"] + div { display: none }
  /* a date range picker's quick choice «Date range: Past Month»: hidden (the calendar picks the range) */
  [data-testid="stDateInputQuickSelect"] { display: none !important }
  /* the hover toolbar of tables and charts (English tooltips): hidden */
  [data-testid="stElementToolbar"] { display: none !important }
  a[data-testid="stSkipToContent"], [data-testid="stSkipToContent"] { font-size: 0 !important }
  [data-testid="stSkipToContent"]::after { content: "Перейти к содержанию"; font-size: 1rem }
</style>
"""
