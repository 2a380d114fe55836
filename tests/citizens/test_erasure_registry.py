"""Every table is known to the erasure of a citizen (civic.citizens.erasure.REGISTRY): a new table
that may hold something about a citizen fails here until erasure handles it."""

from __future__ import annotations

import sqlalchemy as sa

from bot.inbox.erasure import INBOX_REGISTRY
from bot.inbox.models import INBOX_METADATA
from bot.schema import load_metadata
from civic.citizens.erasure import NONE, REGISTRY
from civic.types import EncryptedText

#: Column names that point at a citizen (a LINE user id, a citizen row, a reporter, …).
IDENTIFYING = {"channel_user_id", "user_key", "citizen_id", "asker", "reporter", "owner", "to", "recipients",
               "visitor", "booker_id", "applicant_name", "applicant_phone", "display_name", "phone", "name"}


def _identifying(table: sa.Table) -> list[str]:
    return [c.name for c in table.columns if c.name in IDENTIFYING or isinstance(c.type, EncryptedText)]


def test_every_table_of_the_main_database_is_in_the_registry() -> None:
    tables = load_metadata().tables
    assert set(tables) - set(REGISTRY) == set(), "add the new tables to civic.citizens.erasure.REGISTRY"
    assert set(REGISTRY) - set(tables) == set(), "the registry names tables that do not exist"


def test_every_table_of_the_inbox_store_is_in_the_registry() -> None:
    assert set(INBOX_METADATA.tables) == set(INBOX_REGISTRY)


def test_a_table_with_a_citizen_column_is_not_waved_through() -> None:
    """Tables declared to hold nothing about a citizen have no column that could identify one,
    except the few whose reason is written down (staff names, facility phone numbers, digests)."""
    reviewed = {"staff_account", "staff_role", "facility", "facility_area", "facility_unit", "facility_equipment",
                "facility_purpose", "attribute_definition", "rich_menu", "rich_menu_group", "segment",
                "delivery_mail_rule", "delivery_inbound_mail", "delivery_link_click",
                "delivery_image",  # its name is the file name staff gave
                # the garbage dictionary's item names, its file names, the content's names (faq, garbage)
                "garbage_item", "garbage_file", "content_version"}
    tables = load_metadata().tables
    suspicious = {name: cols for name, how in REGISTRY.items() if how.startswith(NONE)
                  and (cols := _identifying(tables[name])) and name not in reviewed}
    assert suspicious == {}
