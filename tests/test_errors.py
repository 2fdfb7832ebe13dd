"""The exception tree drawn in errors.py's docstring is the one the classes make."""

import inspect
import re

from rehearse import errors


def test_the_docstring_draws_every_rehearse_error_under_its_parent():
    drawn: dict[str, str | None] = {}
    parents: list[str] = []
    for line in errors.__doc__.splitlines():
        found = re.match(r"^([│ ]*)(?:[├└]── )?([A-Z]\w+Error)$", line)
        if not found:
            continue
        depth = len(found[1]) // 4 + (1 if "──" in line else 0)
        parents[depth:] = [found[2]]
        drawn[found[2]] = parents[depth - 1] if depth else None
    classes = {
        name: (None if cls is errors.RehearseError else cls.__bases__[0].__name__)
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.RehearseError)
    }
    assert drawn == classes
    # One-line subclasses: a docstring and nothing else.
    for _name, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.RehearseError) and cls is not errors.RehearseError:
            assert set(vars(cls)) <= {
                "__module__",
                "__doc__",
                "__qualname__",
                "__firstlineno__",
                "__static_attributes__",
            }
