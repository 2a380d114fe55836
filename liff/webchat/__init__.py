"""The web chat: the same answers as LINE on the town's website (``create_webchat_app``)."""

from liff.webchat.app import create_webchat_app

__all__ = ["create_webchat_app"]
