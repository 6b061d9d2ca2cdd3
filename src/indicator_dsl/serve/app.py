"""The ASGI app: the `/v1` endpoints over a `Service` (docs/serve.md describes each).

    from indicator_dsl.serve import ServeConfig, create_app
    app = create_app(ServeConfig(source="rulesets/jiangsu/catalog.ind"))   # any ASGI server

Answers: results are the lines `ind eval --format jsonl` writes (`outputs.formats`), a
batch's one per record in input order. Every failure is a JSON `{"error", "kind"}` with a
4xx status (bad JSON 400, no token 401, unknown path 404, wrong method 405, too large 413,
a record that cannot be scored 422 with its result) or 503 (time limit); a 500 means a bug.
The model is taken once per request (`holder.current`), so a reload never changes an
answer half-way.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..cli.schema import record_schema
from ..outputs.explain import explain
from ..outputs.plans import as_jsonl as plans_jsonl
from ..outputs.plans import as_text as plans_text
from .bodies import Problem, batch_records, is_json_lines, one_record, read_limited
from .config import ServeConfig
from .holder import describe
from .openapi import document
from .service import Service

_JSON = "application/json"
_JSON_LINES = "application/x-ndjson"
Handler = Callable[[Request, str], Awaitable[Response]]


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False) + "\n", status, media_type=_JSON)


def _problem(problem: Problem) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None
    body = {"error": problem.message, "kind": problem.kind, **problem.details}
    return Response(json.dumps(body, ensure_ascii=False) + "\n", problem.status, headers, _JSON)


class Endpoints:
    """The handlers; each gets the request and the caller's name (checked by `_wrap`)."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def _body(self, request: Request) -> bytes:
        limit = self.service.config.limits.body_bytes
        return await read_limited(request.stream(), request.headers.get("content-length"), limit)

    async def evaluate(self, request: Request, caller: str) -> Response:
        record, text = one_record(await self._body(request))
        loaded = self.service.holder.current
        result = await self.service.run(lambda: loaded.model.evaluate(record))
        (line,) = self.service.lines([result])
        await self.service.record(caller, "evaluate", loaded, [(line, text)])
        headers = {"X-Model-Sha256": loaded.sha256}
        return Response(line, 422 if result.errors else 200, headers, _JSON)

    async def batch(self, request: Request, caller: str) -> Response:
        body = await self._body(request)
        json_lines = is_json_lines(request.headers.get("content-type"))
        limit = self.service.config.limits.batch_records
        loaded = self.service.holder.current

        def work() -> tuple[list[str], list[str | None], int]:
            items = batch_records(body, json_lines, limit)
            batch = loaded.model.evaluate_many(record for record, _ in items)
            return self.service.lines(batch.results), [text for _, text in items], len(batch.failed)

        lines, texts, failed = await self.service.run(work)
        await self.service.record(caller, "batch", loaded, list(zip(lines, texts, strict=True)))
        headers = {"X-Model-Sha256": loaded.sha256, "X-Records-Failed": str(failed)}
        return Response("".join(lines), 200, headers, _JSON_LINES)

    async def explain(self, request: Request, caller: str) -> Response:
        record, text = one_record(await self._body(request))
        loaded = self.service.holder.current

        def work() -> tuple[str, str, bool]:
            result = loaded.model.evaluate(record, trace=True)
            engine = loaded.model.engines.get(result.ruleset.name)
            (line,) = self.service.lines([result])
            return line, explain(result, engine.plan if engine is not None else None), bool(result.errors)

        line, told, failed = await self.service.run(work)
        await self.service.record(caller, "explain", loaded, [(line, text)])
        body = '{"result":' + line.rstrip("\n") + ',"text":' + json.dumps(told, ensure_ascii=False) + "}\n"
        return Response(body, 422 if failed else 200, {"X-Model-Sha256": loaded.sha256}, _JSON)

    async def plan(self, request: Request, caller: str) -> Response:
        """The gap plan of one record alone (`Model.plan`: no quotas), toward `?to=GRADE` or the next better grade."""
        record, _ = one_record(await self._body(request))
        target = request.query_params.get("to")
        loaded = self.service.holder.current

        def work() -> tuple[str, str | None]:
            result = loaded.model.evaluate(record)
            (line,) = self.service.lines([result])
            if result.errors:
                return line, None
            try:
                gap = loaded.model.plan(record, to=target)
            except ValueError as error:  # a target that is not a grade of the record's ruleset
                raise Problem(400, "bad_target", str(error)) from None
            tables = {name: engine.plan for name, engine in loaded.model.engines.items()}
            return plans_jsonl([gap], tables), plans_text([gap], tables)

        line, told = await self.service.run(work)
        headers = {"X-Model-Sha256": loaded.sha256}
        if told is None:
            return Response(line, 422, headers, _JSON)
        body = '{"plan":' + line.rstrip("\n") + ',"text":' + json.dumps(told, ensure_ascii=False) + "}\n"
        return Response(body, 200, headers, _JSON)

    async def rulesets(self, request: Request, caller: str) -> Response:
        return _json(describe(self.service.holder.current))

    async def schema(self, request: Request, caller: str) -> Response:
        engines = self.service.holder.current.model.engines
        if "name" not in request.path_params:
            return _json(record_schema(list(engines.values())))
        name = request.path_params["name"]
        if name not in engines:
            served = ", ".join(engines)
            raise Problem(404, "not_found", f"no ruleset named {name!r} is served (served: {served})")
        return _json(record_schema([engines[name]]))

    async def reload(self, request: Request, caller: str) -> Response:
        previous = self.service.holder.current
        outcome = await anyio.to_thread.run_sync(self.service.holder.reload)
        answer = self.service.reloaded(outcome, previous, f"reload requested by {caller}")
        return _json(answer, 200 if answer["reloaded"] else 409)

    async def health(self, request: Request, caller: str) -> Response:
        return _json({"status": "ok"})

    async def ready(self, request: Request, caller: str) -> Response:
        holder = self.service.holder
        answer: dict[str, Any] = {"status": "ready", "sha256": holder.current.sha256}
        if holder.last_refusal is not None:
            answer["last_reload_refused"] = holder.last_refusal.message
        return _json(answer)

    async def metrics(self, request: Request, caller: str) -> Response:
        return PlainTextResponse(self.service.metrics.text(), media_type="text/plain; version=0.0.4")

    async def openapi(self, request: Request, caller: str) -> Response:
        return _json(document(self.service.holder.current, secured=bool(self.service.config.tokens)))


def _wrap(
    service: Service, name: str, handler: Handler, *, probe: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """The handler with what every endpoint does: the token (not for probes), the metrics,
    and every failure as a JSON answer (a `Problem` as its status, anything else as 500)."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            address = request.client.host if request.client is not None else "unknown"
            caller = address if probe else service.caller(request.headers.get("authorization"), address)
            response = await handler(request, caller)
        except Problem as problem:
            service.metrics.count("indicator_errors_total", kind=problem.kind)
            response = _problem(problem)
        except Exception:
            service.metrics.count("indicator_errors_total", kind="internal")
            sys.stderr.write(f"ind serve: internal error in {name}:\n{traceback.format_exc()}")
            response = _problem(Problem(500, "internal", "internal error: this is a bug in indicator_dsl"))
        service.metrics.request(name, response.status_code, time.perf_counter() - started)
        return response

    return endpoint


def create_app(config: ServeConfig | str, service: Service | None = None) -> Starlette:
    """The ASGI app serving `config.source` (a path: a ruleset, a catalog or a bundle).
    Loading it raises `RulesetError` (with every diagnostic) when it does not check."""
    if isinstance(config, str):
        config = ServeConfig(source=config)
    service = service or Service(config)
    handlers = Endpoints(service)
    routes = [
        ("/v1/evaluate", "evaluate", handlers.evaluate, "POST"),
        ("/v1/batch", "batch", handlers.batch, "POST"),
        ("/v1/explain", "explain", handlers.explain, "POST"),
        ("/v1/plan", "plan", handlers.plan, "POST"),
        ("/v1/rulesets", "rulesets", handlers.rulesets, "GET"),
        ("/v1/schema", "schema", handlers.schema, "GET"),
        ("/v1/rulesets/{name}/schema", "schema", handlers.schema, "GET"),
        ("/v1/reload", "reload", handlers.reload, "POST"),
        ("/v1/metrics", "metrics", handlers.metrics, "GET"),
        ("/v1/openapi.json", "openapi", handlers.openapi, "GET"),
    ]
    probes = [("/v1/health", "health", handlers.health), ("/v1/ready", "ready", handlers.ready)]

    async def unknown(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        kind = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "bad_request")
        service.metrics.count("indicator_errors_total", kind=kind)
        service.metrics.request("unknown", error.status_code, 0.0)
        message = f"no endpoint {request.url.path}" if error.status_code == 404 else str(error.detail)
        return _problem(Problem(error.status_code, kind, message))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with anyio.create_task_group() as group:
                if config.watch_seconds is not None or config.reload_stamp is not None:
                    group.start_soon(service.watch)
                yield
                group.cancel_scope.cancel()
        finally:
            service.close()

    return Starlette(
        routes=[Route(path, _wrap(service, name, handler), methods=[method]) for path, name, handler, method in routes]
        + [Route(path, _wrap(service, name, handler, probe=True), methods=["GET"]) for path, name, handler in probes],
        exception_handlers={HTTPException: unknown},
        lifespan=lifespan,
    )


def app_from_environment() -> Starlette:
    """The app of the `ServeConfig` in the environment: what each worker of `ind serve --workers N` runs."""
    return create_app(ServeConfig.from_environment())
