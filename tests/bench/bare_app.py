"""The baseline: a bare FastAPI app with a trivial GET and a POST that validates a body like a case's."""

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Submission(BaseModel):
    kind: str
    category: str
    description: str
    grid_id: str


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}


@app.post("/submissions", status_code=201)
async def submit(body: Submission) -> Submission:
    return body
