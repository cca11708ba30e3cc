from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.customers import phones
from callcenter.customers.models import CallerMatch, MatchKind, Phone
from callcenter.customers.phones import (
    decide_match,
    format_display,
    format_national,
    is_withheld,
    mask,
    match_keys,
    normalize,
    region_of,
)


@pytest.mark.parametrize(
    ("raw", "region", "e164", "extension"),
    [
        # China: mobiles and landlines, national and international forms
        ("138 0013 8000", "CN", "+8613800138000", None),
        ("13800138000", "CN", "+8613800138000", None),
        ("+86 138 0013 8000", "US", "+8613800138000", None),
        ("0086 138 0013 8000", "US", "+8613800138000", None),
        ("8613800138000", "CN", "+8613800138000", None),
        ("010-1234 5678", "CN", "+861012345678", None),
        ("(010) 12345678", "cn", "+861012345678", None),
        ("0755-8888 8888", "CN", "+8675588888888", None),
        ("400 810 8888", "CN", "+864008108888", None),
        # London
        ("+44 20 7946 0958", "GB", "+442079460958", None),
        ("020 7946 0958", "GB", "+442079460958", None),
        ("+44 (0) 20 7946 0958", "US", "+442079460958", None),
        ("011 44 20 7946 0958", "US", "+442079460958", None),
        # US with extensions in the forms phonenumbers knows
        ("415-555-2671 ext. 123", "US", "+14155552671", "123"),
        ("(415) 555-2671 x123", "US", "+14155552671", "123"),
        ("415-555-2671#123", "US", "+14155552671", "123"),
        ("415-555-2671,123", "US", "+14155552671", "123"),
        ("+1 415 555 2671;ext=99", "US", "+14155552671", "99"),
        ("415.555.2671", "US", "+14155552671", None),
        ("+1 800 FLOWERS", "US", "+18003569377", None),
        # Germany, the 00 prefix everywhere, URIs
        ("030 12345678", "DE", "+493012345678", None),
        ("00 49 30 12345678", "US", "+493012345678", None),
        ("tel:+49-30-1234567", "DE", "+49301234567", None),
        ("sip:+4930123456@sip.example;user=phone", "DE", "+4930123456", None),
        # sipgate-style international digits without "+", whatever the region
        ("4930123456789", "DE", "+4930123456789", None),
        ("4930123456789", "US", "+4930123456789", None),
        ("  +15005550006 ", None, "+15005550006", None),
    ],
)
def test_normalize(raw: str, region: str | None, e164: str, extension: str | None) -> None:
    assert normalize(raw, region, label="work") == Phone(e164, extension, raw, "work")


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("hello", "US"),
        ("", "US"),
        ("12", "US"),
        ("1001", "DE"),  # an internal extension
        ("555-2671", "US"),  # local number without its area code
        ("8765 4321", "CN"),
        ("12345", "CN"),
        ("020 7946 0958", None),  # national form and no region to read it
        ("020 7946 0958", "XX"),
        ("client:joey", "US"),  # a Twilio browser client is an agent
        ("415 555 2671 ext 12 foo", "US"),
        ("+", "US"),
        ("9" * 300, "US"),
    ],
)
def test_normalize_rejects_what_is_not_a_usable_number(raw: str, region: str | None) -> None:
    assert normalize(raw, region) is None
    assert match_keys(raw, region) == []


WITHHELD = [
    "anonymous",
    "ANONYMOUS",
    "Anonymous",
    "unknown",
    "<unknown>",
    "Restricted",
    "private",
    "unavailable",
    "withheld",
    "blocked",
    "",
    "   ",
    '"Anonymous"',
    "sip:anonymous@anonymous.invalid",
    "+266696687",
    "+86282452253",
    "+8656696",
    "+2562533",
    "+7378742833",
    "00266696687",
    "+7 378 742 833",
    "tel:+266696687",
]


@pytest.mark.parametrize("raw", WITHHELD)
def test_withheld_caller_ids(raw: str) -> None:
    assert is_withheld(raw)
    assert normalize(raw, "US") is None
    assert match_keys(raw, "CN") == []
    # Even if some customer was stored under a sentinel, it must not be matched.
    assert decide_match(raw, "US", {"+266696687": [1], "+7378742833": [2]}) == CallerMatch(
        MatchKind.WITHHELD, (), None, None
    )


@pytest.mark.parametrize("raw", ["+442079460958", "4930123456789", "1001", "client:joey", "anonymousx"])
def test_not_withheld(raw: str) -> None:
    assert not is_withheld(raw)


def test_match_keys_give_the_e164_without_extension() -> None:
    assert match_keys("415-555-2671 ext. 123", "US") == ["+14155552671"]
    assert match_keys("138 0013 8000", "CN") == ["+8613800138000"]


BOOK = {"+442079460958": [7], "+8613800138000": [3, 5, 3], "+14155552671": [9]}


def test_exact_match_from_international_form() -> None:
    assert decide_match("+44 20 7946 0958", "CN", BOOK) == CallerMatch(MatchKind.EXACT, (7,), None, "+442079460958")
    assert decide_match("0044 20 7946 0958", "US", BOOK).kind is MatchKind.EXACT


def test_national_match_through_the_region() -> None:
    match = decide_match("020 7946 0958", "gb", BOOK)

    assert match == CallerMatch(MatchKind.NATIONAL, (7,), "GB", "+442079460958")
    assert match.customer_id == 7


def test_several_customers_are_listed_without_a_pick() -> None:
    match = decide_match("138 0013 8000", "CN", BOOK)

    assert match == CallerMatch(MatchKind.SEVERAL, (3, 5), "CN", "+8613800138000")
    assert match.customer_id is None


def test_no_customer_keeps_the_number() -> None:
    assert decide_match("+86 10 1234 5678", "CN", BOOK) == CallerMatch(MatchKind.NONE, (), None, "+861012345678")
    assert decide_match("garbage", "CN", BOOK) == CallerMatch(MatchKind.NONE, (), None, None)


def test_extension_does_not_stop_a_match() -> None:
    assert decide_match("415-555-2671 x5", "US", BOOK).candidates == (9,)


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+442079460958", "+44 20 **** 0958"),
        ("+8613812345678", "+86 138 **** 5678"),
        ("+861012345678", "+86 10 **** 5678"),
        ("+14155552671", "+1 415 *** 2671"),
        ("+4930123456789", "+49 30 ***** 6789"),
        ("anonymous", "anonymous"),
        ("1001", "****"),
        ("not+a 123456789 number", "*****6789"),
    ],
)
def test_mask(e164: str, masked: str) -> None:
    assert mask(e164) == masked


@given(st.from_regex(r"\+86 ?1[3-9]\d{9}", fullmatch=True))
def test_mask_never_shows_the_middle_digits(raw: str) -> None:
    phone = normalize(raw, None)
    if phone is None:
        return
    masked = mask(phone.e164)
    digits = phone.e164[1:]
    assert re.sub(r"\D", "", masked) == digits[:5] + digits[-4:]
    assert "*" * 4 in masked


@pytest.mark.parametrize(
    ("e164", "extension", "shown"),
    [
        ("+442079460958", None, "020 7946 0958"),
        ("+8613800138000", None, "138 0013 8000"),
        ("+861012345678", None, "010 1234 5678"),
        ("+14155552671", "123", "(415) 555-2671 ext. 123"),
        ("not a number", None, "not a number"),
    ],
)
def test_format_national(e164: str, extension: str | None, shown: str) -> None:
    assert format_national(e164, extension) == shown


@given(st.text(max_size=40), st.sampled_from(["CN", "GB", "US", "DE", None]))
def test_any_input_gives_a_phone_or_none_and_never_raises(raw: str, region: str | None) -> None:
    phone = normalize(raw, region)
    match = decide_match(raw, region, {})
    if phone is None:
        assert match.e164 is None
        assert match_keys(raw, region) == []
    else:
        assert re.fullmatch(r"\+[1-9]\d{3,15}", phone.e164)
        assert match_keys(raw, region) == [phone.e164] == [match.e164]
        assert match.kind is MatchKind.NONE


@pytest.mark.parametrize(
    ("e164", "extension", "home", "shown"),
    [
        ("+442079460958", None, "GB", "020 7946 0958"),
        ("+442079460958", None, "CN", "+44 20 7946 0958"),
        ("+14155552671", "123", "US", "(415) 555-2671 ext. 123"),
        ("+14155552671", "123", "CN", "+1 415-555-2671 ext. 123"),
        ("not a number", None, "CN", "not a number"),
    ],
)
def test_format_display_is_national_at_home_and_international_abroad(
        e164: str, extension: str | None, home: str, shown: str) -> None:
    assert format_display(e164, extension, home) == shown


def test_region_of() -> None:
    assert region_of("+442079460958") == "GB"
    assert region_of("+8613812345678") == "CN"
    assert region_of("anonymous") is None


def test_a_caller_just_read_is_formatted_without_parsing_it_again(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = "0044 20 7946 0123 ext. 7"  # a number no other test formats, so nothing is cached yet
    phone = normalize(raw, "CN")
    assert phone is not None and phone.extension == "7"
    parses: list[str] = []
    real = phones._parse
    monkeypatch.setattr(phones, "_parse", lambda text, region: parses.append(text) or real(text, region))
    assert (region_of(phone.e164), format_national(phone.e164), mask(phone.e164)) == (
        "GB", "020 7946 0123", "+44 20 **** 0123")
    assert format_display(phone.e164, None, "CN") == "+44 20 7946 0123"
    assert parses == []
    # The extension belongs to the reading, not to the shared forms.
    assert format_national(phone.e164, "7") == "020 7946 0123 x7"
