"""String enums whose members carry a translated label, stored by value in the database."""

import enum

import sqlalchemy as sa


class LabelledEnum(str, enum.Enum):
    """An enum of codes; subclasses define ``_labels()`` mapping members to lazy strings."""

    @classmethod
    def _labels(cls) -> dict:
        raise NotImplementedError

    @property
    def label(self) -> str:
        return str(self._labels()[self])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]



def enum_column(enum_cls, length: int = 32) -> sa.Enum:
    """A portable VARCHAR column that stores enum values, not names."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )
