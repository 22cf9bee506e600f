"""FastAPI answers a bad ClientProfile body with 422 errors located at the field, not at the whole body.

pydantic's own validation of the profile (which FastAPI uses) reports each
problem at its field; the ProfileError that `recommend` raises for an unknown id
carries the same location in `loc`, so an app turns it into the same kind of 422.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import massage_rules as mr

fastapi = pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")
responses = pytest.importorskip("fastapi.responses")

GOOD: dict[str, Any] = {"areas": ["lower_back"], "severity": 6, "phase": "chronic", "goals": ["pain_relief"]}


def _app() -> Any:
    """An app as an integrator writes it: a ClientProfile body, and a ProfileError handler for unknown ids."""
    app = fastapi.FastAPI()

    @app.post("/recommend")
    def recommend(profile: mr.ClientProfile) -> dict[str, str]:
        return {"outcome": mr.recommend(profile).outcome}

    @app.exception_handler(mr.ProfileError)
    async def profile_error(request: Any, exc: mr.ProfileError) -> Any:
        detail = {"type": "value_error", "loc": ["body", *exc.loc], "msg": str(exc), "suggestions": exc.suggestions}
        return responses.JSONResponse(status_code=422, content={"detail": [detail]})

    return app


def _post(body: Any) -> tuple[int, Any]:
    async def call() -> tuple[int, Any]:
        transport = httpx.ASGITransport(app=_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/recommend", json=body)
        return response.status_code, response.json()

    return asyncio.run(call())


# FastAPI builds a deferred model's schema on the first request, and with some FastAPI and pydantic
# versions pydantic warns there that FastAPI's parameter alias has no effect; harmless for this test.
pytestmark = pytest.mark.filterwarnings("ignore:The 'alias' attribute with value:UserWarning")


def test_a_good_profile_is_answered() -> None:
    """A valid body gets the recommendation."""
    assert _post(GOOD) == (200, {"outcome": "treat"})


@pytest.mark.parametrize(
    ("body", "locs"),
    [
        ({**GOOD, "severity": 33}, [["body", "severity"]]),
        ({**GOOD, "severity": "six"}, [["body", "severity"]]),
        ({**GOOD, "areas": ["lower_back", 3]}, [["body", "areas"]]),
        ({**GOOD, "conditions": ["M54."]}, [["body", "conditions"]]),
        ({k: v for k, v in GOOD.items() if k != "goals"}, [["body", "goals"]]),
        (
            {**{k: v for k, v in GOOD.items() if k != "severity"}, "sevrity": 6},
            [["body", "severity"], ["body", "sevrity"]],
        ),
    ],
)
def test_a_bad_shape_is_a_422_at_the_field(body: dict[str, Any], locs: list[list[Any]]) -> None:
    """A wrong type, range or key is reported where it is, as FastAPI reports any model."""
    status, payload = _post(body)
    assert status == 422
    assert sorted(error["loc"] for error in payload["detail"]) == locs


def test_the_library_message_and_field_travel_with_the_422() -> None:
    """The error keeps the library's message, and its ProfileError (field, suggestions) as context."""
    status, payload = _post({**GOOD, "severity": 33})
    assert status == 422
    (error,) = payload["detail"]
    assert error["msg"].endswith("severity: must be from 0 to 10, not 33")
    assert error["ctx"]["error"]["field"] == "severity"


def test_an_unknown_id_is_a_422_at_the_entry_with_suggestions() -> None:
    """An id the knowledge does not know (found by recommend) is located at its entry, with what it may mean."""
    status, payload = _post({**GOOD, "areas": ["back"]})
    assert status == 422
    (error,) = payload["detail"]
    assert error["loc"] == ["body", "areas", 0]
    assert error["suggestions"] == ["lower_back", "upper_back"]
