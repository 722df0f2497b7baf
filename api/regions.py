"""GET /v1/regions: the shipped gazetteer, so clients can name places the way the API does."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from api.deps import Application, State
from api.figures import AsOfOut
from projections.queries import AsOf

router = APIRouter(tags=["public"])


class CityOut(BaseModel):
    name_ru: str
    name_en: str
    lat: float
    lon: float


class RegionOut(BaseModel):
    code: str
    name_ru: str
    name_en: str
    timezone: str
    cities: list[CityOut]


class RegionsOut(BaseModel):
    as_of: AsOfOut
    regions: list[RegionOut]


@router.get("/v1/regions", response_model=RegionsOut)
async def regions(request: Request, state: State, application: Application) -> Response:
    """Regions (ISO 3166-2) with their time zones and known cities."""
    gazetteer = application.gazetteer

    async def render() -> tuple[AsOf, bytes]:
        # The gazetteer is static; the position is stamped for a uniform public contract.
        as_of = state.read_model.as_of or AsOf(0, None)
        out = RegionsOut(as_of=AsOfOut.of(as_of), regions=[
            RegionOut(code=r.code, name_ru=r.name_ru, name_en=r.name_en, timezone=r.timezone, cities=[
                CityOut(name_ru=c.name_ru, name_en=c.name_en, lat=c.lat, lon=c.lon)
                for c in gazetteer.cities if c.region == r.code
            ])
            for r in gazetteer.regions
        ])
        return as_of, out.model_dump_json().encode()

    return await state.cache.serve(request, "regions", "application/json", render)
