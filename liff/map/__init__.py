"""The facility map page (Leaflet, served from the package), mounted at ``/liff/map``: ``create_map_app(...)``."""

from liff.map.app import OPENSTREETMAP, TileServer, create_map_app

__all__ = ["OPENSTREETMAP", "TileServer", "create_map_app"]
