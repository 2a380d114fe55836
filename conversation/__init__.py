"""The conversation core, independent of any channel: a turn, a citizen's conversation state and
the handler protocol (``conversation.turn``), typed inbound events (``conversation.events``), the
one postback grammar (``conversation.postback``) and the part of the turn loop every channel
shares (``conversation.loop``). LINE (``bot/``) and the web chat (``liff/webchat``) run their turns
through it; it imports neither of them (``tests/test_layers.py``).
"""
