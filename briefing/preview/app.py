"""The preview's web application (Starlette): its own pages, the built PDFs and their page images,
and nothing else.

No URL path reaches the file system: a meeting, layout and edition are looked up among those
the preview builds, and the file is the one the build writes for them (read by pdffiles, which
refuses links). Requests only read: builds are started by saves, never by a request. Every
response forbids scripts, styles and images from anywhere but the preview itself.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from briefing.preview.pageimages import PageImages
from briefing.preview.pages import index_page, meeting_page, meeting_title, not_found_page
from briefing.preview.pdffiles import read_built_pdf
from briefing.preview.state import PreviewState

STATIC = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; connect-src 'self'; base-uri 'none'; "
                           "form-action 'none'; frame-ancestors 'none'")
HEARTBEAT_SECONDS = 15


def make_app(state: PreviewState, images: PageImages, allowed_hosts: list[str]) -> Starlette:
    """The application; `allowed_hosts` are the Host header values it answers (another name
    pointed at this machine, as a DNS-rebinding page would use, gets 400)."""
    static = {path.name: (path.read_bytes(), STATIC_TYPES[path.suffix])
              for path in sorted(STATIC.iterdir()) if path.suffix in STATIC_TYPES}

    def page(html: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-cache"})

    def not_found() -> HTMLResponse:
        return page(not_found_page(state.snapshot()), 404)

    def index(request: Request) -> Response:
        snapshot = state.snapshot()
        titles = {}
        for name, meeting in snapshot.meetings.items():
            for output in meeting.outputs.values():
                if output.sha256:
                    titles[name] = meeting_title(images.info(output.path, output.sha256),
                                                 output.edition)
                    break
        return page(index_page(snapshot, titles))

    def meeting(request: Request) -> Response:
        snapshot = state.snapshot()
        found = snapshot.meetings.get(request.path_params["name"])
        if found is None or not snapshot.layouts or not snapshot.editions:
            return not_found()
        layout = request.query_params.get("layout")
        edition = request.query_params.get("edition")
        layout = layout if layout in snapshot.layouts else snapshot.layouts[0]
        edition = edition if edition in snapshot.editions else snapshot.editions[0]
        state.viewed = (found.name, layout, edition)  # builds this first; starts nothing
        output = found.output(layout, edition)
        info = images.info(output.path, output.sha256) if output and output.sha256 else None
        return page(meeting_page(snapshot, found, layout, edition, info))

    def built_output(request: Request):
        found = state.meeting(request.path_params["name"])
        if found is None:
            return None
        output = found.output(request.path_params["layout"], request.path_params["edition"])
        return output if output is not None and output.sha256 else None

    def pdf(request: Request) -> Response:
        output = built_output(request)
        data = read_built_pdf(images.output_root, output.path, output.sha256) if output else None
        if data is None:
            return not_found()
        name = f"{request.path_params['name']}-{output.layout}-{output.edition}.pdf"
        return Response(data, media_type="application/pdf", headers={
            "Cache-Control": "no-cache",
            "Content-Disposition": f"inline; filename*=UTF-8''{_quoted(name)}"})

    def page_image(request: Request) -> Response:
        output = built_output(request)
        if output is None or request.path_params["sha"] != output.sha256:
            return not_found()
        data = images.image(output.path, output.sha256, request.path_params["number"])
        if data is None:
            return not_found()
        # The address names the PDF's hash, so the image at it never changes.
        return Response(data, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=31536000, immutable"})

    async def events(request: Request) -> Response:
        async def stream():
            yield f"retry: 1000\n\nevent: change\ndata: {state.changes.version}\n\n"
            seen = state.changes.version
            while not state.changes.closed:
                version = await state.changes.wait(seen, HEARTBEAT_SECONDS)
                if version != seen:
                    seen = version
                    yield f"event: change\ndata: {version}\n\n"
                else:
                    yield ": still here\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    def static_file(request: Request) -> Response:
        found = static.get(request.path_params["file"])
        if found is None:
            return not_found()
        data, media_type = found
        return Response(data, media_type=media_type, headers={"Cache-Control": "no-cache"})

    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 404:
            return not_found()
        return Response(error.detail, status_code=error.status_code, headers=error.headers,
                        media_type="text/plain; charset=utf-8")

    routes = [
        Route("/", index),
        Route("/meeting/{name}", meeting),
        Route("/meeting/{name}/{layout}/{edition}.pdf", pdf),
        Route("/meeting/{name}/{layout}/{edition}/{sha}/page-{number:int}.png", page_image),
        Route("/events", events),
        Route("/static/{file}", static_file),
    ]
    middleware = [Middleware(_SecurityHeaders),
                  Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)]
    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={HTTPException: http_error})


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


class _SecurityHeaders:
    """Headers on every response: a strict Content-Security-Policy (not on PDFs, which the
    browser's own viewer shows), no sniffing, no framing, no referrer."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _value in headers}
                pdf = any(name.lower() == b"content-type" and value.startswith(b"application/pdf")
                          for name, value in headers)
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer"),
                         (b"x-frame-options", b"DENY"),
                         (b"cross-origin-resource-policy", b"same-origin"),
                         (b"cross-origin-opener-policy", b"same-origin")]
                if not pdf:
                    extra.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                headers += [(name, value) for name, value in extra if name not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
