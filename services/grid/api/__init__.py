"""The grid's HTTP API: the tree (grids), deputies placed in grids (assignments) and the coverage report.
Routes parse, authorise, call logic and shape the answer through views."""

from fastapi import APIRouter

from services.grid.api import assignments, audit, coverage, grids, imports

router = APIRouter()
for section in (grids, assignments, coverage, imports, audit):
    router.include_router(section.router)

__all__ = ["router"]
