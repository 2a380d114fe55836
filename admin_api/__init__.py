"""The staff REST API: an aiohttp sub-application under /admin/api/v1 with its own middlewares."""
