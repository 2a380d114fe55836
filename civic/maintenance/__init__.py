"""Maintenance notices (国富町 §5(イ), §8(4)(ア); city-site spec (f)): staff schedule a window, citizens
see it in advance on the LIFF pages and the web chat, and during it the bot answers with the notice.
One notice at a time (the next window replaces it)."""
