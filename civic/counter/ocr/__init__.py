"""OCR of the documents residents bring (小郡市 spec (4) a ア–エ, b): layouts as definitions, engines
that run on the counter machine's CPU with no network, and the reading of named fields."""
