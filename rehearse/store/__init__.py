"""The database layer: the only package that imports sqlite-utils or writes SQL.

`Database` is exported for type hints elsewhere, so no other module needs sqlite-utils itself.
"""

from sqlite_utils import Database

__all__ = ["Database"]
