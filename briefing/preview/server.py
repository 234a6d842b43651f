"""Run the preview: listen (on loopback unless asked otherwise), watch and rebuild in a thread,
and serve the pages with uvicorn until Ctrl-C."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import uvicorn

from briefing.config import Config
from briefing.errors import BriefingError
from briefing.preview.state import PreviewState

log = logging.getLogger(__name__)

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return host == ""


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (port 0: any free one), or BriefingError saying why not."""
    try:
        family, kind, protocol, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, protocol)
    except OSError as error:
        raise BriefingError(f"cannot listen on {host}:{port}: {error.strerror or error}; give "
                            "another address with --host") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        hint = "choose another port with --port" if port else "give another address with --host"
        raise BriefingError(f"cannot listen on {host}:{port}: {error.strerror or error}; "
                            f"{hint}") from None
    return sock


def address_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def allowed_hosts(host: str) -> list[str]:
    """Host header values to answer: loopback names, and the address asked for (any name when
    listening on every interface, which the user was warned about)."""
    if is_wildcard(host):
        return ["*"]
    names = [*LOOPBACK_NAMES, "[::1]", host]
    if ":" in host:
        names.append(f"[{host}]")
    return list(dict.fromkeys(names))


def serve(workspace: Path, make_config: Callable[[], Config], files: list[Path] | None, *,
          host: str, port: int, poll: bool, interval: float, open_browser: bool,
          announce: Callable[[str], None]) -> int:
    """Serve until Ctrl-C or SIGTERM; rebuilds run in a background thread as files are saved."""
    from briefing.batch.watching import watch
    from briefing.preview.app import make_app
    from briefing.preview.pageimages import PageImages
    from briefing.preview.rebuild import Rebuilder

    config = make_config()
    if not is_loopback(host):
        log.warning("the preview is reachable from other machines on %s: briefing packs may hold "
                    "OFFICIAL material, so do this only on a network you trust (the default, "
                    "--host 127.0.0.1, keeps it on this computer)", host or "every interface")
    sock = listen(host, port)
    url = address_url(sock)
    state = PreviewState(str(workspace))
    images = PageImages(config.output)
    stop = threading.Event()

    # Meeting files named outside the inputs folder: their folders (and CSV files) too.
    also = [path.parent for path in files or ()
            if not path.resolve().is_relative_to(config.inputs.resolve())]

    def watch_and_rebuild() -> None:
        rebuild = Rebuilder(state, files)
        try:
            watch(workspace, make_config, rebuild, poll=poll, interval=interval, stop=stop,
                  also=also)
        except Exception as error:  # the pages stay up, and say why they no longer refresh
            log.debug("watching stopped", exc_info=True)
            log.error("stopped watching for changes: %s", error)
            state.set_problems([f"the preview stopped watching for changes: {error}; restart "
                                "`briefing serve`"])
        finally:
            rebuild.stop()

    watcher = threading.Thread(target=watch_and_rebuild, name="briefing-watch", daemon=True)
    server = _Server(uvicorn.Config(make_app(state, images, allowed_hosts(host)),
                                    log_config=None, log_level="warning", access_log=False,
                                    lifespan="off", ws="none", timeout_graceful_shutdown=2),
                     state)
    watcher.start()
    announce(f"serving the preview of {workspace} at {url} (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn hands Ctrl-C back once it has stopped: the way to stop
        pass
    finally:
        stop.set()
        sock.close()
        watcher.join(timeout=1)
        if watcher.is_alive():
            announce("stopping: waiting for the build in progress to finish")
            watcher.join()
    announce("stopped the preview")
    return 0


class _Server(uvicorn.Server):
    """uvicorn's server, which also ends the open pages' event streams when it stops, so
    that stopping does not wait for browsers to hang up."""

    def __init__(self, config: uvicorn.Config, state: PreviewState) -> None:
        super().__init__(config)
        self.state = state

    async def shutdown(self, sockets=None) -> None:
        self.state.changes.close()
        await super().shutdown(sockets)
