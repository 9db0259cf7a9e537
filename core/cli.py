"""Command line for the operator:

    python -m core.cli upgrade                         # schema to the newest revision
    python -m core.cli recount                         # rebuild the summary and the target counts
    python -m core.cli create-admin --login L --name "Ф. И. О."
    python -m core.cli reset-password --login L        # ends every session of that user

Passwords are asked for twice on the terminal, or read from standard input with --password-stdin.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlmodel import select

from core import auth
from core.db import ensure_database, session_scope
from core.models import User


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Пароль: ")
    if first != getpass.getpass("Пароль ещё раз: "):
        raise auth.AuthError("Пароли не совпадают.")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.cli", description="Администрирование мониторинга")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="обновить схему базы данных")
    sub.add_parser("recount", help="пересчитать сводные таблицы (суммы по территориям и число школ, выполняющих цели)")
    p = sub.add_parser("create-admin", help="создать первого администратора")
    p.add_argument("--login", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--password-stdin", action="store_true")
    p = sub.add_parser("reset-password", help="задать пользователю новый пароль")
    p.add_argument("--login", required=True)
    p.add_argument("--password-stdin", action="store_true")
    args = parser.parse_args(argv)

    engine = ensure_database()
    try:
        if args.command == "upgrade":
            print("Схема базы данных обновлена.")
        elif args.command == "recount":
            from core import summary

            with session_scope(engine, write=True) as s:
                summary.refresh(s)
            print("Сводные таблицы пересчитаны.")
        elif args.command == "create-admin":
            user = auth.create_first_admin(args.login, _password(args), args.name, engine=engine)
            print(f"Администратор «{user.login}» создан.")
        elif args.command == "reset-password":
            password = _password(args)
            with session_scope(engine, write=True) as s:
                user = s.exec(select(User).where(User.login == args.login.strip().lower())).first()
                if user is None:
                    raise auth.AuthError(f"Пользователь «{args.login}» не найден.")
                auth.set_password(s, user, password, by=auth.system_scope())
            print(f"Пароль пользователя «{user.login}» изменён, все его сеансы завершены.")
    except auth.AuthError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
