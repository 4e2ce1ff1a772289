"""Types shared by the API schemas."""

from typing import Annotated

from pydantic import Field

# A database row id: positive and within a signed 64-bit integer, so an absurd id is a 422
# naming the field instead of an overflow inside the database driver.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
