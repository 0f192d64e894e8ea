"""A fund pool's caps: one per kind of project (service, goods, works), none above the pool's total."""

from services.micro_funding.domain.money import format_fen
from shared import i18n
from shared.errors import Unprocessable

KINDS = ("service", "goods", "works")


def check_caps(total_fen: int, caps_fen: dict[str, int]) -> None:
    """Raise 422 unless the total is positive and each per-project cap (service/goods/works) fits in it."""
    if total_fen <= 0:
        raise Unprocessable("A fund pool needs a positive total.")
    over = sorted(kind for kind, cap in caps_fen.items() if cap > total_fen)
    if over:
        raise Unprocessable("These caps exceed the total: {over}.", params={"over": ", ".join(over)})


def check_budget(total_fen: int, kind: str, cap_fen: int) -> None:
    """A project's budget stays within its pool's cap for its kind."""
    if total_fen > cap_fen:
        raise Unprocessable(
            "The budget {total_fen} exceeds the {kind} cap {cap_fen}.",
            params={
                "total_fen": format_fen(total_fen),
                "kind": i18n.code("project_kind", kind),
                "cap_fen": format_fen(cap_fen),
            },
        )
