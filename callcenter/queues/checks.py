"""The rules a skill, a queue's settings and a disposition must meet, each broken rule naming its field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from callcenter.errors import FieldError, Invalid
from callcenter.queues.models import (
    MAX_LABEL,
    MAX_NAME,
    MAX_NO_ANSWER,
    MAX_QUEUE,
    MAX_SKILLS,
    MAX_WAIT_S,
    POSITION,
    PROFICIENCY,
    RESERVED_KEYS,
    RING_TIMEOUT_S,
    SERVICE_LEVEL_S,
    TIER_BONUS_S,
    TIERS,
    WRAP_UP_S,
    DispositionDraft,
    OverflowAction,
    QueueSettings,
    Skill,
    SkillWant,
    is_slug,
)

Loc = tuple[str | int, ...]
SLUG_RULE = "lower-case letters, digits, _ and -, at most 40, starting with a letter or digit"


class Problems:
    """Broken rules collected over a whole input, so one answer names every field to fix."""

    def __init__(self) -> None:
        self.fields: list[FieldError] = []

    def add(self, loc: Loc, msg: str) -> None:
        """Note one broken rule."""
        self.fields.append(FieldError(loc, msg))

    def text(self, value: object, loc: Loc, longest: int) -> str:
        """A trimmed text of 1 to ``longest`` characters."""
        text = value.strip() if isinstance(value, str) else ""
        if not 1 <= len(text) <= longest:
            self.add(loc, f"1–{longest} characters")
        return text

    def optional_text(self, value: object, loc: Loc, longest: int) -> str | None:
        """An optional text; empty means none."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return self.text(value, loc, longest)

    def slug(self, value: object, loc: Loc) -> str:
        """A key or code."""
        text = value.strip() if isinstance(value, str) else ""
        if not is_slug(text):
            self.add(loc, SLUG_RULE)
        return text

    def number(self, value: object, loc: Loc, bounds: tuple[int, int], optional: bool = False) -> None:
        """A whole number within ``bounds``; None allowed when ``optional``."""
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
            self.add(loc, f"a whole number from {bounds[0]} to {bounds[1]}" + (", or empty" if optional else ""))

    def flag(self, value: object, loc: Loc) -> None:
        """A true or false."""
        if not isinstance(value, bool):
            self.add(loc, "true or false")

    def raise_any(self, message: str) -> None:
        """Raise Invalid naming every broken rule, if there is one."""
        if self.fields:
            raise Invalid(message, self.fields)


def check_skill_names(name: object, name_zh: object) -> tuple[str, str | None]:
    """A skill's name and optional Chinese name, trimmed."""
    problems = Problems()
    clean = problems.text(name, ("name",), MAX_NAME)
    clean_zh = problems.optional_text(name_zh, ("name_zh",), MAX_NAME)
    problems.raise_any("bad skill name")
    return clean, clean_zh


def resolve_skills(wants: Sequence[SkillWant], skills: Sequence[Skill], level_field: str) -> list[tuple[int, int]]:
    """(skill id, level) pairs of skills named by id or by name in any letter case; bad ones name their item.

    A text of digits that is no skill's name is taken as an id.
    """
    problems = Problems()
    by_id = {s.id: s for s in skills}
    by_name = {s.name.lower(): s for s in skills}
    if len(wants) > MAX_SKILLS:
        problems.add(("skills",), f"at most {MAX_SKILLS} skills")
    found: list[tuple[int, int]] = []
    for index, want in enumerate(wants):
        skill = None
        if isinstance(want.skill, int) and not isinstance(want.skill, bool):
            skill = by_id.get(want.skill)
        elif isinstance(want.skill, str):
            ref = want.skill.strip()
            skill = by_name.get(ref.lower()) or (by_id.get(int(ref)) if ref.isdigit() else None)
        if skill is None:
            problems.add(("skills", index, "skill"), "no such skill")
        elif any(skill.id == seen for seen, _ in found):
            problems.add(("skills", index, "skill"), f"{skill.name} is listed twice")
        problems.number(want.level, ("skills", index, level_field), PROFICIENCY)
        if skill is not None:
            found.append((skill.id, want.level))
    problems.raise_any("bad skills")
    return found


def check_settings(settings: QueueSettings) -> QueueSettings:
    """A queue's settings, trimmed, with every broken rule named (skills are resolved separately)."""
    problems = Problems()
    key = problems.slug(settings.key, ("key",))
    if key in RESERVED_KEYS:
        problems.add(("key",), f"{key} names an overflow target, not a queue")
    name = problems.text(settings.name, ("name",), MAX_NAME)
    name_zh = problems.optional_text(settings.name_zh, ("name_zh",), MAX_NAME)
    problems.number(settings.ring_timeout_s, ("ring_timeout_s",), RING_TIMEOUT_S)
    problems.number(settings.max_no_answer, ("max_no_answer",), MAX_NO_ANSWER, optional=True)
    problems.number(settings.wrap_up_s, ("wrap_up_s",), WRAP_UP_S)
    problems.number(settings.max_wait_s, ("max_wait_s",), MAX_WAIT_S, optional=True)
    problems.number(settings.max_queue, ("max_queue",), MAX_QUEUE, optional=True)
    problems.number(settings.service_level_s, ("service_level_s",), SERVICE_LEVEL_S)
    problems.flag(settings.enabled, ("enabled",))
    action = _overflow(problems, settings)
    overflow_queue = settings.overflow_queue.strip() if isinstance(settings.overflow_queue, str) else None
    if action == OverflowAction.QUEUE and not overflow_queue:
        problems.add(("overflow_queue",), "the queue to overflow into, when overflow_action is queue")
    elif action != OverflowAction.QUEUE and overflow_queue:
        problems.add(("overflow_queue",), "only when overflow_action is queue")
    elif overflow_queue and overflow_queue == key:
        problems.add(("overflow_queue",), "a queue cannot overflow into itself")
    tier_bonus = _tier_bonus(problems, settings.tier_bonus)
    problems.raise_any("bad queue settings")
    return replace(settings, key=key, name=name, name_zh=name_zh, overflow_action=action,
                   overflow_queue=overflow_queue or None, tier_bonus=tier_bonus)


def _overflow(problems: Problems, settings: QueueSettings) -> OverflowAction:
    try:
        return OverflowAction(settings.overflow_action)
    except ValueError:
        problems.add(("overflow_action",), "one of " + ", ".join(a.value for a in OverflowAction))
        return OverflowAction.REJECT


def _tier_bonus(problems: Problems, bonus: object) -> dict[str, int]:
    if not isinstance(bonus, Mapping) or sorted(bonus) != sorted(TIERS):
        problems.add(("tier_bonus",), "seconds for each of the tiers " + ", ".join(TIERS))
        return {}
    for tier in TIERS:
        problems.number(bonus[tier], ("tier_bonus", tier), TIER_BONUS_S)
    return {tier: bonus[tier] for tier in TIERS}


def check_draft(draft: DispositionDraft) -> DispositionDraft:
    """A disposition's fields, trimmed, with every broken rule named."""
    problems = Problems()
    code = problems.slug(draft.code, ("code",))
    label = problems.text(draft.label, ("label",), MAX_LABEL)
    label_zh = problems.optional_text(draft.label_zh, ("label_zh",), MAX_LABEL)
    problems.flag(draft.first_contact_resolved, ("first_contact_resolved",))
    problems.number(draft.position, ("position",), POSITION, optional=True)
    problems.flag(draft.enabled, ("enabled",))
    problems.raise_any("bad disposition")
    return replace(draft, code=code, label=label, label_zh=label_zh)
