"""``kmlab studio``: the browser app, served from this machine."""

import threading
from pathlib import Path

import click

from ._common import CommandError


@click.command("studio")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but 127.0.0.1/localhost lets other machines connect "
                   "(they still need the token).")
@click.option("--no-browser", is_flag=True, help="Print the address only; do not open a browser.")
@click.option("--data", "data", type=click.Path(dir_okay=False, path_type=Path),
              help="A table (.csv, .tsv or .parquet) to show first instead of the four blobs.")
@click.option("--allow-code", is_flag=True,
              help="Let the code panel run programs although --host is not a loopback address.")
def studio(port, host, no_browser, data, allow_code):  # fmt: skip
    """Open kmlab Studio: watch clusters form, choose K, predict by click, run code.

    Prints the address to open (with this launch's token) and serves until Ctrl+C.
    """
    from ..serve import bind
    from ..studio.server import create_app, is_loopback

    try:
        sock = bind(host, port)
    except OSError as error:
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    try:
        app = create_app(host=host, port=sock.getsockname()[1], data=data, allow_code=True if allow_code else None)
    except BaseException:
        sock.close()
        raise
    url = app.state.url
    click.echo(f"kmlab studio: open {url}")
    if not is_loopback(host):
        code = "on (--allow-code)" if allow_code else "off (pass --allow-code to turn it on)"
        click.echo(f"  listening on {host}: other machines can connect with the token; the code runner is {code}")
    click.echo("  Ctrl+C stops it")
    # Import the numerical stack here, in one thread: scikit-learn's package imports
    # are circular and fail when two threads import it at once (the warm-up and a
    # request).  Then load numba's kernels in the background, before the first fit.
    from .._warmup import warmup

    threading.Thread(target=warmup, name="kmlab-warmup", daemon=True).start()
    if not no_browser:
        import webbrowser

        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    _serve(app, sock)


def _serve(app, sock):
    """Serve until Ctrl+C; programs still running in the code panel are stopped at once."""
    import uvicorn

    runner = app.state.studio.runner

    class StudioServer(uvicorn.Server):
        def handle_exit(self, sig, frame):
            # Stop the programs first: their requests are then answered, and the
            # graceful shutdown does not wait for them.
            if runner is not None:
                runner.shutdown()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    StudioServer(config).run(sockets=[sock])
