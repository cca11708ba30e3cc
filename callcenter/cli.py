"""The ``callcenter`` command: serve, migrate, create-user, demo, backup, restore, copy-db.

Heavy modules are imported inside each command, so quick commands start quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SWITCH_INTERVAL_S = 0.0002  # GIL switch interval for `serve` (CPython's default: 0.005)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog="callcenter", description="Self-hosted call-center agent console.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    sub.add_parser("migrate", help="apply database migrations")

    create = sub.add_parser("create-user", help="add a user")
    create.add_argument("--username", required=True)
    create.add_argument("--password", required=True, help="the password, or - to read it from standard input")
    create.add_argument("--role", choices=["agent", "supervisor", "admin"], required=True)
    create.add_argument("--display-name")
    create.add_argument("--locale", choices=["en", "zh-Hans"])

    sub.add_parser("demo", help="seed demo users and data (safe to run again)")

    backup = sub.add_parser("backup", help="copy the SQLite database while the server runs")
    backup.add_argument("file", type=Path)
    restore = sub.add_parser("restore", help="replace the SQLite database with a backup (server stopped)")
    restore.add_argument("file", type=Path)
    copy_db = sub.add_parser("copy-db", help="copy every row into a new, empty database (servers stopped)")
    copy_db.add_argument("--from", dest="source", required=True, metavar="URL",
                         help="the database to copy, e.g. sqlite:///var/callcenter.db")
    copy_db.add_argument("--to", dest="target", required=True, metavar="URL",
                         help="the new database, e.g. postgresql://user:password@host/callcenter")
    copy_db.add_argument("--batch", type=int, default=1000, help="rows read and written at a time")

    imports = sub.add_parser("import", help="import customers or orders from a CSV file")
    imports.add_argument("kind", choices=["customers", "orders"])
    imports.add_argument("file", type=Path)
    imports.add_argument("--region", help="ISO region for numbers without +country")

    simulate = sub.add_parser("simulate", help="post a realistic stream of calls to a running server")
    simulate.add_argument("--rate", type=float, default=12.0, help="calls started per minute")
    simulate.add_argument("--duration", type=float, help="seconds to run (default: until Ctrl+C)")
    simulate.add_argument("--speed", type=float, default=1.0, help="run the calls' own pace this many times faster")
    simulate.add_argument("--url", help="the server (default: CALLCENTER_PUBLIC_URL)")
    simulate.add_argument("--seed", type=int)
    simulate.add_argument("--staff", type=int, default=4,
                          help="offline agents the simulator works as (available, answering, wrapping up)")

    from callcenter.integrations.cli import add_parser as add_integration_parser

    add_integration_parser(sub)

    args = parser.parse_args(argv)
    from pydantic import ValidationError

    from callcenter.settings import Settings

    try:
        settings = Settings()
    except ValidationError as err:
        problems = "; ".join(f"CALLCENTER_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in err.errors())
        print(f"callcenter: bad setting: {problems}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "serve":
            return _serve(settings, args.host, args.port)
        return asyncio.run(_COMMANDS[args.command](settings, args))
    except CliError as err:
        print(f"callcenter {args.command}: {err}", file=sys.stderr)
        return 2


class CliError(Exception):
    """A command failed for a reason the user can fix; printed without a traceback."""


def _serve(settings: Any, host: str | None, port: int | None) -> int:
    from aiohttp import web

    from callcenter.app import create_app

    if host:
        settings.host = host
    if port:
        settings.port = port
    app = create_app(settings)
    print(f"callcenter serving on http://{settings.host}:{settings.port}", flush=True)
    import uvloop

    # A database thread gives up the GIL around every SQLite call and must win it back from the
    # event loop; while the loop has work queued, each of those waits lasts the whole switch
    # interval (CPython's default 5 ms). Call events are committed on the loop's own thread, but
    # reads, checkpoints and the writes that must wait for a lock still run on those threads.
    # 0.2 ms: at 1,200 pop events/s, p99 was lower than with 1 ms in each of six interleaved runs
    # when the writer still ran every batch on its thread (docs/BENCHMARKS.md).
    sys.setswitchinterval(SWITCH_INTERVAL_S)

    # uvloop's loop costs less per request and per socket write than asyncio's: the pop path
    # is CPU-bound on one core (docs/BENCHMARKS.md).
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None, loop=uvloop.new_event_loop())
    return 0


async def _open(settings: Any) -> Any:
    from callcenter.db import Database

    db = Database(settings.database_url)
    await db.connect()
    await db.migrate()
    return db


async def _migrate(settings: Any, args: argparse.Namespace) -> int:
    from callcenter.db import Database

    db = Database(settings.database_url)
    await db.connect()
    try:
        applied = await db.migrate()
    finally:
        await db.close()
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


async def _accounts(settings: Any, db: Any) -> Any:
    from callcenter.accounts.hashing import PasswordHasher
    from callcenter.accounts.service import AccountPolicy, AccountService
    from callcenter.clock import SystemClock
    from callcenter.console.models import Push

    class NoSockets:
        async def send(self, pushes: Sequence[Push]) -> None:
            """The CLI has no sockets; connected clients catch up from the snapshot."""

        async def broadcast(self, room: str, event: str, payload: dict[str, Any]) -> None:
            """Nothing to broadcast to from the CLI."""

        async def end_sessions(self, token_hashes: Sequence[str]) -> None:
            """Sessions are deleted in the database; the server refuses them from then on."""

        async def join_rooms(self, user_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
            """Sockets join their rooms when they next connect."""

    hasher = PasswordHasher(settings.argon2_memory_kib, settings.argon2_time_cost)
    return AccountService(db, SystemClock(), hasher, NoSockets(), AccountPolicy())


async def _create_user(settings: Any, args: argparse.Namespace) -> int:
    from callcenter.accounts.models import SYSTEM, Role
    from callcenter.errors import DomainError

    db = await _open(settings)
    try:
        accounts = await _accounts(settings, db)
        password = sys.stdin.readline().rstrip("\n") if args.password == "-" else args.password  # noqa: S105
        user = await accounts.create_user(SYSTEM, args.username, password, Role(args.role),
                                          args.display_name, args.locale)
    except DomainError as err:
        detail = "; ".join(f"{f.loc[-1]}: {f.msg}" for f in err.fields)
        raise CliError(f"{err.message}" + (f" ({detail})" if detail else "")) from err
    finally:
        await db.close()
    print(f"created {user.role.value} {user.username} (id {user.id})")
    return 0


async def _demo(settings: Any, args: argparse.Namespace) -> int:
    from callcenter.clock import SystemClock
    from callcenter.demo import seed

    db = await _open(settings)
    try:
        accounts = await _accounts(settings, db)
        logins = await seed(db, accounts, SystemClock())
    finally:
        await db.close()
    print("demo logins (username / password):")
    for username, password, role in logins:
        print(f"  {role:<10} {username:<12} {password}")
    print("then, in another terminal, make calls pop: callcenter simulate")
    return 0


async def _backup(settings: Any, args: argparse.Namespace) -> int:
    from callcenter.backup import BackupError, backup

    try:
        await backup(settings.sqlite_path(), args.file)
    except BackupError as err:
        raise CliError(str(err)) from err
    print(f"backup written to {args.file}")
    return 0


async def _restore(settings: Any, args: argparse.Namespace) -> int:
    from callcenter.backup import BackupError, restore

    try:
        await restore(args.file, settings.sqlite_path())
    except BackupError as err:
        raise CliError(str(err)) from err
    print(f"restored {settings.sqlite_path()} from {args.file}")
    return 0


async def _copy_db(settings: Any, args: argparse.Namespace) -> int:
    from callcenter.copydb import CopyError, copy_database, redact

    try:
        report = await copy_database(args.source, args.target, batch=args.batch, progress=sys.stderr)
    except (CopyError, ValueError) as err:  # ValueError: a URL of no engine we know
        raise CliError(str(err)) from err
    except OSError as err:
        raise CliError(f"cannot reach a database: {err}") from err
    print(f"copied {report.total} rows in {len(report.rows)} tables from {redact(args.source)}"
          f" to {redact(args.target)}; every table's row count matches")
    return 0


async def _create_integration(settings: Any, args: argparse.Namespace) -> int:
    from callcenter.integrations.cli import create_integration_command

    return int(await create_integration_command(settings, args))


async def _import(settings: Any, args: argparse.Namespace) -> int:
    from callcenter.customers.importer import run_import
    from callcenter.errors import DomainError

    try:
        report = await run_import(settings, args.kind, args.file, args.region)
    except DomainError as err:
        detail = "; ".join(f"{f.loc[-1]}: {f.msg}" for f in err.fields)
        raise CliError(f"{err.message}" + (f" ({detail})" if detail else "")) from err
    except OSError as err:
        raise CliError(str(err)) from err
    for line in report.lines():
        print(line)
    return 1 if report.problems else 0


async def _simulate(settings: Any, args: argparse.Namespace) -> int:
    from callcenter.simulate import run

    url = (args.url or settings.public_url).rstrip("/")
    print(f"simulating calls against {url} at {args.rate:g} calls/min; Ctrl+C stops")
    try:
        started = await run(settings, url, args.rate, args.duration, args.speed, args.seed, args.staff)
    except OSError as err:
        raise CliError(f"cannot reach {url}: {err}") from err
    print(f"{started} calls simulated")
    return 0


_COMMANDS = {
    "migrate": _migrate,
    "create-user": _create_user,
    "demo": _demo,
    "backup": _backup,
    "restore": _restore,
    "copy-db": _copy_db,
    "create-integration": _create_integration,
    "import": _import,
    "simulate": _simulate,
}
