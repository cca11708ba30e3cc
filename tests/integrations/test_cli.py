"""``callcenter create-integration`` prints what to configure, once, and the result authenticates."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from callcenter.cli import CliError
from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.integrations.cli import add_parser, create_integration_command
from callcenter.integrations.crypto import SecretBox
from callcenter.integrations.models import IntegrationKind
from callcenter.integrations.service import IntegrationService
from tests.factories import make_settings

SID = "AC" + "0123456789abcdef" * 2


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="callcenter")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["create-integration", *argv])


async def _service(settings: Any) -> tuple[Database, IntegrationService]:
    db = Database(settings.database_url)
    await db.connect()
    return db, IntegrationService(db, FakeClock(), SecretBox(settings.secret_key.get_secret_value()))


async def test_generic_prints_the_bearer_token_and_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path, public_url="https://cc.example.com/", secret_key="k" * 40)
    code = await create_integration_command(settings, _args("--kind", "generic", "--name", "Asterisk",
                                                            "--block", "138 0013 8000", "--block", "+442079460958"))
    assert code == 0
    out = capsys.readouterr().out
    assert "POST events to: https://cc.example.com/api/telephony/events" in out
    token = out.split("Bearer token (shown only now): ", 1)[1].split()[0]
    db, service = await _service(settings)
    try:
        found = await service.authenticate(IntegrationKind.GENERIC, token)
        assert found is not None and found.block_list == ("+8613800138000", "+442079460958")
        assert found.default_region == "CN"
    finally:
        await db.close()


async def test_zammad_prints_the_url_with_its_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path, public_url="https://cc.example.com")
    await create_integration_command(settings, _args("--kind", "zammad", "--name", "Zammad", "--region", "DE"))
    out = capsys.readouterr().out
    url = out.split("keep it secret): ", 1)[1].split()[0]
    assert url.startswith("https://cc.example.com/api/v1/cti/")
    db, service = await _service(settings)
    try:
        found = await service.authenticate(IntegrationKind.ZAMMAD, url.rsplit("/", 1)[1])
        assert found is not None and found.default_region == "DE"
    finally:
        await db.close()


async def test_twilio_prints_both_webhooks_and_never_the_auth_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, public_url="https://cc.example.com")
    auth_token = "f3e2d1c0b9a8f3e2d1c0b9a8f3e2d1c0"
    await create_integration_command(settings, _args("--kind", "twilio", "--name", "Twilio",
                                                     "--account-sid", SID, "--auth-token", auth_token))
    out = capsys.readouterr().out
    assert "https://cc.example.com/api/telephony/twilio/voice" in out
    assert "https://cc.example.com/api/telephony/twilio/status" in out
    assert auth_token not in out and auth_token not in caplog.text
    db, service = await _service(settings)
    try:
        found = await service.twilio_for(SID)
        assert found is not None and service.twilio_auth_token(found) == auth_token
    finally:
        await db.close()


async def test_bad_input_is_a_cli_error_naming_the_field(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with pytest.raises(CliError, match=r"block_list\.1"):
        await create_integration_command(settings, _args("--kind", "generic", "--name", "PBX",
                                                         "--block", "13800138000", "--block", "nope"))
    with pytest.raises(CliError, match="account_sid"):
        await create_integration_command(settings, _args("--kind", "twilio", "--name", "T"))
