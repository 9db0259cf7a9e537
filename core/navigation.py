"""The pages of the app and which role sees which: plain data, shared by the Streamlit shell
(`ui/shell.py`, which builds `st.Page`s from it) and the server (`server/routes.py`, which sends a
user to the first page of their role after login). Keys are page ids; `page` is the script path
relative to the repository root."""

PAGES = {
    "overview": dict(page="app_pages/overview.py", title="Обзор целей", icon=":material/target:", url_path="overview"),
    "school": dict(page="app_pages/school.py", title="Школа", icon=":material/school:", url_path="school"),
    "indicator": dict(page="app_pages/indicator.py", title="Показатель", icon=":material/query_stats:",
                      url_path="indicator"),
    "roadmap": dict(page="app_pages/roadmap.py", title="Дорожная карта", icon=":material/timeline:",
                    url_path="roadmap"),
    "risks": dict(page="app_pages/risks.py", title="Факторы риска", icon=":material/crisis_alert:", url_path="risks"),
    "curated": dict(page="app_pages/curated.py", title="Курируемые школы", icon=":material/groups:",
                    url_path="curated"),
    "reports": dict(page="app_pages/reports.py", title="Справки и выгрузки", icon=":material/description:",
                    url_path="reports"),
    "upload": dict(page="app_pages/upload.py", title="Загрузка данных", icon=":material/upload_file:",
                   url_path="upload"),
    "collection": dict(page="app_pages/collection.py", title="Сбор данных", icon=":material/fact_check:",
                       url_path="collection"),
    "entry": dict(page="app_pages/entry.py", title="Ввод данных", icon=":material/edit_note:", url_path="entry"),
    "admin": dict(page="app_pages/admin.py", title="Администрирование", icon=":material/admin_panel_settings:",
                  url_path="admin"),
    "account": dict(page="app_pages/account.py", title="Учётная запись", icon=":material/person:",
                    url_path="account"),
}
ROLE_PAGES = {
    "admin": ["overview", "roadmap", "risks", "indicator", "school", "reports", "upload", "collection", "entry", "admin",
              "account"],
    "head": ["overview", "roadmap", "risks", "indicator", "school", "reports", "collection", "account"],
    "methodologist": ["overview", "roadmap", "risks", "indicator", "school", "reports", "upload", "collection", "entry",
                      "account"],
    "curator": ["curated", "collection", "school", "account"],
    "principal": ["school", "entry", "upload", "account"],
}
