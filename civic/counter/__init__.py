"""書かない窓口: the 住民異動届 made at the counter from the resident's QR code, OCR of the certificate
or card they bring, and typing (小郡市 spec (4) a–j, (5) a–w).

This package runs on the counter role (``python -m bot serve --role counter``), on the town's
番号利用事務系 network with its own database and no link to the LINE service. Its tables exist in
every database (one schema), but only the counter role writes them.
"""
