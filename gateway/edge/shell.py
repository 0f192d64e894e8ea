"""What answers when nothing else does: an /api/ or /open311/ path no route takes is a 404 (405 when only the
method is wrong), never the app shell; every other path is the PWA — the shell and the service worker
revalidated every time, other assets cached for a week.

These routes go onto the app itself, last (`add_to`), not in an included router: to answer 405 they match the
app's other routes with every method, and they tell themselves apart by their paths (CATCH_ALLS)."""

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.routing import Match

from shared.problems import problem_response

NO_CACHE = frozenset({"index.html", "sw.js", "service-worker.js", "manifest.webmanifest", "manifest.json"})
API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
CATCH_ALLS = frozenset({"/api/{path:path}", "/open311/{path:path}", "/{path:path}"})


def _allowed(request: Request) -> list[str]:
    """The methods other routes take on this path (Starlette answers 405 itself, but not past catch-alls)."""
    routes = [route for route in request.app.routes if getattr(route, "path", None) not in CATCH_ALLS]
    return [
        method
        for method in API_METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]


async def unknown(path: str, request: Request) -> Response:
    if methods := _allowed(request):
        answer = problem_response(405, "{method} is not allowed here.", params={"method": request.method})
        answer.headers["Allow"] = ", ".join(methods)
        return answer
    return problem_response(404, "There is no such API path.")


async def unknown_open311(path: str, request: Request) -> Response:
    if methods := _allowed(request):
        answer = [{"code": 405, "description": f"{request.method} is not allowed here."}]
        return JSONResponse(answer, status_code=405, headers={"Allow": ", ".join(methods)})
    return JSONResponse([{"code": 404, "description": "There is no such Open311 path."}], status_code=404)


async def pwa(path: str, request: Request) -> Response:
    root = request.app.state.settings.pwa_dir.resolve()
    if "\x00" in path:  # no file name holds a NUL (the file system refuses it)
        return problem_response(404, "No such file.")
    target = (root / (path or "index.html")).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        if "." in path.rsplit("/", 1)[-1]:
            return problem_response(404, "No such file.")
        target = root / "index.html"  # the app shell answers every in-app route
    cache = "no-cache" if target.name in NO_CACHE else "public, max-age=604800"
    return FileResponse(target, headers={"Cache-Control": cache})


def add_to(app: FastAPI) -> None:
    """After every other route: unknown API paths, then the PWA."""
    app.add_api_route("/api/{path:path}", unknown, methods=API_METHODS, include_in_schema=False)
    app.add_api_route("/open311/{path:path}", unknown_open311, methods=API_METHODS, include_in_schema=False)
    app.add_api_route("/{path:path}", pwa, methods=["GET"], include_in_schema=False)
