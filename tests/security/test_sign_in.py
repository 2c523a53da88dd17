"""Signing in with OpenID Connect done right (issue 12, item 6; decision 0022).

The token checks run against the development issuer in this process (its keys, discovery and
token endpoint), with a verifier built as a service builds it, so that its settings can be
production's. The services' side of the flow (PKCE, state, nonce, audiences asked for) runs
against the whole system.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import RSAKey

from chassis.auth import KeySet, TokenVerifier
from chassis.errors import Forbidden, Unauthorized
from chassis.i18n import Catalogue
from chassis.oidc_discovery import HttpClients, OidcProvider
from chassis.oidc_login import LOGIN_COOKIE, decode_pending, encode_pending
from chassis.settings import ServiceSettings
from deploy.dev_issuer import create_app as create_issuer
from deploy.system import RunningSystem
from tests.support.identities import IdentityFactory
from tests.support.sign_in import SignIn, query_of

ISSUER = "https://tunnistus.kanta-hame.example"
TASKS = "digipolku-tasks"
CALLBACK = "http://127.0.0.1:9/auth/callback"


class OneReference:
    """Every client is the same client here: the reference lookup is not under test."""

    async def client_ref_for(self, claims: dict[str, Any], token: str) -> str | None:
        return "c-" + "0" * 32


@pytest.fixture
def issuer_app(monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("DIGIPOLKU_ENVIRONMENT", "development")
    monkeypatch.setenv("DIGIPOLKU_OIDC_ISSUER", ISSUER)
    return create_issuer()


def over(app: FastAPI) -> HttpClients:
    return lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISSUER)


@pytest.fixture
async def issuer(issuer_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with over(issuer_app)() as client:
        yield client


def verifier_for(issuer_app: FastAPI, audience: str = TASKS, **settings: Any) -> TokenVerifier:
    chosen = ServiceSettings.model_construct(
        service_name=audience.removeprefix("digipolku-"),
        oidc_issuer=ISSUER,
        **{"environment": "development", **settings},
    )
    return TokenVerifier.from_settings(chosen, OneReference(), http=over(issuer_app))


async def mint(issuer: httpx.AsyncClient, **claims: Any) -> str:
    claims = {"subject": "ohjaaja-1", "role": "counselor", "tenant": "kanta-hame", **claims}
    response = await issuer.post("/dev/token", json=claims)
    response.raise_for_status()
    return str(response.json()["access_token"])


async def jwks_fetches(issuer: httpx.AsyncClient) -> int:
    return int((await issuer.get("/dev/stats")).json()["jwks_requests"])


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def authorization_code(
    issuer: httpx.AsyncClient, challenge: str, client_id: str = TASKS, nonce: str = "n-1"
) -> str:
    """A code from the issuer's staff sign-in page, bound to `challenge`."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "state": "s-1",
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": TASKS,
    }
    page = await issuer.get(f"/authorize?{urlencode(query)}")
    assert page.status_code == 200, page.text
    found = re.search(r'name="request_id" value="([^"]+)"', page.text)
    assert found
    signed = await issuer.post(
        "/authorize/staff", data={"account": "ohjaaja-demo", "request_id": found.group(1)}
    )
    assert signed.status_code == 303
    return query_of(signed.headers["location"])["code"][0]


async def exchange(
    issuer: httpx.AsyncClient, code: str, verifier: str | None, client_id: str = TASKS
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": client_id,
    }
    if verifier is not None:
        form["code_verifier"] = verifier
    return await issuer.post("/token", data=form)


# -- the issuer: PKCE ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "pkce",
    [{}, {"code_challenge": "x" * 43, "code_challenge_method": "plain"}, {"code_challenge": "x"}],
    ids=["none", "plain", "S256-missing-method"],
)
async def test_the_issuer_refuses_an_authorization_request_without_pkce_s256(
    issuer: httpx.AsyncClient, pkce: dict[str, str]
) -> None:
    query = {
        "response_type": "code",
        "client_id": TASKS,
        "redirect_uri": CALLBACK,
        "state": "s",
        "nonce": "n",
        **pkce,
    }
    refused = await issuer.get(f"/authorize?{urlencode(query)}")
    assert refused.status_code == 400
    assert "request_id" not in refused.text


async def test_the_issuer_exchanges_a_code_only_with_its_pkce_verifier(
    issuer: httpx.AsyncClient,
) -> None:
    verifier = secrets.token_urlsafe(48)
    code = await authorization_code(issuer, challenge_of(verifier))
    assert (await exchange(issuer, code, None)).status_code == 400
    code = await authorization_code(issuer, challenge_of(verifier))
    wrong = await exchange(issuer, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code = await authorization_code(issuer, challenge_of(verifier))
    exchanged = await exchange(issuer, code, verifier)
    assert exchanged.status_code == 200
    assert {"id_token", "access_token"} <= exchanged.json().keys()
    # A code is good once.
    assert (await exchange(issuer, code, verifier)).status_code == 400


# -- tokens: keys, leeway, audience, type, MFA --------------------------------------------


def forged(kid: str) -> str:
    """A token signed by a key the issuer never had, under a key id it does not know."""
    key = RSAKey.generate_key(2048, parameters={"kid": kid})
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": TASKS, "sub": "x", "iat": now, "exp": now + 600}
    return jwt.encode({"alg": "RS256", "kid": kid, "typ": "at+jwt"}, claims, key)


async def test_unknown_key_ids_refetch_the_issuers_keys_at_most_once_per_interval(
    issuer_app: FastAPI, issuer: httpx.AsyncClient
) -> None:
    verifier = verifier_for(issuer_app)
    genuine = await mint(issuer)
    await verifier.verify(genuine)
    assert await jwks_fetches(issuer) == 1
    for n in range(20):
        with pytest.raises(Unauthorized):
            await verifier.verify(forged(f"made-up-{n}"))
    await verifier.verify(genuine)
    assert await jwks_fetches(issuer) == 1, "unknown key ids within 30 s fetched the keys again"


class RoundTrip(httpx.AsyncBaseTransport):
    """An issuer a few milliseconds away, as over a network."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.02)
        return await self._inner.handle_async_request(request)


async def test_requests_that_come_while_the_keys_are_fetched_wait_for_them(
    issuer_app: FastAPI, issuer: httpx.AsyncClient
) -> None:
    # A service that has just started and is asked by many clients at once (the simulator),
    # while its request for the keys takes a network round trip.
    chosen = ServiceSettings.model_construct(
        service_name="tasks", oidc_issuer=ISSUER, environment="development"
    )
    slow = RoundTrip(httpx.ASGITransport(app=issuer_app))
    verifier = TokenVerifier.from_settings(
        chosen, OneReference(), http=lambda: httpx.AsyncClient(transport=slow, base_url=ISSUER)
    )
    genuine = await mint(issuer)
    verified = await asyncio.gather(*(verifier.verify(genuine) for _ in range(20)))
    assert {principal.subject for principal in verified} == {"ohjaaja-1"}
    assert await jwks_fetches(issuer) == 1


async def test_after_the_interval_an_unknown_key_id_fetches_the_keys_again(
    issuer_app: FastAPI, issuer: httpx.AsyncClient
) -> None:
    now = [1000.0]
    keys = KeySet(OidcProvider(ISSUER, http=over(issuer_app)), clock=lambda: now[0])
    kid = str((await issuer.get("/jwks")).json()["keys"][0]["kid"])
    await keys.keys_for(kid)
    before = await jwks_fetches(issuer)
    for moment in (0, 29):  # within 30 s of the last fetch: refused without asking
        now[0] = 1000.0 + moment
        with pytest.raises(Unauthorized):
            await keys.keys_for("rotated-in")
    assert await jwks_fetches(issuer) == before
    now[0] = 1031.0
    with pytest.raises(Unauthorized):
        await keys.keys_for("rotated-in")
    assert await jwks_fetches(issuer) == before + 1
    with pytest.raises(Unauthorized):
        await keys.keys_for("rotated-in")
    assert await jwks_fetches(issuer) == before + 1
    assert await keys.keys_for(kid)  # the known key still holds


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({"lifetime_seconds": -30}, True),
        ({"lifetime_seconds": -90}, False),
        ({"clock_skew_seconds": 30}, True),
        ({"clock_skew_seconds": 120}, False),
    ],
    ids=["expired-30s", "expired-90s", "issued-30s-ahead", "issued-120s-ahead"],
)
async def test_a_minute_of_clock_skew_is_allowed_and_no_more(
    issuer_app: FastAPI, issuer: httpx.AsyncClient, claims: dict[str, int], accepted: bool
) -> None:
    verifier = verifier_for(issuer_app)
    token = await mint(issuer, **claims)
    if accepted:
        assert (await verifier.verify(token)).subject == "ohjaaja-1"
    else:
        with pytest.raises(Unauthorized):
            await verifier.verify(token)


async def test_each_service_accepts_only_tokens_for_its_own_audience(
    issuer_app: FastAPI, issuer: httpx.AsyncClient
) -> None:
    for_reporting = await mint(issuer, audience=["digipolku-reporting"])
    with pytest.raises(Unauthorized):
        await verifier_for(issuer_app, TASKS).verify(for_reporting)
    assert await verifier_for(issuer_app, "digipolku-reporting").verify(for_reporting)
    for_both = await mint(issuer, audience=["digipolku-reporting", TASKS])
    assert await verifier_for(issuer_app, TASKS).verify(for_both)


async def test_an_id_token_is_never_accepted_as_an_access_token(
    issuer_app: FastAPI, issuer: httpx.AsyncClient
) -> None:
    verifier_code = secrets.token_urlsafe(48)
    code = await authorization_code(issuer, challenge_of(verifier_code), nonce="n-42")
    tokens = (await exchange(issuer, code, verifier_code)).json()
    verifier = verifier_for(issuer_app, TASKS)
    # The ID token's audience is the client id, here the same name as tasks' audience.
    claims = await verifier.verify_id_token(tokens["id_token"], TASKS, "n-42")
    assert claims["aud"] == TASKS
    with pytest.raises(Unauthorized):
        await verifier.verify(tokens["id_token"])
    assert (await verifier.verify(tokens["access_token"])).subject == "ohjaaja-demo"
    with pytest.raises(Unauthorized):
        await verifier.verify_id_token(tokens["access_token"], TASKS, "n-42")
    with pytest.raises(Unauthorized):
        await verifier.verify_id_token(tokens["id_token"], TASKS, "another-nonce")


PRODUCTION = {"environment": "production"}


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({"amr": ["pwd"]}, False),
        ({"amr": []}, False),
        ({"amr": ["pwd", "otp"]}, True),
        ({"amr": ["hwk"]}, True),
        ({"amr": ["pwd"], "acr": "http://ftn.ficora.fi/2017/loa3"}, True),
    ],
    ids=["password", "nothing", "otp", "hardware-key", "strong-acr"],
)
async def test_staff_without_a_second_factor_are_refused_in_production(
    issuer_app: FastAPI, issuer: httpx.AsyncClient, claims: dict[str, Any], accepted: bool
) -> None:
    verifier = verifier_for(issuer_app, "digipolku-guidance", **PRODUCTION)
    token = await mint(issuer, audience=["digipolku-guidance"], **claims)
    if accepted:
        assert (await verifier.verify(token)).role == "counselor"
    else:
        with pytest.raises(Forbidden) as refused:
            await verifier.verify(token)
        assert refused.value.code == "error.staff_mfa_required"


async def test_staff_mfa_is_what_production_asks_for_and_is_said_in_finnish_and_swedish(
    issuer_app: FastAPI, issuer: httpx.AsyncClient
) -> None:
    password_only = await mint(issuer, amr=["pwd"])
    assert await verifier_for(issuer_app).verify(password_only)  # development: the issuer's
    production = verifier_for(issuer_app, **PRODUCTION)
    assert production.staff_mfa_amr == ServiceSettings.model_fields["staff_mfa_amr"].default
    catalogue = Catalogue.load()
    finnish = catalogue.text("error.staff_mfa_required", "fi")
    assert "kaksivaiheisella" in finnish
    assert catalogue.text("error.staff_mfa_required", "sv") not in ("", finnish)


async def test_a_staff_api_call_without_a_second_factor_is_a_finnish_403_in_production(
    issuer_app: FastAPI, issuer: httpx.AsyncClient
) -> None:
    from tests.security.in_process import client, production_app

    app = production_app("guidance")
    app.state.runtime.verifier = verifier_for(issuer_app, "digipolku-guidance", **PRODUCTION)
    token = await mint(issuer, audience=["digipolku-guidance"], amr=["pwd"])
    async with client(app) as http:
        refused = await http.get("/caseload", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "kaksivaiheisella" in refused.json()["detail"]


# -- the services' side of the flow (whole system) ----------------------------------------


@pytest.mark.parametrize(
    ("service", "audiences"),
    [
        ("tasks", ["digipolku-tasks", "digipolku-guidance", "digipolku-enrolment"]),
        (
            "guidance",
            [
                "digipolku-guidance",
                "digipolku-tasks",
                "digipolku-enrolment",
                "digipolku-reporting",
            ],
        ),
        ("reporting", ["digipolku-reporting"]),
    ],
)
def test_the_pages_ask_for_a_code_with_pkce_state_nonce_and_the_audiences_they_read(
    system: RunningSystem, service: str, audiences: list[str]
) -> None:
    flow = SignIn(system, service)
    started = flow.start()
    asked = query_of(flow.authorize_url)
    assert flow.authorize_url.startswith(f"{system.issuer_url}/authorize?")
    assert asked["code_challenge_method"] == ["S256"]
    assert len(asked["code_challenge"][0]) == 43
    assert len(asked["state"][0]) >= 32 and len(asked["nonce"][0]) >= 32
    assert asked["resource"] == audiences
    pending = decode_pending(flow.login_cookie)
    assert challenge_of(pending["verifier"]) == asked["code_challenge"][0]
    assert pending["state"] == asked["state"][0] and pending["nonce"] == asked["nonce"][0]
    cookie = started.headers["set-cookie"]
    assert cookie.startswith(f"{LOGIN_COOKIE}=")
    for flag in ("HttpOnly", "Secure", "Path=/", "SameSite=lax", "Max-Age=600"):
        assert flag in cookie
    assert "domain=" not in cookie.lower()


def test_a_callback_with_another_state_is_refused(system: RunningSystem) -> None:
    flow = SignIn(system, "guidance")
    flow.start()
    callback = flow.identify(account="ohjaaja-demo")
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in query_of(callback).items()}
    tampered = urlunsplit(parts._replace(query=urlencode({**query, "state": "s" * 43})))
    refused = flow.come_back(tampered)
    assert refused.status_code == 400
    assert "__Host-digipolku_session" not in refused.headers.get("set-cookie", "")
    assert flow.come_back(callback, login_cookie="").status_code == 400


def test_an_id_token_with_another_nonce_is_refused(system: RunningSystem) -> None:
    flow = SignIn(system, "guidance")
    flow.start()
    parts = urlsplit(flow.authorize_url)
    query = [(k, v) for k, values in query_of(flow.authorize_url).items() for v in values]
    replaced = [(k, "n" * 43 if k == "nonce" else v) for k, v in query]
    tampered = urlunsplit(parts._replace(query=urlencode(replaced)))
    refused = flow.come_back(flow.identify(account="ohjaaja-demo", authorize_url=tampered))
    assert refused.status_code == 401
    assert "__Host-digipolku_session" not in refused.headers.get("set-cookie", "")
    # The same sign-in untouched goes through.
    honest = SignIn(system, "guidance")
    honest.start()
    assert honest.come_back(honest.identify(account="ohjaaja-demo")).status_code == 303


def test_the_service_redeems_the_code_with_its_own_pkce_verifier(system: RunningSystem) -> None:
    flow = SignIn(system, "guidance")
    flow.start()
    callback = flow.identify(account="ohjaaja-demo")
    pending = decode_pending(flow.login_cookie)
    swapped = encode_pending({**pending, "verifier": secrets.token_urlsafe(48)})
    assert flow.come_back(callback, login_cookie=swapped).status_code == 401


def test_a_client_token_from_the_issuer_opens_no_other_services_api(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    only_reporting = identities.token(
        subject="ohjaaja-x", role="counselor", tenant="kanta-hame", audience=["digipolku-reporting"]
    )
    refused = httpx.get(
        f"{system.urls['guidance']}/caseload",
        headers={"Authorization": f"Bearer {only_reporting}"},
        timeout=10,
    )
    assert refused.status_code == 401
