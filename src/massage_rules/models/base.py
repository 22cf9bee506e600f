"""The base of every public model: frozen, no unknown fields, built at import."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Frozen"]


class Frozen(BaseModel):
    # Built at import, not deferred (no defer_build): integrators hand these classes to pydantic's own
    # tools, which trip over a class not yet built (FastAPI's app.openapi() warns on pydantic 2.14,
    # to_jsonable_python fails before 2.14). It costs `suggest` about 20 M instructions, 2%.
    model_config = ConfigDict(frozen=True, extra="forbid")
