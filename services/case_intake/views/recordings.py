"""A voice note as its readers see it: the stored upload's answer, and a case's voice note as a link (the bytes are
served by GET /recordings/{id}, to those who may read the case's photos)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.logic.recordings import content_type
from services.case_intake.models import Recording
from services.case_intake.schemas import CaseRecording, RecordingUploaded

URL = "/api/case-intake/recordings/{id}"


def uploaded_model(recording: Recording) -> RecordingUploaded:
    return RecordingUploaded(
        id=recording.id,
        content_type=content_type(recording.container),
        duration_ms=recording.duration_ms,
        bytes=recording.size,
        url=URL.format(id=recording.id),
    )


async def case_recording(session: AsyncSession, case_id: str) -> CaseRecording | None:
    query = select(Recording.id, Recording.container, Recording.duration_ms).where(Recording.case_id == case_id)
    row = (await session.execute(query)).first()
    if row is None:
        return None
    return CaseRecording(
        id=row.id, url=URL.format(id=row.id), content_type=content_type(row.container), duration_ms=row.duration_ms
    )
