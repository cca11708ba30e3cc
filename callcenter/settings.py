"""Settings from the environment (``CALLCENTER_*``), validated by pydantic-settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    log_level: str = "INFO"

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
