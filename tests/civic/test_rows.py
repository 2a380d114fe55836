"""civic.rows: the typed helpers that replace `# type: ignore` on primary keys and Core tables."""

import pytest

from civic.rows import pk, table_of
from civic.staff.models import OperationLog, StaffRole


def test_pk_returns_the_primary_key_of_a_stored_row():
    assert pk(StaffRole(id=7, key="clerk", name="窓口", permissions="[]")) == 7


def test_pk_refuses_a_row_that_was_never_flushed():
    with pytest.raises(ValueError, match="StaffRole has no primary key"):
        pk(StaffRole(key="clerk", name="窓口", permissions="[]"))


def test_table_of_is_the_models_core_table():
    table = table_of(OperationLog)
    assert table.name == OperationLog.__tablename__
    assert "action" in table.c and "at" in table.c
