"""The public dashboard at `/`: the published figures as one server-rendered, self-contained page."""

from api.dashboard.router import router

__all__ = ["router"]
