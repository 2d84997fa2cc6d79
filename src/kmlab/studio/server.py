"""Studio's web application: the page, its scripts, the API, and the guard in front of them all.

:func:`create_app` builds the FastAPI application for one launch.  Everything it
serves sits behind :class:`Guard`, which refuses (403) any request

- whose ``Host`` header is not the server's own address (a DNS-rebinding page
  reaches the server under its own name),
- whose ``Origin`` (when sent) is another site, or that the browser marks
  ``Sec-Fetch-Site: cross-site``,
- without the launch token: ``/?token=...`` (the URL ``kmlab studio``
  prints) sets it as an HttpOnly, SameSite=Strict cookie and redirects to
  ``/``; scripts may send it instead as the ``X-Kmlab-Token`` header;

and answers 413 to a body larger than ``max_upload_bytes``.  Responses carry a
strict Content-Security-Policy: the page loads nothing from elsewhere (plotly.js
is served from the installed plotly package).
"""

import ipaddress
import json
import secrets
import socket
from contextlib import asynccontextmanager
from http.cookies import CookieError, SimpleCookie
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs

from .._optional import import_optional
from .compute import StudioError

#: Largest request body (an uploaded CSV): 10 MB.
MAX_UPLOAD_BYTES = 10 * 2**20

_STATIC = resources.files(__package__) / "static"
_STATIC_FILES = {"app.js": "text/javascript", "app.css": "text/css"}
_SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                 b"img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
                                 b"base-uri 'none'; form-action 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]  # fmt: skip

_FORBIDDEN_PAGE = """<!doctype html><meta charset="utf-8"><title>kmlab Studio</title>
<p>This is kmlab Studio. Open the address that <code>kmlab studio</code> printed (it ends in
<code>?token=...</code>): each launch has its own token.</p>"""


def _import(name):
    return import_optional(name, "kmlab Studio needs FastAPI, uvicorn and plotly", "studio")


def is_loopback(host):
    """Whether ``host`` is an address only this machine can reach (127.0.0.0/8, ::1, 'localhost').

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0"), is_loopback("::1")
    (True, True, False, True)
    """
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _host_names(host):
    """The names a browser may use to reach a server listening on ``host``."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        names.add(host.lower())
        return names
    if address.is_unspecified:  # every interface: the machine's own names and addresses
        hostname = socket.gethostname()
        names.update(name.lower() for name in (hostname, socket.getfqdn()))
        try:
            infos = socket.getaddrinfo(hostname, None)
        except OSError:
            infos = []
        for info in infos:
            ip = ipaddress.ip_address(info[4][0].split("%")[0])
            names.add(f"[{ip}]" if ip.version == 6 else str(ip))
    elif not address.is_loopback:
        names.add(f"[{address}]" if address.version == 6 else str(address))
    return names


def _url_host(host):
    """How the printed URL names a server listening on ``host``."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    if address.is_unspecified:
        return "127.0.0.1"
    return f"[{address}]" if address.version == 6 else str(address)


def allowed_hosts(host, port):
    """The ``Host`` header values of requests meant for this server.

    Examples
    --------
    >>> sorted(allowed_hosts("127.0.0.1", 8765))
    ['127.0.0.1:8765', '[::1]:8765', 'localhost:8765']
    """
    hosts = {f"{name}:{port}" for name in _host_names(host)}
    if port == 80:
        hosts.update(_host_names(host))
    return hosts


def _json(status, detail):
    return status, [(b"content-type", b"application/json")], json.dumps({"detail": detail}).encode()


class Guard:
    """ASGI middleware: host, origin and token checks, body size limit, security headers.

    Parameters
    ----------
    app : ASGI application
    token : str
        The launch token.
    hosts : set of str
        Accepted ``Host`` header values (lower case, with the port).
    max_body : int
        Largest request body in bytes.
    """

    def __init__(self, app, *, token, hosts, max_body):
        self.app = app
        self.token = token
        self.hosts = hosts
        self.origins = {f"http://{host}" for host in hosts}
        self.max_body = max_body
        self.cookie = f"kmlab_studio_{secrets.token_hex(4)}"  # one per launch: two Studios never mix cookies

    def _has_token(self, headers):
        header = headers.get(b"x-kmlab-token")
        if header is not None and secrets.compare_digest(header, self.token.encode()):
            return True
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
        except CookieError:
            return False
        morsel = cookies.get(self.cookie)
        return morsel is not None and secrets.compare_digest(morsel.value.encode(), self.token.encode())

    def _refusal(self, scope, headers):
        """(status, headers, body) when the request must be refused, else None."""
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if host not in self.hosts:
            return _json(403, f"Host {host!r} is not this Studio's address; open the URL kmlab studio printed.")
        origin = headers.get(b"origin")
        if origin is not None and origin.decode("latin-1").lower() not in self.origins:
            return _json(403, "cross-site requests are refused.")
        if headers.get(b"sec-fetch-site") == b"cross-site":
            return _json(403, "cross-site requests are refused.")
        path = scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = query.get("token", [""])[0]
        if path == "/" and given:
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                return 403, [(b"content-type", b"text/html; charset=utf-8")], _FORBIDDEN_PAGE.encode()
            cookie = f"{self.cookie}={self.token}; HttpOnly; SameSite=Strict; Path=/"
            return 303, [(b"location", b"/"), (b"set-cookie", cookie.encode())], b""
        if not self._has_token(headers):
            if path.startswith("/api/"):
                return _json(403, "missing or wrong Studio token: open the URL kmlab studio printed")
            return 403, [(b"content-type", b"text/html; charset=utf-8")], _FORBIDDEN_PAGE.encode()
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return _json(413, f"the request is larger than {self.max_body // 2**20} MB, Studio's limit.")
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            if scope["type"] == "websocket":  # Studio has none
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return

        async def send_secured(message):
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in _SECURITY_HEADERS if name not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        async def respond(status, headers, body):
            await send_secured({"type": "http.response.start", "status": status, "headers": headers})
            await send_secured({"type": "http.response.body", "body": body})

        headers = dict(scope["headers"])
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await respond(*refusal)
            return
        # Read the whole body (chunked uploads have no Content-Length), counting.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                await respond(*_json(413, f"the request is larger than {self.max_body // 2**20} MB, Studio's limit."))
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send_secured)


def _plotly_js():
    """The plotly.js bundled with the plotly package."""
    plotly = _import("plotly")
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ImportError(
            f'the plotly package has no bundled plotly.min.js at {path}: pip install --force-reinstall "plotly>=5.20"'
        )
    return path


def create_app(*, host="127.0.0.1", port=8765, token=None, allow_code=None, data=None, code_timeout=30.0,
               max_upload_bytes=MAX_UPLOAD_BYTES, compute_slots=4):  # fmt: skip
    """The Studio application for one launch.

    Parameters
    ----------
    host : str, default='127.0.0.1'
        The address the server listens on (decides the accepted ``Host``
        headers, and whether the code runner is on by default).
    port : int, default=8765
        The port it listens on.
    token : str, default=None
        The launch token; None draws one (``secrets.token_urlsafe``).  Read it
        back as ``app.state.token``.
    allow_code : bool, default=None
        Whether the code panel may run programs.  None: only when ``host`` is
        a loopback address.
    data : str or Path, default=None
        A table (CSV, TSV or Parquet) to show first instead of the default preset.
    code_timeout : float, default=30.0
        Wall-clock seconds a program of the code panel may run (imports
        included: ``import kmlab, sklearn, matplotlib`` alone takes 2 to 5 s).
    max_upload_bytes : int, default=MAX_UPLOAD_BYTES
        Largest request body.
    compute_slots : int, default=4
        Fits and other computations run at once.

    Returns
    -------
    app : fastapi.FastAPI
        ``app.state.studio`` is the :class:`kmlab.studio.api.Studio`,
        ``app.state.token`` the token, ``app.state.url`` the address to open.

    Raises
    ------
    ValueError, OSError
        ``data`` cannot be read or has fewer than two numeric columns.

    Examples
    --------
    >>> app = create_app(port=8765, token="secret", allow_code=False)
    >>> app.state.url
    'http://127.0.0.1:8765/?token=secret'
    """
    fastapi = _import("fastapi")
    _import("uvicorn")  # to serve it
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

    from . import api

    plotly_js = _plotly_js()
    token = secrets.token_urlsafe(24) if token is None else token
    if allow_code is None:
        allow_code = is_loopback(host)
    runner = None
    reason = ""
    if allow_code:
        from .runner import CodeRunner

        runner = CodeRunner(timeout=code_timeout, memory_mb=1024, output_limit=200_000, max_concurrent=2, max_figures=8)
    else:
        reason = f"Studio listens on {host}, beyond this machine; restart it with --allow-code to run programs."
    studio = api.Studio(runner, reason, compute_slots=compute_slots)
    if data is not None:
        from ..io import read_table
        from .data import table_from_frame

        studio.pin_table(table_from_frame(read_table(data), Path(data).name))

    @asynccontextmanager
    async def lifespan(app):
        try:
            yield
        finally:
            if runner is not None:
                runner.shutdown()

    app = fastapi.FastAPI(title="kmlab Studio", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.studio = studio
    app.state.token = token
    app.state.url = f"http://{_url_host(host)}:{port}/?token={token}"

    @app.exception_handler(StudioError)
    async def studio_error(request, exc):
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.get("/", response_class=HTMLResponse)
    async def page():
        return HTMLResponse((_STATIC / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/plotly.min.js")
    async def plotly():
        cache = {"cache-control": "private, max-age=86400"}
        return FileResponse(plotly_js, media_type="text/javascript", headers=cache)

    @app.get("/static/{name}")
    async def static(name: str):
        if name not in _STATIC_FILES:
            raise StudioError(f"no static file {name!r}", 404)
        return fastapi.Response((_STATIC / name).read_bytes(), media_type=_STATIC_FILES[name])

    app.include_router(api.router(studio))
    app.add_middleware(Guard, token=token, hosts=allowed_hosts(host, port), max_body=max_upload_bytes)
    return app
