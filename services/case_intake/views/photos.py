"""A photo as its readers see it: the stored upload's answer, and a case's photos as links to the image and its
thumbnail (the bytes are served by GET /photos/{id}, to those who may read the case)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.models import Photo
from services.case_intake.schemas import CasePhoto, PhotoUploaded

URL = "/api/case-intake/photos/{id}"


def uploaded_model(photo: Photo) -> PhotoUploaded:
    url = URL.format(id=photo.id)
    return PhotoUploaded(
        id=photo.id,
        width=photo.width,
        height=photo.height,
        bytes=photo.size,
        url=url,
        thumbnail_url=f"{url}/thumbnail",
    )


async def case_photos(session: AsyncSession, case_id: str) -> list[CasePhoto]:
    query = (
        select(Photo.id, Photo.width, Photo.height).where(Photo.case_id == case_id).order_by(Photo.position, Photo.id)
    )
    return [photo_model(row.id, row.width, row.height) for row in (await session.execute(query)).all()]


def photo_model(photo_id: str, width: int, height: int) -> CasePhoto:
    url = URL.format(id=photo_id)
    return CasePhoto(id=photo_id, url=url, thumbnail_url=f"{url}/thumbnail", width=width, height=height)
