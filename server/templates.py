"""HTML of the login and first-run pages (served by the st.App routes, outside Streamlit)."""

from __future__ import annotations

from html import escape

from server import prefetch

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:"Source Sans Pro","Segoe UI",Arial,sans-serif;background:#eef2f7;color:#102a43}
main{max-width:460px;margin:8vh auto;background:#fff;border-radius:12px;padding:36px 40px;
     box-shadow:0 4px 24px rgba(16,42,67,.12)}
h1{font-size:26px;margin:0 0 6px}
p.sub{margin:0 0 24px;color:#486581;font-size:16px}
label{display:block;font-weight:600;margin:14px 0 6px;font-size:16px}
input{width:100%;padding:12px;border:1px solid #9fb3c8;border-radius:8px;font-size:18px}
input:focus{outline:3px solid #2680c2;border-color:#2680c2}
button{margin-top:22px;width:100%;padding:13px;border:0;border-radius:8px;background:#0b4f8a;color:#fff;
       font-size:18px;font-weight:600;cursor:pointer}
button:hover{background:#093f6e}
.error{background:#fde8e8;color:#8a1c1c;border-left:5px solid #b71c1c;padding:10px 14px;border-radius:6px;margin:0 0 12px}
.notice{background:#e8f1fb;color:#12365a;border-left:5px solid #1d5fa3;padding:10px 14px;border-radius:6px;margin:0 0 12px}
.demo{margin-top:26px;background:#fff7e0;border-left:5px solid #e69500;padding:12px 16px;border-radius:6px;font-size:15px}
.demo table{border-collapse:collapse;margin-top:6px}
.demo td{padding:2px 10px 2px 0}
code{font-size:15px;white-space:nowrap}
@media (max-width:640px){
  body{background:#fff}
  main{margin:0 auto;padding:24px 18px 32px;border-radius:0;box-shadow:none}
  h1{font-size:23px}
  button{min-height:48px}
  .demo{margin-top:22px;padding:10px 12px}
  .demo td{vertical-align:top;padding:3px 8px 3px 0}
}
"""


def _page(title: str, body: str, head: str = "") -> str:
    # the icon is named: without it a browser asks for /favicon.ico, which Streamlit answers with its 9 KiB page
    return f"""<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)}</title><link rel="icon" href="/favicon.png"><style>{_STYLE}</style>{head}</head>
<body><main>{body}</main></body></html>"""


DEMO_ROLES = [
    ("demo-head", "руководитель управления образования"),
    ("demo-methodist", "методист"),
    ("demo-principal", "руководитель школы (СОШ № 2, ШНОР)"),
    ("demo-curator", "куратор (СОШ № 1)"),
    ("demo-admin", "администратор"),
]


def login_page(csrf: str, *, error: str | None = None, login: str = "", next_path: str = "/",
               demo: bool = False, notice: str | None = None) -> str:
    err = f'<div class="error" role="alert">{escape(error)}</div>' if error else ""
    if notice and not error:
        err = f'<div class="notice" role="status">{escape(notice)}</div>'
    demo_html = ""
    if demo:
        rows = "".join(f"<tr><td><code>{escape(l)}</code></td><td>{escape(r)}</td></tr>" for l, r in DEMO_ROLES)
        demo_html = (f'<div class="demo"><b>Демонстрационная база.</b> Данные вымышлены для показа. '
                     f'Учётные записи (пароль <code>demo</code>):<table>{rows}</table></div>')
    body = f"""
<h1>Мониторинг дорожных карт</h1>
<p class="sub">Целевые показатели поддержки ШНОР и ШНСУ. Войдите, чтобы продолжить.</p>
{err}
<form method="post" action="/login">
  <input type="hidden" name="csrf" value="{escape(csrf)}">
  <input type="hidden" name="next" value="{escape(next_path)}">
  <label for="login">Логин</label>
  <input id="login" name="login" autocomplete="username" required value="{escape(login)}" autofocus>
  <label for="password">Пароль</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Войти</button>
</form>
{demo_html}"""
    # the app's scripts are fetched while the person types (server/prefetch.py)
    return _page("Вход — мониторинг дорожных карт", body, head=prefetch.TAG)


def setup_page(csrf: str, *, error: str | None = None, login: str = "", full_name: str = "") -> str:
    err = f'<div class="error" role="alert">{escape(error)}</div>' if error else ""
    body = f"""
<h1>Первый запуск</h1>
<p class="sub">В базе ещё нет пользователей. Создайте учётную запись администратора.</p>
{err}
<form method="post" action="/setup">
  <input type="hidden" name="csrf" value="{escape(csrf)}">
  <label for="full_name">ФИО</label>
  <input id="full_name" name="full_name" required value="{escape(full_name)}">
  <label for="login">Логин</label>
  <input id="login" name="login" autocomplete="username" required value="{escape(login)}">
  <label for="password">Пароль (не меньше 8 символов)</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8">
  <label for="password2">Пароль ещё раз</label>
  <input id="password2" name="password2" type="password" autocomplete="new-password" required minlength="8">
  <button type="submit">Создать администратора</button>
</form>"""
    return _page("Первый запуск — мониторинг дорожных карт", body)


def logout_form(csrf: str, *, label: str = "Выйти", css_class: str = "") -> str:
    """The POST form that logs out (a GET /logout only shows this)."""
    cls = f' class="{escape(css_class)}"' if css_class else ""
    return (f'<form method="post" action="/logout" target="_self"{cls}>'
            f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
            f'<button type="submit">{escape(label)}</button></form>')


def logout_page(csrf: str) -> str:
    body = f"""
<h1>Выход</h1>
<p class="sub">Завершить сеанс работы в системе мониторинга?</p>
{logout_form(csrf)}"""
    return _page("Выход — мониторинг дорожных карт", body)


def unavailable_page(retry_seconds: int) -> str:
    """The page every route answers while the database cannot be reached (503): it reloads itself
    every `retry_seconds`, so the user is back in the app as soon as the database is."""
    body = f"""
<h1>Сервис временно недоступен</h1>
<p class="sub">Нет связи с базой данных. Ваши данные не потеряны: когда связь восстановится, страница
откроется сама (проверка каждые {retry_seconds} секунд).</p>
<p>Если это продолжается дольше нескольких минут, сообщите администратору системы.</p>
<p><a href="">Обновить страницу сейчас</a></p>"""
    page = _page("Сервис временно недоступен — мониторинг дорожных карт", body)
    return page.replace("<head>", f'<head><meta http-equiv="refresh" content="{int(retry_seconds)}">', 1)
