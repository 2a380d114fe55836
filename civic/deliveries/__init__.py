"""Deliveries (国富町 §9(2)(ア)③⑥⑧⑨⑩⑪): messages to everyone, a segment or the test accounts —
now, at a time, on a recurring rule, or n days from a registered date — sent exactly once in
multicast batches, with statistics, click tracking, CSV bulk schedules and mail-to-LINE."""
