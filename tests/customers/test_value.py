from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.customers.models import Order, Rfm, Tier
from callcenter.customers.value import (
    DAY_MS,
    ValueParams,
    abc_tiers,
    clv_cents,
    compute_values,
    quintile_scores,
    rfm_scores,
)

NOW = 1_767_225_600_000  # 2026-01-01T00:00Z


def ago(days: int) -> int:
    return NOW - days * DAY_MS


# Ten customers; amounts in cents, dates in days before NOW. Customer 10 has no orders.
FIXTURE = [
    *(Order(1, ago(d), 100_000) for d in (10, 40, 80, 120, 200)),
    Order(2, ago(3), 100_000),
    Order(2, ago(300), 100_000),
    Order(2, ago(500), 50_000),  # outside the 12 months: counts for RFM only
    Order(3, ago(30), 100_000),
    *(Order(4, ago(d), 25_000) for d in (20, 50, 90, 150)),
    Order(5, ago(60), 25_000),
    Order(5, ago(100), 25_000),
    *(Order(6, ago(d), 10_000) for d in (5, 15, 25)),
    Order(7, ago(364), 15_000),
    Order(8, ago(1), 5_000),
    Order(8, ago(700), 5_000),
    Order(9, ago(400), 40_000),
    Order(9, ago(800), 40_000),
]
CUSTOMERS = list(range(1, 11))

# Trailing-12-month revenue (cents), total 1_000_000:
#   c1 5×100_000 = 500_000   c2 2×100_000 = 200_000   c3 100_000   c4 4×25_000 = 100_000
#   c5 2×25_000 = 50_000     c6 3×10_000 = 30_000     c7 15_000    c8 5_000    c9 0   c10 0
# Sorted desc (c3 before c4 on the tie by id); revenue ahead of each, as a share of the total:
#   c1 0 % → A, c2 50 % → A, c3 70 % → A, c4 80 % (not < 80) → B, c5 90 % → B,
#   c6 95 % (not < 95) → C, c7 98 % → C, c8 99.5 % → C; c9, c10 no revenue → C.
EXPECTED_TIER = {
    1: Tier.A, 2: Tier.A, 3: Tier.A, 4: Tier.B, 5: Tier.B,
    6: Tier.C, 7: Tier.C, 8: Tier.C, 9: Tier.C, 10: Tier.C,
}  # fmt: skip

# RFM over all orders, among the n = 9 customers with orders;
# score = 1 + floor(5·(2·below + equal) / 18).
# R, by days since last order (fewer is better): c8 1, c2 3, c6 5, c1 10, c4 20, c3 30, c5 60,
#   c7 364, c9 400 → below = 8,7,6,5,4,3,2,1,0, equal = 1:
#   85//18=4→5, 75//18=4→5, 65//18=3→4, 55//18=3→4, 45//18=2→3, 35//18=1→2, 25//18=1→2,
#   15//18=0→1, 5//18=0→1.
# F, by order count: 1 (c3, c7): below 0, equal 2 → 10//18=0 → 1;
#   2 (c5, c8, c9): below 2, equal 3 → 35//18=1 → 2;  3 (c2, c6): below 5, equal 2 → 60//18=3 → 4;
#   4 (c4): below 7 → 75//18=4 → 5;  5 (c1): below 8 → 85//18=4 → 5.
# M, by all-time amount: c8 10_000 → 1, c7 15_000 → 1 (15//18=0), c6 30_000 → 2 (25//18=1),
#   c5 50_000 → 2 (35//18=1), c9 80_000 → 3 (45//18=2), c3 = c4 = 100_000: below 5, equal 2 →
#   60//18=3 → 4, c2 250_000 → 5 (75//18=4), c1 500_000 → 5 (85//18=4).
EXPECTED_RFM = {
    1: Rfm(4, 5, 5),
    2: Rfm(5, 4, 5),
    3: Rfm(2, 1, 4),
    4: Rfm(3, 5, 4),
    5: Rfm(2, 2, 2),
    6: Rfm(4, 4, 2),
    7: Rfm(1, 1, 1),
    8: Rfm(5, 2, 1),
    9: Rfm(1, 2, 3),
    10: None,
}

# CLV = m·(1 − 1.1^−5)/0.1 with m = revenue_12m × 0.3:
#   1.1^5 = 1.61051, 1.1^−5 = 0.620921323…, factor = 0.379078677…/0.1 = 3.790786769…
#   c1 150_000 × 3.790786769 = 568_618.02 → 568_618    c2 60_000 × … = 227_447.21 → 227_447
#   c3, c4 30_000 × … = 113_723.60 → 113_724            c5 15_000 × … = 56_861.80 → 56_862
#   c6 9_000 × … = 34_117.08 → 34_117                   c7 4_500 × … = 17_058.54 → 17_059
#   c8 1_500 × … = 5_686.18 → 5_686                     c9, c10: 0
EXPECTED_CLV = {
    1: 568_618, 2: 227_447, 3: 113_724, 4: 113_724, 5: 56_862,
    6: 34_117, 7: 17_059, 8: 5_686, 9: 0, 10: 0,
}  # fmt: skip


def test_fixture_tiers_rfm_and_clv_match_the_hand_computation() -> None:
    values = compute_values(FIXTURE, CUSTOMERS, NOW)

    assert list(values) == CUSTOMERS
    assert {cid: v.tier for cid, v in values.items()} == EXPECTED_TIER
    assert {cid: v.rfm for cid, v in values.items()} == EXPECTED_RFM
    assert {cid: v.clv_cents for cid, v in values.items()} == EXPECTED_CLV


def test_fixture_revenue_counts_and_last_order() -> None:
    values = compute_values(FIXTURE, CUSTOMERS, NOW)

    assert values[2].revenue_12m_cents == 200_000
    assert values[2].orders_12m == 2
    assert values[2].last_order_at == ago(3)
    assert values[9].revenue_12m_cents == 0
    assert values[9].orders_12m == 0
    assert values[9].last_order_at == ago(400)
    assert values[10].last_order_at is None
    assert sum(v.revenue_12m_cents for v in values.values()) == 1_000_000


def test_no_orders_at_all() -> None:
    values = compute_values([], [1, 2, 3], NOW)

    for value in values.values():
        assert value.tier is Tier.C
        assert value.rfm is None
        assert value.clv_cents == 0
        assert value.orders_12m == 0
        assert value.last_order_at is None


def test_no_customers() -> None:
    assert compute_values(FIXTURE, [], NOW) == {}


def test_one_customer_is_a_and_scores_in_the_middle() -> None:
    values = compute_values([Order(7, ago(2), 1_000)], [7], NOW)

    assert values[7].tier is Tier.A
    assert values[7].rfm == Rfm(3, 3, 3)


def test_equal_revenue_splits_by_customer_id() -> None:
    orders = [Order(cid, ago(10), 10_000) for cid in range(10, 0, -1)]

    values = compute_values(orders, range(1, 11), NOW)

    # Revenue ahead of customer k is (k−1)·10 %: 0–70 % → A, 80 % and 90 % → B.
    assert [values[cid].tier for cid in range(1, 11)] == [Tier.A] * 8 + [Tier.B] * 2
    assert {v.rfm for v in values.values()} == {Rfm(3, 3, 3)}


def test_orders_older_than_twelve_months_give_tier_c_but_keep_rfm() -> None:
    orders = [Order(1, ago(366), 90_000), Order(2, ago(30), 100)]

    values = compute_values(orders, [1, 2], NOW)

    assert values[1].tier is Tier.C
    assert values[1].revenue_12m_cents == 0
    assert values[1].clv_cents == 0
    assert values[1].last_order_at == ago(366)
    # Two customers, distinct values: worse gets 1 + floor(5·1/4) = 2, better 1 + floor(5·3/4) = 4.
    assert values[1].rfm == Rfm(2, 3, 4)
    assert values[2].rfm == Rfm(4, 3, 2)
    assert values[2].tier is Tier.A


def test_window_includes_its_first_millisecond_only() -> None:
    window = ValueParams().window_ms
    orders = [Order(1, NOW - window, 100), Order(2, NOW - window - 1, 100)]

    values = compute_values(orders, [1, 2], NOW)

    assert values[1].orders_12m == 1
    assert values[2].orders_12m == 0


def test_future_orders_and_other_customers_are_ignored() -> None:
    orders = [Order(1, NOW + 1, 50_000), Order(1, ago(1), 100), Order(99, ago(1), 10**9)]

    values = compute_values(orders, [1, 2], NOW)

    assert set(values) == {1, 2}
    assert values[1].revenue_12m_cents == 100
    assert values[1].last_order_at == ago(1)
    assert values[1].tier is Tier.A
    assert values[1].rfm == Rfm(3, 3, 3)


def test_clv_with_zero_discount_rate_is_margin_times_years() -> None:
    params = ValueParams(discount_rate=0.0, years=5, margin=0.3)

    assert clv_cents(100_000, params) == 150_000  # 100_000 × 0.3 × 5


def test_clv_with_other_settings() -> None:
    # m = 1_000 × 1.0; factor = (1 − 1.05^−2)/0.05 = (1 − 0.907029478…)/0.05 = 1.859410430…
    params = ValueParams(discount_rate=0.05, years=2, margin=1.0)

    assert clv_cents(1_000, params) == 1_859


def test_quintiles_two_per_score_for_ten_distinct_values() -> None:
    scores = quintile_scores({cid: cid * 7 for cid in range(1, 11)})

    assert [scores[cid] for cid in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_rfm_scores_none_for_customers_without_orders() -> None:
    scores = rfm_scores([Order(1, ago(1), 5)], [1, 2], NOW)

    assert scores == {1: Rfm(3, 3, 3), 2: None}


def test_abc_tiers_ignore_non_positive_revenue_in_the_total() -> None:
    assert abc_tiers({1: 0, 2: 0}) == {1: Tier.C, 2: Tier.C}
    assert abc_tiers({1: 10, 2: 0}) == {1: Tier.A, 2: Tier.C}


@pytest.mark.parametrize(
    "kwargs",
    [{"discount_rate": -1.0}, {"years": -1}, {"window_ms": 0}, {"a_share": 0.96}, {"b_share": 1.5}],
)
def test_value_params_reject_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ValueParams(**kwargs)  # type: ignore[arg-type]


def test_negative_order_amount_is_rejected() -> None:
    with pytest.raises(ValueError):
        Order(1, NOW, -1)


orders_strategy = st.lists(
    st.builds(
        Order,
        customer_id=st.integers(1, 12),
        at_ms=st.integers(NOW - 800 * DAY_MS, NOW + DAY_MS),
        amount_cents=st.integers(0, 10**7),
    ),
    max_size=60,
)


@given(orders_strategy)
def test_higher_revenue_never_gets_a_worse_tier(orders: list[Order]) -> None:
    values = compute_values(orders, range(1, 13), NOW)

    rank = {Tier.A: 0, Tier.B: 1, Tier.C: 2}
    for a in values.values():
        for b in values.values():
            if a.revenue_12m_cents > b.revenue_12m_cents:
                assert rank[a.tier] <= rank[b.tier]
    for value in values.values():
        if value.rfm is not None:
            assert all(1 <= s <= 5 for s in (value.rfm.recency, value.rfm.frequency, value.rfm.monetary))
        assert (value.rfm is None) == (value.last_order_at is None)


@given(orders_strategy)
def test_a_customers_hold_at_least_the_a_share_of_revenue(orders: list[Order]) -> None:
    values = compute_values(orders, range(1, 13), NOW)

    total = sum(v.revenue_12m_cents for v in values.values())
    a_revenue = sum(v.revenue_12m_cents for v in values.values() if v.tier is Tier.A)
    assert a_revenue * 10 >= total * 8
    # Dropping the smallest A customer must fall below 80 %, or A would be larger than needed.
    a_values = sorted(v.revenue_12m_cents for v in values.values() if v.tier is Tier.A)
    if a_values:
        assert (a_revenue - a_values[0]) * 10 < total * 8
