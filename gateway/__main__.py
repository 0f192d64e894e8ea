"""`python -m gateway [uvicorn options]` serves the gateway as it must be served (`--host`, `--port`, … as for
uvicorn): without uvicorn's proxy-header handling, which by default believes X-Forwarded-For from 127.0.0.1
and so lets any local caller reset every per-address limit (the gateway reads forwarded headers itself, from
TRUSTED_PROXIES only: gateway.edge.clients), and with 3 s for live streams to close on shutdown."""

import sys

import uvicorn

UVICORN_FLAGS = ["--factory", "--no-proxy-headers", "--timeout-graceful-shutdown", "3"]
"""What every way of starting the gateway with uvicorn must pass (`make run`, the containers)."""


def main(argv: list[str]) -> None:
    uvicorn.main.main(args=["gateway.app:create_app", *UVICORN_FLAGS, *argv], prog_name="python -m gateway")


if __name__ == "__main__":
    main(sys.argv[1:])
