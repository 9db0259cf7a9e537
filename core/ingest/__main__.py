"""The upload pipeline from the command line, for scripts and tests:

    python -m core.ingest FILE [FILE ...] --user LOGIN [--period 2026-Q3] [--apply] [--accept-warnings]
    python -m core.ingest --template OUT.xlsx --user LOGIN [--period 2026-Q3] [--territory CODE]

--period: the period of values whose file does not name one (a code or a label such as
«III кв. 2026»); by default the last quarter that has ended. A file that names its own period is
read for it unless --period names another (then the question «period» is asked).
--answer school:NAME=CODE: the school a name that matches none means (as the page's «Это школа»).
    python -m core.ingest --undo UPLOAD_ID --user LOGIN

Without --apply it only checks and prints the preview. Exit codes: 0 done, 1 refused (errors,
warnings not accepted, duplicate file), 2 bad arguments.
"""

from __future__ import annotations

from core.errors import Refused

import argparse
import sys
from pathlib import Path

from sqlmodel import select

from core import auth, periods, settings
from core.db import session_scope
from core.startup import ensure_database
from core.formatting import moment, plural
from core.ingest import pipeline, template
from core.ingest.problems import IngestError
from core.models import Territory, User


def _scope(engine, login: str) -> auth.Scope:
    with session_scope(engine) as s:
        user = s.exec(select(User).where(User.login == login.strip().lower(), User.is_active == True)).first()  # noqa: E712
        if user is None:
            raise IngestError(f"Пользователь «{login}» не найден или отключён.")
        return auth.scope_for(s, user)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m core.ingest", description="Загрузка данных мониторинга")
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--user", required=True, help="логин, от имени которого идёт загрузка")
    ap.add_argument("--period", help="период, если его нет в файле (например 2026-Q3 или «III кв. 2026»); "
                                     "по умолчанию — последний закончившийся квартал")
    ap.add_argument("--apply", action="store_true", help="записать (без этого — только проверка)")
    ap.add_argument("--accept-warnings", action="store_true")
    ap.add_argument("--answer", action="append", default=[], metavar="ВОПРОС=ОТВЕТ",
                    help="ответ на вопрос проверки, например period=2024-Q4, column:Лист1:F=skip или "
                         "school:СОШ на Гагарина=NEV-02 (какая школа записана в файле так)")
    ap.add_argument("--template", type=Path, help="записать шаблон в этот файл")
    ap.add_argument("--territory", help="код территории для шаблона")
    ap.add_argument("--undo", type=int, help="отменить загрузку с этим номером")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.period:
        spec = periods.parse(args.period)
        if spec is None:
            print(f"Ошибка: неизвестный период «{args.period}» (пишите, например, 2026-Q3)", file=sys.stderr)
            return 2
    engine = ensure_database()
    chosen = spec.code if args.period else None  # only a period the user named can conflict with the file's
    if not args.period:  # the last quarter ended as of «сегодня» (the demo clock in the demo database)
        spec = periods.last_finished_quarter(settings.today(engine))
        if args.files or args.template:
            print(f"Период по умолчанию: {spec.label} ({spec.code})" + (" — если в файле его нет" if args.files else ""),
                  file=sys.stderr)
    args.period = spec.code
    try:
        scope = _scope(engine, args.user)
        if args.template:
            tid = None
            if args.territory:
                with session_scope(engine) as s:
                    t = s.exec(select(Territory).where(Territory.code == args.territory)).first()
                    tid = t.id if t else -1
            args.template.write_bytes(template.build_template(scope, args.period, territory_id=tid, engine=engine))
            print(f"Шаблон записан: {args.template}")
            return 0
        if args.undo:
            res = pipeline.undo(scope, args.undo, engine)
            print(f"Загрузка № {args.undo} отменена: восстановлено {res['restored']}, удалено {res['removed']}.")
            return 0
        if not args.files:
            print("Ошибка: укажите файл", file=sys.stderr)
            return 2
        files = [(p.name, p.read_bytes()) for p in args.files]
        answers = dict(a.split("=", 1) for a in args.answer if "=" in a)
        pv = pipeline.prepare(scope, files, chosen, engine, answers=answers, fallback_period=args.period)
        _print_preview(pv)
        if not pv.ok:
            return 1
        if args.apply:
            if pv.warnings and not args.accept_warnings:
                print("Есть предупреждения: добавьте --accept-warnings, если данные верны. Ничего не записано.")
                return 1
            data = files[0][1] if len(files) == 1 else pipeline.bundle(files)
            uid = pipeline.apply(scope, pv, data, accept_warnings=args.accept_warnings, engine=engine)
            print(f"Записано: загрузка № {uid}.")
        return 0
    except Refused as exc:
        print(f"Отклонено: {exc}", file=sys.stderr)
        return 1


def _print_preview(pv: pipeline.Preview) -> None:
    """The check's verdict, its errors, warnings, notes and questions (with the --answer that settles each)."""
    c = pv.counts()
    if pv.questions and not pv.errors:
        print(f"Нужны ответы на вопросы: {len(pv.questions)}. Ничего не записано.")
    elif pv.errors:  # a refused file: no counts of values that will not be written
        print(f"Файл не принят: {len(pv.errors)} {plural(len(pv.errors), ('ошибка', 'ошибки', 'ошибок'))}. "
              "Ничего не записано.")
    else:
        print(f"Значений: {len(pv.rows)}; новых {c['new']}, изменится {c['changed']}, "
              f"без изменений {c['unchanged']}.")
    for p in pv.errors:
        print("ОШИБКА: " + p.text + (f" [{p.cell}]" if p.cell else ""))
    for p in pv.warnings:
        print("Предупреждение: " + p.text)
    for p in pv.notes:
        print("Примечание: " + p.text)
    for q in pv.questions:
        print(f"ВОПРОС: {q.text} Ответ: --answer {q.key}=…, варианты: "
              + "; ".join(f"{v} ({label})" for v, label in q.options[:12]))
    for miss in pv.unmatched:
        like = "; ".join(f"{c['code']} ({c['short_name']})" for c in miss["candidates"])
        print(f"ВОПРОС: школа «{miss['name']}» не найдена. Ответ: --answer 'school:{miss['name']}=КОД'"
              + (f", похожие: {like}" if like else ""))
    if pv.duplicate_of:
        print(f"Этот файл уже загружен (загрузка № {pv.duplicate_of['id']} от {moment(pv.duplicate_of['uploaded_at'])}).")


if __name__ == "__main__":
    raise SystemExit(main())
