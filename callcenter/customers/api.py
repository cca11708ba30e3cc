"""HTTP routes of customers: profiles, numbers, search, bulk writes, orders, value, and the customer pages."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from callcenter.accounts.models import Actor
from callcenter.customers.bulk import ItemResult
from callcenter.customers.models import Customer
from callcenter.customers.schemas import (
    BulkCustomer,
    BulkCustomersIn,
    BulkItemOut,
    BulkOrdersIn,
    BulkOut,
    CustomerCard,
    CustomerCreate,
    CustomerOut,
    CustomerQuery,
    CustomerUpdate,
    OrderBulkItem,
    OrderIn,
    OrderOut,
    PhoneAdd,
    RecomputeOut,
    parse_items,
)
from callcenter.customers.service import CustomerService
from callcenter.errors import NotFound
from callcenter.schemas import FieldProblem, Page, PageQuery
from callcenter.web.http import (
    Policy,
    RouteTable,
    client_ip,
    json_response,
    parse_body,
    parse_query,
    path_int,
    user_of,
)
from callcenter.web.keys import CLOCK
from callcenter.web.render import render

CUSTOMERS = web.AppKey("customers", CustomerService)
routes = RouteTable("customers")
PAGE_SIZE = 50


def _actor(request: web.Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


def _out(request: web.Request, customer: Customer) -> CustomerOut:
    return CustomerOut.of(customer, request.app[CUSTOMERS].default_region)


def _bulk_out(results: list[ItemResult]) -> BulkOut:
    items = [BulkItemOut(index=r.index, id=r.id, action=r.action,
                         errors=[FieldProblem(loc=list(e.loc), msg=e.msg) for e in r.errors]) for r in results]
    stored = sum(1 for r in results if r.action)
    return BulkOut(stored=stored, failed=len(results) - stored, items=items)


async def _search(request: web.Request, query: CustomerQuery) -> tuple[list[Customer], str | None]:
    found = await request.app[CUSTOMERS].search(
        q=query.q, region=query.region, tier=query.tier, dedicated_agent_id=query.dedicated_agent_id,
        after_id=query.after(), limit=query.fetch,
    )
    return query.cut(found, lambda c: c.id)


@routes.route("GET", "/api/customers", policy=Policy.AGENT, query=CustomerQuery, response=Page[CustomerOut],
              summary="List customers; q searches names, companies and numbers in any format")
async def list_customers(request: web.Request) -> web.Response:
    found, cursor = await _search(request, parse_query(request, CustomerQuery))
    return json_response(Page[CustomerOut](items=[_out(request, c) for c in found], next_cursor=cursor))


@routes.route("POST", "/api/customers", policy=Policy.AGENT, summary="Create a customer", body=CustomerCreate,
              response=CustomerOut, status=201)
async def create_customer(request: web.Request) -> web.Response:
    body = await parse_body(request, CustomerCreate)
    customer = await request.app[CUSTOMERS].create(_actor(request), body.draft(), body.region)
    return json_response(_out(request, customer), status=201)


@routes.route("POST", "/api/customers/bulk", policy=Policy.ADMIN, body=BulkCustomersIn, response=BulkOut,
              summary="Create or update up to 1000 customers; each item is stored or refused on its own")
async def bulk_customers(request: web.Request) -> web.Response:
    body = await parse_body(request, BulkCustomersIn)
    good, bad = parse_items(body.items, BulkCustomer)
    results = await request.app[CUSTOMERS].bulk_upsert(
        _actor(request), [(i, item.draft()) for i, item in good], body.region,
        failed=[ItemResult(i, errors=tuple(errors)) for i, errors in bad],
    )
    return json_response(_bulk_out(results))


@routes.route("POST", "/api/customers/values/recompute", policy=Policy.ADMIN, response=RecomputeOut,
              summary="Recompute every customer's ABC tier, RFM scores and CLV now")
async def recompute_values(request: web.Request) -> web.Response:
    now = request.app[CLOCK].now_ms()
    changed = await request.app[CUSTOMERS].recompute_values(now)
    return json_response(RecomputeOut(changed=changed, computed_at=now))


@routes.route("GET", "/api/customers/{id}", policy=Policy.AGENT, summary="Read a customer", response=CustomerOut)
async def get_customer(request: web.Request) -> web.Response:
    return json_response(_out(request, await request.app[CUSTOMERS].get(path_int(request, "id"))))


@routes.route("PATCH", "/api/customers/{id}", policy=Policy.AGENT, body=CustomerUpdate, response=CustomerOut,
              summary="Change a customer; given phones replace all numbers")
async def update_customer(request: web.Request) -> web.Response:
    body = await parse_body(request, CustomerUpdate)
    customer = await request.app[CUSTOMERS].update(_actor(request), path_int(request, "id"), body.draft(),
                                                   body.region)
    return json_response(_out(request, customer))


@routes.route("GET", "/api/customers/{id}/card", policy=Policy.AGENT, response=CustomerCard,
              summary="A customer's screen-pop card: profile, numbers, value, dedicated agent")
async def get_card(request: web.Request) -> web.Response:
    cards = await request.app[CUSTOMERS].cards([path_int(request, "id")])
    if not cards:
        raise NotFound("no such customer")
    return json_response(CustomerCard.model_validate(cards[0]))


@routes.route("POST", "/api/customers/{id}/phones", policy=Policy.AGENT, body=PhoneAdd, response=CustomerOut,
              summary="Add a number to a customer (a number it already has is kept once)")
async def add_phone(request: web.Request) -> web.Response:
    body = await parse_body(request, PhoneAdd)
    customer = await request.app[CUSTOMERS].add_phone(
        _actor(request), path_int(request, "id"), body.phone, body.region, body.label
    )
    return json_response(_out(request, customer))


@routes.route("GET", "/api/customers/{id}/orders", policy=Policy.AGENT, query=PageQuery, response=Page[OrderOut],
              summary="A customer's orders")
async def list_orders(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    found = await request.app[CUSTOMERS].list_orders(path_int(request, "id"), after_id=query.after(),
                                                     limit=query.fetch)
    orders, cursor = query.cut(found, lambda o: o.id)
    return json_response(Page[OrderOut](items=[OrderOut.of(o) for o in orders], next_cursor=cursor))


@routes.route("POST", "/api/customers/{id}/orders", policy=Policy.ADMIN, body=OrderIn, response=OrderOut,
              status=201, summary="Add an order; value follows at the next recompute (bulk, daily or on request)")
async def add_order(request: web.Request) -> web.Response:
    body = await parse_body(request, OrderIn)
    order = await request.app[CUSTOMERS].add_order(
        _actor(request), path_int(request, "id"), body.at_ms(), body.amount_cents, body.external_id
    )
    return json_response(OrderOut.of(order), status=201)


@routes.route("POST", "/api/orders/bulk", policy=Policy.ADMIN, body=BulkOrdersIn, response=BulkOut,
              summary="Store up to 1000 orders, each on its own, then recompute customer value")
async def bulk_orders(request: web.Request) -> web.Response:
    body = await parse_body(request, BulkOrdersIn)
    good, bad = parse_items(body.items, OrderBulkItem)
    results = await request.app[CUSTOMERS].bulk_orders(
        _actor(request), [(i, item.draft()) for i, item in good], body.region,
        failed=[ItemResult(i, errors=tuple(errors)) for i, errors in bad],
    )
    return json_response(_bulk_out(results))


def _day(ms: int | None) -> str:
    return "" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


@routes.route("GET", "/customers", policy=Policy.AGENT, summary="The customers page: search and list",
              content_type="text/html")
async def customers_page(request: web.Request) -> web.Response:
    raw = {k: v for k, v in request.query.items() if v and k in {"q", "tier", "cursor"}}
    try:
        query = CustomerQuery.model_validate({**raw, "limit": PAGE_SIZE})
    except ValueError:
        query = CustomerQuery(limit=PAGE_SIZE)
    found, cursor = await _search(request, query)
    response = render(request, "customers/list.html", customers=[_out(request, c) for c in found],
                      q=query.q or "", tier=query.tier.value if query.tier else "", next_cursor=cursor)
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.route("GET", "/customers/{id}", policy=Policy.AGENT, content_type="text/html",
              summary="A customer's page: profile, numbers, value, orders")
async def customer_page(request: web.Request) -> web.Response:
    service = request.app[CUSTOMERS]
    cards = await service.cards([path_int(request, "id")])
    if not cards:
        raise web.HTTPNotFound(text="no such customer")
    orders = await service.latest_orders(cards[0]["id"])
    response = render(request, "customers/detail.html", card=cards[0], orders=orders,
                      day=_day, money=_money)
    response.headers["Cache-Control"] = "no-store"
    return response
