"""Settings from the environment (``CALLCENTER_*``), validated by pydantic-settings."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(text: str) -> list[IPNetwork]:
    """``"127.0.0.1, 10.0.0.0/8, ::1"`` as networks (a bare address is a network of one)."""
    networks = []
    for part in text.split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip()))
            except ValueError as err:
                raise ValueError(f"{part.strip()!r} is not an IP address or network: {err}") from None
    return networks


class Settings(BaseSettings):
    """Every knob of the server, each read from ``CALLCENTER_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CALLCENTER_", env_file=None, extra="ignore")

    database_url: str = Field(
        "sqlite:///var/callcenter.db",
        pattern=r"^(sqlite:///|postgres(ql)?://)",
        description="sqlite:///relative/path, sqlite:////absolute/path, or"
        " postgresql://user:password@host:port/database (optional ?pool_size=N, default 10)",
    )
    redis_url: str | None = Field(None, description="Redis URL for Socket.IO between several nodes")
    redis_channel: str = Field(
        "socketio", min_length=1,
        description="The Redis pub/sub channel this installation's nodes share (one per installation)",
    )
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = Field("http://127.0.0.1:8080", description="The URL browsers and Twilio use")
    secret_key: SecretStr = Field(
        SecretStr("dev-insecure-change-me"),
        description="Encrypts stored third-party secrets; set a long random value in production",
    )
    default_region: str = Field("CN", description="ISO region for numbers written without +country")
    timezone: str = Field("Asia/Shanghai", description="What 'today' means for reports")
    session_ttl_s: int = Field(12 * 3600, description="Idle session lifetime")
    cookie_secure: bool = Field(False, description="Mark cookies Secure (set when served over HTTPS)")
    login_max_failures: int = Field(5, description="Failed logins per user or address per window")
    login_window_s: int = Field(900, description="Login rate-limit window")
    push_retention_s: int = Field(24 * 3600, description="How long pushes stay replayable")
    argon2_memory_kib: int = Field(19 * 1024, description="argon2id memory cost (OWASP minimum 19 MiB)")
    argon2_time_cost: int = 2
    value_discount_rate: float = Field(0.1, ge=0, description="CLV discount rate r")
    value_years: int = Field(5, ge=1, description="CLV horizon n in years")
    value_margin: float = Field(0.3, gt=0, le=1, description="Share of revenue that is margin, for CLV")
    trusted_proxies: Annotated[list[IPNetwork], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For names the client",
    )
    log_level: str = "INFO"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: Any) -> Any:
        return parse_networks(value) if isinstance(value, str) else value

    def sqlite_path(self) -> Path | None:
        """The SQLite file this configuration names, or None for another engine."""
        prefix = "sqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        return Path(self.database_url[len(prefix):])

    def allowed_origins(self) -> list[str]:
        """Origins whose browsers may use cookie-authenticated writes and websockets."""
        base = self.public_url.rstrip("/")
        origins = {base, f"http://{self.host}:{self.port}"}
        if self.host in {"127.0.0.1", "0.0.0.0", "localhost"}:  # noqa: S104 - comparison, not a bind
            origins |= {f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"}
        return sorted(origins)
