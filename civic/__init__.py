"""The town's services, independent of any channel (no LINE, no aiohttp, no Japanese text handling)."""
