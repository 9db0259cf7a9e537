"""Documents: the quarterly справка (DOCX) and exports (XLSX) of a roadmap."""


import streamlit as st

from core import reports
from ui import cache
from ui.common import roadmap_picker, scope

sc = scope()
st.title("Справки и выгрузки")
rm_row = roadmap_picker(sc, "rep_roadmap", prefer_targets=True)
if rm_row is None:
    st.stop()
code, roadmap_id = rm_row.code, rm_row.id
ov = cache.overview(sc, roadmap_id, None)
ends = ov.cut_options
as_of = st.select_slider("По состоянию на", options=ends, value=ov.as_of or ends[-1], format_func=ov.cut_label,
                         key="rep_as_of") if ends else None

st.markdown("**Справка о ходе реализации дорожной карты** — таблица целевых показателей, график по каждой цели, "
            "отстающие школы, мероприятия и контрольные точки (выполнено, просрочено, предстоит), факторы риска "
            "без мероприятий, полнота данных. Числа — те же, что на экране.")
st.download_button("Справка (.docx)", lambda: reports.roadmap_report(sc, roadmap_id, as_of, engine=cache.engine()),
                   file_name=f"справка_{code}_{(as_of or cache.today()):%Y-%m}.docx", mime=reports.DOCX_MIME,
                   type="primary", key="rep_download", icon=":material/download:",
                   help="Формируется при нажатии, около секунды на каждую цель", on_click="ignore")

st.divider()
st.markdown("**Выгрузки таблицами (.xlsx)**")
c1, c2 = st.columns(2)
c1.download_button("Значения показателей (.xlsx)", lambda: reports.measurements_xlsx(sc, roadmap_id, engine=cache.engine()),
                   file_name=f"значения_{code}.xlsx", mime=reports.XLSX_MIME, key="rep_values",
                   icon=":material/table:", on_click="ignore")
c2.download_button("Дорожная карта со статусами (.xlsx)",
                   lambda: reports.roadmap_xlsx(sc, roadmap_id, as_of, engine=cache.engine()),
                   file_name=f"дорожная_карта_{code}.xlsx", mime=reports.XLSX_MIME, key="rep_roadmap_xlsx",
                   icon=":material/table:", on_click="ignore")
