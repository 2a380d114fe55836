"""The facility map page (folium), mounted at ``/liff/map``: ``create_map_app(...)``."""

from liff.map.app import create_map_app

__all__ = ["create_map_app"]
