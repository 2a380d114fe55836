"""Field types the staff API's schemas share, so a bound is the same everywhere and is in the
OpenAPI document. (Integers a schema leaves unbounded are still kept within the database's
INTEGER range by ``routing._check_ints``.)"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_OFFSET = 1_000_000
MAX_ORDER = 999_999

#: Paging: how many items to skip (every list with ``offset`` uses this one).
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description=f"先頭から飛ばす件数（0〜{MAX_OFFSET:,}）")]
#: A staff-set order: smaller comes first.
DisplayOrder = Annotated[int, Field(ge=-MAX_ORDER, le=MAX_ORDER,
                                    description=f"表示順（小さいほど先。-{MAX_ORDER:,}〜{MAX_ORDER:,}）")]
