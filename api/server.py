"""The student API as ``python -m core api`` serves it: each of the ``WORKBENCH_API_PROCESSES``
uvicorn processes builds its app here, sending the photos it takes to the configured queue at once."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app


def app() -> FastAPI:
    from core import worker

    worker.install()  # the photos this process takes go to the configured queue at once, not at the next sweep
    return create_app()
