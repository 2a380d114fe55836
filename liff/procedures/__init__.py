"""手続きナビ on the web and in LINE (LIFF), and the staff counter page (小郡市 spec §8(6))."""

from liff.procedures.app import COUNTER_PERMISSION, create_procedures_app
from liff.procedures.identity import HttpIdTokenVerifier, IdTokenVerifier, LineUser, ResultNotifier

__all__ = ["COUNTER_PERMISSION", "HttpIdTokenVerifier", "IdTokenVerifier", "LineUser", "ResultNotifier",
           "create_procedures_app"]
