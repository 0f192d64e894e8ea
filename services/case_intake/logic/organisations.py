"""The organisations a case is referred to (四方联动): government departments, the court, the procuratorate and
party committees. Reference data the office keeps (seeded with the usual county-level bodies); each `code` is
what its officers' tokens carry as their organisation, so that they find what was referred to them."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.logic.reference import add_coded, change_fields
from services.case_intake.models import Organisation
from services.case_intake.schemas import OrganisationCreate, OrganisationKind, OrganisationUpdate
from shared import audit
from shared.auth import Principal
from shared.errors import NotFound, Unprocessable


async def get_organisation(session: AsyncSession, code: str) -> Organisation:
    organisation = await session.get(Organisation, code)
    if organisation is None:
        raise NotFound("No organisation {code}.", params={"code": code})
    return organisation


async def referable(session: AsyncSession, code: str, kind: OrganisationKind | None) -> Organisation:
    """The organisation a referral names: known, active, and of the kind the referral says (if it says one)."""
    organisation = await session.get(Organisation, code)
    if organisation is None or not organisation.active:
        raise Unprocessable(
            "Unknown organisation {code}: choose one from /organisations.", params={"code": code}, field="organisation"
        )
    if kind is not None and kind != organisation.kind:
        raise Unprocessable(
            "{code} is not a {kind} organisation.", params={"code": code, "kind": kind}, field="organisation_kind"
        )
    return organisation


async def create_organisation(session: AsyncSession, data: OrganisationCreate, by: Principal) -> Organisation:
    organisation = Organisation(**data.model_dump(mode="json"), active=True)
    await add_coded(session, organisation, "organisation")
    await audit.record(session, by, "organisation.create", "organisation", organisation.code, kind=organisation.kind)
    return organisation


async def update_organisation(
    session: AsyncSession, code: str, data: OrganisationUpdate, by: Principal
) -> Organisation:
    """Rename it, change its kind or place in the list, or retire it (`active: false`): its referrals stay."""
    organisation = await change_fields(session, await get_organisation(session, code), data)
    await audit.record(session, by, "organisation.update", "organisation", code, fields=sorted(data.model_fields_set))
    return organisation
