"""The database column type of each field type."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, Numeric, String, Text
from sqlalchemy.types import TypeDecorator

from app.spec import FieldSpec


class Money(TypeDecorator):
    """Exact decimals everywhere: NUMERIC on PostgreSQL, integer minor units on SQLite
    (whose NUMERIC is a float and would lose cents)."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 12, scale: int = 2) -> None:
        super().__init__(precision=precision, scale=scale)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        value = Decimal(str(value))
        if dialect.name == "sqlite":
            return int(value.scaleb(self.scale).to_integral_value())
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value)


def string(field: FieldSpec) -> Any:
    return String(field.max_length or 200)


def sized(length: int) -> Any:
    return lambda field: String(length)


def text(field: FieldSpec) -> Any:
    return Text()


def integer(field: FieldSpec) -> Any:
    """Also the id column of reference and user fields."""
    return Integer()


def money(field: FieldSpec) -> Any:
    return Money(field.precision, field.scale)


def date(field: FieldSpec) -> Any:
    return Date()


def datetime(field: FieldSpec) -> Any:
    return DateTime()


def boolean(field: FieldSpec) -> Any:
    return Boolean()
