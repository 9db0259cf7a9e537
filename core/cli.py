"""Command line for the operator:

    python -m core.cli upgrade                         # schema to the newest revision
    python -m core.cli recount                         # rebuild the summary and the target counts
    python -m core.cli create-admin --login L --name "Ф. И. О."
    python -m core.cli reset-password --login L        # ends every session of that user
    python -m core.cli check | backup | backups | restore NAME --yes
    python -m core.cli load-roadmap FILE.xlsx [--check] [--territory CODE | --new-territory]   # a roadmap workbook
    python -m core.cli draft-roadmap FILE.docx -o DRAFT.xlsx   # a draft workbook from the office's Word document
    python -m core.cli approve --territory NAME --period 2024-Q3 --user LOGIN   # approve a checked quarter
    python -m core.cli unlock --territory NAME --period 2024-Q3 --user LOGIN --reason TEXT

Passwords are asked for twice on the terminal, or read from standard input with --password-stdin.
"""

from __future__ import annotations

from core.errors import Refused

import argparse
import getpass
import sys

from sqlmodel import select

from core import auth
from core.db import session_scope
from core.startup import ensure_database
from core.models import User


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Пароль: ")
    if first != getpass.getpass("Пароль ещё раз: "):
        raise auth.AuthError("Пароли не совпадают.")
    return first


def _load_roadmap(args, engine) -> int:
    from pathlib import Path

    from core import roadmap_book

    path = Path(args.file)
    try:
        data = path.read_bytes()
        territory = roadmap_book.NEW_TERRITORY if args.new_territory else args.territory
        pv = roadmap_book.prepare(auth.system_scope(), data, path.name, engine, territory=territory)
    except (OSError, Refused) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    for p in pv.problems:
        print(("Ошибка: " if p.level == "error" else "Предупреждение: ") + p.text, file=sys.stderr)
    if pv.territory_match:
        print("Для какой территории эта карта? Повторите команду с --territory КОД, чтобы загрузить её для "
              "территории из системы (" + ", ".join(f"{m['code']} — «{m['name']}»" for m in pv.territory_match)
              + "), или с --new-territory, чтобы создать новую.", file=sys.stderr)
    if not pv.ok:
        print(f"Найдено ошибок: {len(pv.errors)}; ничего не записано.", file=sys.stderr)
        return 1
    if args.check:
        print(f"Файл в порядке: {roadmap_book.summary_text(pv)}. Ничего не записано (--check).")
        return 0
    out = roadmap_book.apply(auth.system_scope(), pv, data, engine=engine)
    verb = "заменена" if pv.replaces else "записана"
    print(f"Дорожная карта «{pv.roadmap['code']}» {verb} (№ {out['roadmap_id']}): {roadmap_book.summary_text(pv)}.")
    return 0


def _draft_roadmap(args) -> int:
    """No database: the Word document in, the draft workbook out, the summary on the terminal."""
    from pathlib import Path

    from core import roadmap_docx

    path = Path(args.file)
    out = Path(args.output) if args.output else path.with_suffix(".черновик.xlsx")
    try:
        raw, d = roadmap_docx.draft_workbook(path.read_bytes(), path.name)
        out.write_bytes(raw)
    except (OSError, Refused) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    print(f"Черновик дорожной карты: {out}")
    print(d.summary())
    return 0


def _cycle_step(args, engine) -> int:
    from core import cycle

    with session_scope(engine) as s:
        user = s.exec(select(User).where(User.login == args.user.strip().lower(), User.is_active == True)  # noqa: E712
                      ).first()
        if user is None:
            print(f"Ошибка: пользователь «{args.user}» не найден или отключён.", file=sys.stderr)
            return 2
        scope = auth.scope_for(s, user)
    try:
        if args.command == "approve":
            info = cycle.approve(scope, args.territory, args.period, engine)
        else:
            info = cycle.unlock(scope, args.territory, args.period, args.reason, engine)
    except Refused as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 1
    print(f"{info.territory}, {info.period_label}: {info.label}. {info.note}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.cli", description="Администрирование мониторинга")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="обновить схему базы данных")
    sub.add_parser("build-demo", help="загрузить демонстрационные данные в пустую базу (DATABASE_URL)")
    sub.add_parser("recount", help="пересчитать сводные таблицы (суммы по территориям и число школ, выполняющих цели)")
    sub.add_parser("check", help="проверить целостность базы (ничего не исправляет)")
    sub.add_parser("backup", help="сделать резервную копию базы SQLite (можно при работающем приложении)")
    sub.add_parser("backups", help="список резервных копий")
    p = sub.add_parser("restore", help="восстановить базу из резервной копии")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="подтверждаю замену всех текущих данных")
    p = sub.add_parser("create-admin", help="создать первого администратора")
    p.add_argument("--login", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--password-stdin", action="store_true")
    p = sub.add_parser("reset-password", help="задать пользователю новый пароль")
    p.add_argument("--login", required=True)
    p.add_argument("--password-stdin", action="store_true")
    p = sub.add_parser("load-roadmap", help="загрузить дорожную карту из файла Excel (формат — шаблон дорожной карты)")
    p.add_argument("file")
    p.add_argument("--check", action="store_true", help="только проверить, ничего не записывать")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--territory", metavar="КОД", help="загрузить для этой территории системы (если код в файле новый, "
                                                         "а название совпадает с существующей территорией)")
    who.add_argument("--new-territory", action="store_true",
                     help="создать территорию из файла, даже если в системе есть территория с похожим названием")
    p = sub.add_parser("draft-roadmap", help="черновик файла дорожной карты (Excel) из документа Word (.docx)")
    p.add_argument("file")
    p.add_argument("-o", "--output", help="куда записать черновик .xlsx (по умолчанию рядом с документом)")
    for name, text_ in (("approve", "утвердить проверенные данные территории за период (от имени пользователя)"),
                        ("unlock", "снять утверждение данных территории за период, с причиной")):
        p = sub.add_parser(name, help=text_)
        p.add_argument("--territory", required=True, help="название или код территории")
        p.add_argument("--period", required=True, help="код периода, например 2024-Q3")
        p.add_argument("--user", required=True, help="логин руководителя или администратора")
        if name == "unlock":
            p.add_argument("--reason", required=True)
    return parser


def _build_demo(args, engine) -> int:
    from core import demo

    try:
        counts = demo.build(engine)
    except RuntimeError as exc:  # the database already holds data (or the demo itself)
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    print("Демонстрационные данные загружены: " + ", ".join(f"{k}: {v}" for k, v in counts.items()) + ".")
    return 0


def _check(args, engine) -> int:
    from core import maintenance

    findings = maintenance.integrity(engine)
    for f in findings:
        print(f"Проблема: {f.detail} ({f.count})")
    print("Целостность в порядке." if not findings else f"Найдено проблем: {len(findings)}.")
    return 0 if not findings else 1


def _backups(args, engine) -> int:
    from core import maintenance
    from core.formatting import moment

    if args.command == "backup":
        print(f"Резервная копия: {maintenance.backup(auth.system_scope(), engine)}")
    elif args.command == "backups":
        for b in maintenance.list_backups():
            print(f"{b['name']}\t{b['size'] / 1024 / 1024:.1f} МБ\t{moment(b['made'])}")
    else:
        before = maintenance.restore(auth.system_scope(), args.name, confirm=args.yes, engine=engine)
        print(f"База восстановлена из «{args.name}». Состояние до восстановления сохранено: {before.name}")
    return 0


def _recount(args, engine) -> int:
    from core import summary

    with session_scope(engine, write=True) as s:
        summary.refresh(s)
    print("Сводные таблицы пересчитаны.")
    return 0


def _reset_password(args, engine) -> int:
    password = _password(args)
    auth.check_password_rules(password)
    password_hash = auth.hash_password(password)  # Argon2 before, not inside, the write transaction
    with session_scope(engine, write=True) as s:
        user = s.exec(select(User).where(User.login == args.login.strip().lower())).first()
        if user is None:
            raise auth.AuthError(f"Пользователь «{args.login}» не найден.")
        auth.set_password(s, user, password, by=auth.system_scope(), password_hash=password_hash)
    print(f"Пароль пользователя «{user.login}» изменён, все его сеансы завершены.")
    return 0


def _create_admin(args, engine) -> int:
    user = auth.create_first_admin(args.login, _password(args), args.name, engine=engine)
    print(f"Администратор «{user.login}» создан.")
    return 0


def _upgraded(args, engine) -> int:
    print("Схема базы данных обновлена.")  # ensure_database did it
    return 0


_COMMANDS = {  # command -> what runs it, (args, engine), on the database ensure_database made ready
    "upgrade": _upgraded, "build-demo": _build_demo, "check": _check, "recount": _recount,
    "backup": _backups, "backups": _backups, "restore": _backups,
    "load-roadmap": _load_roadmap, "approve": _cycle_step, "unlock": _cycle_step,
    "create-admin": _create_admin, "reset-password": _reset_password,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "draft-roadmap":  # reads a document, writes a file: no database needed
        return _draft_roadmap(args)

    engine = ensure_database()
    try:
        return _COMMANDS[args.command](args, engine)
    except auth.AuthError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - MaintenanceError and friends: one line for the operator
        from core.maintenance import MaintenanceError

        if not isinstance(exc, MaintenanceError):
            raise
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
