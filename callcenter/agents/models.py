"""Domain types of agents: presence, devices, and the directory that maps a PBX's names to users."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class DeviceKind(enum.StrEnum):
    """How a PBX reaches an agent, and so how it names them in its events."""

    EXTENSION = "extension"  # digits dialled inside the PBX
    SIP = "sip"  # ``sip:user@host``
    TWILIO_CLIENT = "twilio_client"  # a Twilio Voice SDK identity, sent as ``client:<identity>``


@dataclass(frozen=True)
class Device:
    """One of an agent's phones; ``value`` is normalized, so equal devices compare equal."""

    id: int
    user_id: int
    kind: DeviceKind
    value: str
    label: str | None
    created_at: int

    def payload(self) -> dict[str, object]:
        """The wire form the console gets."""
        return {"id": self.id, "user_id": self.user_id, "kind": self.kind.value, "value": self.value,
                "label": self.label}


_EXTENSION = re.compile(r"^[0-9]{1,20}$")
_SIP_PART = re.compile(r"^[^\s@<>\"]+$")
_IDENTITY = re.compile(r"^[\w.@+-]{1,121}$")


def _sip(raw: str) -> str | None:
    text = raw.strip()
    if "<" in text and ">" in text:  # 'Name <sip:user@host>' as it appears in SIP headers
        text = text[text.index("<") + 1:text.index(">")]
    text = text.strip().lower()
    for scheme in ("sips:", "sip:"):
        if text.startswith(scheme):
            text = text[len(scheme):]
            break
    text = text.split(";", 1)[0].split("?", 1)[0]
    user, at, host = text.partition("@")
    # The port is transport detail: a PBX may or may not add :5060 to the same phone's URI.
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if not at or not _SIP_PART.match(user) or not _SIP_PART.match(host):
        return None
    return f"sip:{user}@{host}"


def normalize_device(kind: DeviceKind, raw: str) -> str | None:
    """The stored and compared form of a device value, or None when it is not one of this kind.

    Extensions are digits (spaces and dashes dropped); SIP URIs become lower-case ``sip:user@host``
    without parameters or port; Twilio identities lose ``client:`` and are lower-cased.
    """
    if kind is DeviceKind.EXTENSION:
        digits = re.sub(r"[\s-]", "", raw)
        return digits if _EXTENSION.match(digits) else None
    if kind is DeviceKind.SIP:
        return _sip(raw)
    identity = raw.strip()
    if identity.lower().startswith("client:"):
        identity = identity[len("client:"):]
    identity = identity.strip().lower()
    return identity if _IDENTITY.match(identity) else None


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class AgentDirectory:
    """Who is who, for turning the names a PBX sends for agents into user ids without a query."""

    usernames: Mapping[str, int]
    display_names: Mapping[str, int | None]  # None: several agents share the name
    devices: Mapping[tuple[DeviceKind, str], int]

    @classmethod
    def build(cls, users: Iterable[tuple[int, str, str]], devices: Iterable[Device]) -> AgentDirectory:
        """From (id, username, display name) of enabled users and their devices."""
        usernames: dict[str, int] = {}
        display: dict[str, int | None] = {}
        for user_id, username, display_name in users:
            usernames[username] = user_id
            key = _name_key(display_name)
            display[key] = user_id if key not in display else None
        return cls(usernames, display, {(d.kind, d.value): d.user_id for d in devices})

    def _device(self, kind: DeviceKind, raw: str) -> int | None:
        value = normalize_device(kind, raw)
        return None if value is None else self.devices.get((kind, value))

    def resolve(self, name: str) -> int | None:
        """The user a PBX's name for an agent means, or None.

        In order: the exact username; ``client:<identity>``; a SIP URI; extension digits; a bare
        Twilio identity; the display name (Zammad's ``user[]``), unless two agents share it.
        """
        text = name.strip()
        if not text:
            return None
        if text in self.usernames:
            return self.usernames[text]
        lowered = text.lower()
        if lowered.startswith("client:"):
            return self._device(DeviceKind.TWILIO_CLIENT, text)
        if lowered.startswith(("sip:", "sips:")) or "<sip" in lowered or "@" in text:
            found = self._device(DeviceKind.SIP, text)
            if found is not None or "@" not in text:
                return found
        for kind in (DeviceKind.EXTENSION, DeviceKind.TWILIO_CLIENT):
            found = self._device(kind, text)
            if found is not None:
                return found
        return self.display_names.get(_name_key(text))
