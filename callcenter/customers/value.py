"""Customer value from orders: ABC tier, RFM scores and CLV, as pure functions of orders and ``now``."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from callcenter.customers.models import CustomerValue, Order, Rfm, Tier

DAY_MS = 86_400_000


@dataclass(frozen=True)
class ValueParams:
    """Settings of the value model.

    ``margin`` defaults to 0.3: orders carry revenue, CLV wants margin, and 30 % is a
    conservative retail gross margin. A center sets its own; it scales every CLV alike, so the
    ranking of customers does not depend on it.
    """

    discount_rate: float = 0.1
    years: int = 5
    margin: float = 0.3
    window_ms: int = 365 * DAY_MS
    a_share: float = 0.8
    b_share: float = 0.95

    def __post_init__(self) -> None:
        if self.discount_rate <= -1:
            raise ValueError("discount_rate must be greater than -1")
        if self.years < 0:
            raise ValueError("years must not be negative")
        if self.window_ms <= 0:
            raise ValueError("window_ms must be positive")
        if not 0 <= self.a_share <= self.b_share <= 1:
            raise ValueError("shares must satisfy 0 <= a_share <= b_share <= 1")


def _past(orders: Iterable[Order], now_ms: int) -> list[Order]:
    # An order dated after now is a clock skew or a pre-order; it has not happened yet.
    return [o for o in orders if o.at_ms <= now_ms]


def in_window(order: Order, now_ms: int, window_ms: int) -> bool:
    """True when the order lies in the trailing window ``[now - window, now]``, both ends included."""
    return now_ms - window_ms <= order.at_ms <= now_ms


def abc_tiers(revenue_cents: Mapping[int, int], a_share: float = 0.8, b_share: float = 0.95) -> dict[int, Tier]:
    """ABC tier of each customer by Pareto share of revenue.

    Customers are sorted by revenue, highest first, ties broken by customer id (lower id first).
    With ``before`` the revenue of all customers ahead of one in that order and ``total`` the
    revenue of all, the customer is A if ``before < a_share·total``, else B if
    ``before < b_share·total``, else C. So the customer who crosses the 80 % line is still A, and
    a lone customer is A. Customers with no revenue (zero) are C.
    """
    total = sum(v for v in revenue_cents.values() if v > 0)
    a_limit = Decimal(str(a_share)) * total
    b_limit = Decimal(str(b_share)) * total
    tiers = {cid: Tier.C for cid in revenue_cents}
    before = 0
    for cid, revenue in sorted(revenue_cents.items(), key=lambda kv: (-kv[1], kv[0])):
        if revenue <= 0:
            break
        if before < a_limit:
            tiers[cid] = Tier.A
        elif before < b_limit:
            tiers[cid] = Tier.B
        before += revenue
    return tiers


def quintile_scores(values: Mapping[int, int]) -> dict[int, int]:
    """Score each key 1–5 by the percentile rank of its value, higher value scoring higher.

    The percentile rank is the mid-rank ``(below + equal/2) / n``, where ``below`` counts the
    values strictly lower and ``equal`` the values equal (itself included); the score is
    ``1 + floor(5·rank)``. Equal values get equal scores, the result does not depend on the
    order of the input, and a lone value (or a field of equal values) scores 3, the middle.
    """
    n = len(values)
    ordered = sorted(values.values())
    scores: dict[int, int] = {}
    for key, value in values.items():
        below = bisect_left(ordered, value)
        equal = bisect_right(ordered, value) - below
        # Integer arithmetic keeps the quintile edges exact: floor(5·(2·below + equal) / (2n)).
        scores[key] = 1 + (5 * (2 * below + equal)) // (2 * n)
    return scores


def rfm_scores(orders: Iterable[Order], customer_ids: Iterable[int], now_ms: int) -> dict[int, Rfm | None]:
    """RFM scores over all orders up to ``now``, ranked among the customers that have orders.

    R ranks the last order date (most recent best), F the number of orders, M the total amount.
    Scores are quintiles by :func:`quintile_scores`. All-time orders are used so that a lapsed
    customer still gets a (low) recency score instead of none; customers without any order
    get ``None``.
    """
    wanted = list(dict.fromkeys(customer_ids))
    return _rfm(order_totals(orders, wanted, now_ms, ValueParams()), wanted)


def _rfm(totals: Mapping[int, OrderTotals], wanted: Iterable[int]) -> dict[int, Rfm | None]:
    r = quintile_scores({cid: t.last_at_ms for cid, t in totals.items()})
    f = quintile_scores({cid: t.count for cid, t in totals.items()})
    m = quintile_scores({cid: t.amount_cents for cid, t in totals.items()})
    return {cid: Rfm(r[cid], f[cid], m[cid]) if cid in totals else None for cid in wanted}


def clv_cents(revenue_12m_cents: int, params: ValueParams) -> int:
    """Customer lifetime value ``m·(1−(1+r)^−n)/r`` with ``m`` = yearly revenue × margin; ``m·n`` if r = 0.

    Computed in decimal arithmetic and rounded half up to whole cents, so results are exact and
    the same on every machine.
    """
    m = Decimal(revenue_12m_cents) * Decimal(str(params.margin))
    r = Decimal(str(params.discount_rate))
    n = params.years
    factor = Decimal(n) if r == 0 else (1 - (1 + r) ** -n) / r
    return int((m * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class OrderTotals:
    """One customer's orders up to ``now``, summed: what every value score is computed from.

    A store can sum these in SQL, so computing values never needs every order in memory.
    """

    last_at_ms: int
    count: int
    amount_cents: int
    window_count: int
    window_amount_cents: int


def order_totals(
    orders: Iterable[Order], customer_ids: Iterable[int], now_ms: int, params: ValueParams
) -> dict[int, OrderTotals]:
    """Sum the orders up to ``now`` of each customer that has any; other customers' orders are ignored."""
    known = set(customer_ids)
    sums: dict[int, list[int]] = {}
    for order in _past(orders, now_ms):
        if order.customer_id not in known:
            continue
        acc = sums.setdefault(order.customer_id, [order.at_ms, 0, 0, 0, 0])
        acc[0] = max(acc[0], order.at_ms)
        acc[1] += 1
        acc[2] += order.amount_cents
        if in_window(order, now_ms, params.window_ms):
            acc[3] += 1
            acc[4] += order.amount_cents
    return {cid: OrderTotals(*acc) for cid, acc in sums.items()}


def values_from_totals(
    totals: Mapping[int, OrderTotals], customer_ids: Iterable[int], params: ValueParams | None = None
) -> dict[int, CustomerValue]:
    """Value of each of ``customer_ids`` from their order totals (customers without totals have no orders)."""
    params = params or ValueParams()
    wanted = list(dict.fromkeys(customer_ids))
    known = set(wanted)
    totals = {cid: t for cid, t in totals.items() if cid in known}
    revenue = {cid: totals[cid].window_amount_cents if cid in totals else 0 for cid in wanted}
    tiers = abc_tiers(revenue, params.a_share, params.b_share)
    rfm = _rfm(totals, wanted)
    return {
        cid: CustomerValue(
            customer_id=cid,
            tier=tiers[cid],
            rfm=rfm[cid],
            clv_cents=clv_cents(revenue[cid], params),
            revenue_12m_cents=revenue[cid],
            orders_12m=totals[cid].window_count if cid in totals else 0,
            last_order_at=totals[cid].last_at_ms if cid in totals else None,
        )
        for cid in wanted
    }


def compute_values(
    orders: Iterable[Order],
    customer_ids: Iterable[int],
    now_ms: int,
    params: ValueParams | None = None,
) -> dict[int, CustomerValue]:
    """Value of each of ``customer_ids`` at ``now_ms``; orders of other customers are ignored.

    The population for ABC shares and RFM quintiles is ``customer_ids``; the trailing window
    (``params.window_ms``, 365 days by default) feeds revenue, order count, tier and CLV.
    """
    params = params or ValueParams()
    wanted = list(dict.fromkeys(customer_ids))
    return values_from_totals(order_totals(orders, wanted, now_ms, params), wanted, params)
