"""Downloads of the aggregate counts (CSV, Excel, GeoJSON): per local day, region and city. Never a report."""

from api.export.routes import router

__all__ = ["router"]
