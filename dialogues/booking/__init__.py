"""Facility booking in the talk (国富町 spec §8 表4); see ``flow.py`` and ``dialogues/booking.mmd``.

``flow.py`` (entry, what the sentence already said, the next question), ``steps.py`` (prompts),
``make.py`` (the states of a new reservation), ``manage.py`` (my reservations, change, cancel,
waitlist offers), ``desk.py`` (the booking service inside a turn's transaction), ``texts.py``.
"""

from dialogues.booking.flow import BookingFlow

__all__ = ["BookingFlow"]
