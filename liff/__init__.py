"""LIFF mini-pages served as aiohttp sub-applications under /liff/..."""
