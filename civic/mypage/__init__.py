"""The citizen's my-page (マイページ, 酒田市 第5章 1(1)–(3), (5), (7)): what concerns one citizen in one
place — notices received, bookings, reports, saved 手続きナビ results as a to-do list, registered
data — and e-mail as a second identity and channel (国富町 表4 no.4–5).

``models`` the tables; ``sections`` the reads of each section (every one scoped to one citizen:
another citizen's id is "not found"); ``todos`` saved procedure results; ``identity`` e-mail
addresses, one-time codes, web sessions, TOTP; ``channels`` LINE / e-mail per topic; ``outbox`` the
durable e-mail outbox (``bot.mail_sender`` sends it); ``templates`` the Japanese mails.
"""
