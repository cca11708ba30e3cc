"""Request and response models of the agents API: devices and the device chosen at login."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from callcenter.agents.models import Device, DeviceKind


class DeviceOut(BaseModel):
    """One of an agent's phones."""

    id: int
    user_id: int
    kind: DeviceKind
    value: str = Field(description="normalized: digits, sip:user@host, or a lower-case Twilio identity")
    label: str | None
    created_at: int

    @classmethod
    def of(cls, device: Device) -> DeviceOut:
        """From the domain type."""
        return cls(id=device.id, user_id=device.user_id, kind=device.kind, value=device.value, label=device.label,
                   created_at=device.created_at)


class DevicesOut(BaseModel):
    """An agent's devices and the one they chose at login."""

    user_id: int
    active_device_id: int | None
    items: list[DeviceOut]

    @classmethod
    def of(cls, user_id: int, devices: list[Device], active: int | None) -> DevicesOut:
        """From the domain types."""
        return cls(user_id=user_id, active_device_id=active, items=[DeviceOut.of(d) for d in devices])


class DeviceIn(BaseModel):
    """Give an agent a device."""

    model_config = ConfigDict(extra="forbid")

    kind: DeviceKind
    value: str = Field(min_length=1, max_length=200, examples=["1001", "sip:alice@pbx.example.com", "alice"])
    label: str | None = Field(None, max_length=60)


class DeviceChoiceIn(BaseModel):
    """The device the agent works at now; null clears the choice."""

    model_config = ConfigDict(extra="forbid")

    device_id: int | None
