"""The caller's data as case intake keeps it (GET /me/data): everything under the access token's subject, read
whole (a download that must be complete, as the gateway hands it to the caller in one file: not paginated; a
villager has a handful of cases). Their cases are shaped as their filer sees them (views.cases.read_model), so
nothing of anybody else's is in it that the caller may not read in the app already."""

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.models import (
    Case,
    CaseSupporter,
    CaseTransition,
    MediationSession,
    Photo,
    Recording,
    Referral,
    StationHandover,
)
from services.case_intake.schemas import (
    ContactRead,
    MyCase,
    MyData,
    MyMediation,
    MyPhoto,
    MyRating,
    MyRecording,
    MyReferral,
    MyStep,
    MySupport,
    ReceptionRead,
)
from services.case_intake.views.cases import read_model
from services.case_intake.views.recordings import content_type
from shared.auth import Principal


async def my_data(session: AsyncSession, principal: Principal) -> MyData:
    subject = principal.subject
    query = select(Case).where(Case.submitted_by == subject).order_by(Case.submitted_at, Case.id)
    cases = (await session.execute(query)).scalars().all()
    return MyData(
        account=subject,
        cases=[await _my_case(session, case) for case in cases],
        photos=await _photos(session, subject, [case.id for case in cases]),
        recordings=await _recordings(session, subject, [case.id for case in cases]),
        supports=await _supports(session, subject),
        ratings=[
            MyRating(case_id=case.id, rating=case.rating, comment=case.rating_comment, at=case.closed_at)
            for case in cases
            if case.rating
        ],
        steps=await _steps(session, subject),
        referrals=await _referrals(session, subject),
        mediation_sessions=await _mediations(session, subject),
    )


async def _my_case(session: AsyncSession, case: Case) -> MyCase:
    read = await read_model(session, case, contact_visible=True)
    contact = ContactRead(phone=case.contact_phone, name=case.contact_name, preference=case.contact_preference)
    handover = await session.get(StationHandover, case.id)  # what they said (and were told) at the reception
    reception = ReceptionRead.model_validate(handover).model_dump() if handover is not None else None
    fields = {**read.model_dump(), "reception": reception}
    return MyCase(**fields, contact=contact, rating_comment=case.rating_comment, closed_at=case.closed_at)


async def _photos(session: AsyncSession, subject: str, case_ids: list[str]) -> list[MyPhoto]:
    """Their uploads and their cases' photos: sizes, never the bytes."""
    theirs = or_(Photo.uploaded_by == subject, Photo.case_id.in_(case_ids))
    query = select(
        Photo.id, Photo.case_id, Photo.width, Photo.height, Photo.size, Photo.uploaded_at, Photo.attached_at
    ).where(theirs)
    rows = (await session.execute(query.order_by(Photo.uploaded_at, Photo.id))).all()
    return [
        MyPhoto(
            id=row.id,
            case_id=row.case_id,
            width=row.width,
            height=row.height,
            bytes=row.size,
            uploaded_at=row.uploaded_at,
            attached_at=row.attached_at,
        )
        for row in rows
    ]


async def _recordings(session: AsyncSession, subject: str, case_ids: list[str]) -> list[MyRecording]:
    """Their voice-note uploads and their cases' voice notes: lengths and sizes, never the bytes."""
    theirs = or_(Recording.uploaded_by == subject, Recording.case_id.in_(case_ids))
    query = select(
        Recording.id,
        Recording.case_id,
        Recording.container,
        Recording.duration_ms,
        Recording.size,
        Recording.uploaded_at,
        Recording.attached_at,
    ).where(theirs)
    rows = (await session.execute(query.order_by(Recording.uploaded_at, Recording.id))).all()
    return [
        MyRecording(
            id=row.id,
            case_id=row.case_id,
            content_type=content_type(row.container),
            duration_ms=row.duration_ms,
            bytes=row.size,
            uploaded_at=row.uploaded_at,
            attached_at=row.attached_at,
        )
        for row in rows
    ]


async def _supports(session: AsyncSession, subject: str) -> list[MySupport]:
    query = select(CaseSupporter).where(CaseSupporter.supporter == subject)
    rows = (await session.execute(query.order_by(CaseSupporter.at, CaseSupporter.id))).scalars()
    return [
        MySupport(case_id=row.case_id, at=row.at, from_merge=row.filer, origin_case_id=row.origin_case_id)
        for row in rows
    ]


async def _steps(session: AsyncSession, subject: str) -> list[MyStep]:
    query = select(CaseTransition).where(CaseTransition.actor == subject)
    rows = (await session.execute(query.order_by(CaseTransition.at, CaseTransition.seq, CaseTransition.id))).scalars()
    return [
        MyStep(
            case_id=step.case_id,
            action=step.action,
            from_status=step.from_status,
            to_status=step.to_status,
            reason=step.reason,
            note=step.note,
            at=step.at,
        )
        for step in rows
    ]


async def _referrals(session: AsyncSession, subject: str) -> list[MyReferral]:
    query = select(Referral).where(or_(Referral.created_by == subject, Referral.answered_by == subject))
    rows = (await session.execute(query.order_by(Referral.created_at, Referral.id))).scalars()
    return [
        MyReferral(
            id=row.id,
            case_id=row.case_id,
            organisation=row.organisation,
            created_at=row.created_at,
            question=row.question if row.created_by == subject else None,
            answered_at=row.answered_at if row.answered_by == subject else None,
            answer=row.answer if row.answered_by == subject else None,
        )
        for row in rows
    ]


async def _mediations(session: AsyncSession, subject: str) -> list[MyMediation]:
    query = select(
        MediationSession.id, MediationSession.case_id, MediationSession.held_on, MediationSession.created_at
    ).where(MediationSession.created_by == subject)
    rows = (await session.execute(query.order_by(MediationSession.created_at, MediationSession.id))).all()
    return [MyMediation(id=row.id, case_id=row.case_id, held_on=row.held_on, created_at=row.created_at) for row in rows]
