"""Content staff edit live in the console: the FAQ and the garbage dictionary (issue #16).

``content/<town>/`` is the seed: on first start the files are copied into these tables
(``seed_faq`` / ``seed_garbage``); from then on the database is the source of truth and export gives
the files back. Every published change bumps a ``content_version`` row; every process of the service
polls it and re-indexes (``bot.content_reload``).
"""
