"""``callcenter create-integration``: add a telephony integration and print what to configure.

The token is printed to standard output once and never logged; heavy modules load inside the command.
"""

from __future__ import annotations

import argparse
from typing import Any

KINDS = ("generic", "zammad", "twilio")


def add_parser(sub: Any) -> None:
    """Declare the ``create-integration`` subcommand on the CLI's subparsers."""
    create = sub.add_parser("create-integration", help="add a telephony integration and print its URL and token")
    create.add_argument("--kind", choices=KINDS, required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--region", help="ISO region for numbers without +country (default: CALLCENTER_DEFAULT_REGION)")
    create.add_argument("--block", action="append", default=[], metavar="NUMBER",
                        help="a caller number to reject; repeat for more")
    create.add_argument("--account-sid", help="Twilio account SID (twilio only)")
    create.add_argument("--auth-token", help="Twilio auth token (twilio only; stored encrypted)")


async def create_integration_command(settings: Any, args: argparse.Namespace) -> int:
    """Create the integration; print the token (generic, zammad) and the URLs to configure."""
    from callcenter.accounts.models import SYSTEM
    from callcenter.cli import CliError
    from callcenter.clock import SystemClock
    from callcenter.db import Database
    from callcenter.errors import DomainError
    from callcenter.integrations.crypto import SecretBox
    from callcenter.integrations.models import IntegrationKind, endpoints
    from callcenter.integrations.service import IntegrationService

    db = Database(settings.database_url)
    await db.connect()
    try:
        await db.migrate()
        service = IntegrationService(db, SystemClock(), SecretBox(settings.secret_key.get_secret_value()))
        integration, token = await service.create(
            SYSTEM, IntegrationKind(args.kind), args.name, args.region or settings.default_region, args.block,
            args.account_sid, args.auth_token,
        )
    except DomainError as err:
        detail = "; ".join(f"{'.'.join(str(p) for p in f.loc)}: {f.msg}" for f in err.fields)
        raise CliError(err.message + (f" ({detail})" if detail else "")) from err
    finally:
        await db.close()
    print(f"created {integration.kind.value} integration {integration.name!r} (id {integration.id},"
          f" region {integration.default_region}, {len(integration.block_list)} blocked)")
    urls = endpoints(integration.kind, settings.public_url, token)
    if integration.kind is IntegrationKind.GENERIC:
        print(f"Bearer token (shown only now): {token}")
        print(f"POST events to: {urls['events']}")
        print(f"  with header:  Authorization: Bearer {token}")
    elif integration.kind is IntegrationKind.ZAMMAD:
        print(f"CTI URL, with its token (shown only now; keep it secret): {urls['cti']}")
    else:
        print(f"voice webhook (A call comes in, HTTP POST): {urls['voice']}")
        print(f"status callback (HTTP POST):               {urls['status']}")
        print("Twilio signs against CALLCENTER_PUBLIC_URL; these URLs must match what Twilio posts to.")
    return 0
