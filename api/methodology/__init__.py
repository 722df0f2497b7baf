"""What the figures mean: the methodology page (/methodology, RU and EN) and the citation of a figure."""

from api.methodology.router import router

__all__ = ["router"]
