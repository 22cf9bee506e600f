"""The public models in a FastAPI app: the OpenAPI document builds without warnings, and a request round-trips."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import httpx
from fastapi import FastAPI

from massage_rules import ClientProfile, Recommendation, recommend
from massage_rules.output.json_schema import json_schema

PROFILE = {
    "areas": ["lower_back"],
    "cause": "posture",
    "severity": 6,
    "phase": "chronic",
    "goals": ["pain_relief", "mobility"],
    "health": [],
}


def _app() -> FastAPI:
    """A tiny integrator's app: ``POST /recommend`` takes a profile and answers with a recommendation."""
    app = FastAPI()

    @app.post("/recommend")
    def post_recommend(profile: ClientProfile) -> Recommendation:
        return recommend(profile)

    return app


def _post(app: FastAPI, body: Any) -> httpx.Response:
    """POST ``body`` to the app in-process (httpx's ASGI transport: no server, no starlette TestClient)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post("/recommend", json=body)

    return asyncio.run(send())


def test_openapi_builds_without_warnings() -> None:
    """`app.openapi()` works with warnings as errors and documents the profile's fields and limits."""
    app = _app()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec = app.openapi()
    operation = spec["paths"]["/recommend"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["$ref"] == "#/components/schemas/ClientProfile"
    assert answer["$ref"] == "#/components/schemas/Recommendation"
    documented = spec["components"]["schemas"]["ClientProfile"]  # FastAPI rewrites some details (1 as 1.0)
    shipped = json_schema("profile")
    assert list(documented["properties"]) == list(shipped["properties"])
    assert sorted(documented["required"]) == sorted(shipped["required"]) == ["areas", "goals", "severity"]
    assert documented["additionalProperties"] is False
    assert (documented["properties"]["severity"]["minimum"], documented["properties"]["severity"]["maximum"]) == (0, 10)


def test_a_request_round_trips() -> None:
    """A profile posted as JSON comes back as the same recommendation the library gives directly."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = _post(_app(), PROFILE)
    assert response.status_code == 200
    answer = Recommendation.model_validate(response.json())
    assert answer == recommend(ClientProfile(**PROFILE))
    assert answer.outcome == "treat"
    assert answer.techniques


def test_a_bad_profile_is_a_422_naming_the_field() -> None:
    """An out-of-range severity is refused by the app's validation with the library's message, not a 500."""
    response = _post(_app(), {**PROFILE, "severity": 11})
    assert response.status_code == 422
    messages = [error["msg"] for error in response.json()["detail"]]
    assert any("severity" in message and "0 to 10" in message for message in messages), messages
