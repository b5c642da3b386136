"""An in-process OTLP/HTTP trace receiver for the telemetry tests: a real uvicorn app on
loopback that decodes each ExportTraceServiceRequest (opentelemetry-proto, which the exporter
itself depends on) into plain spans a test can look at."""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from typing import Any, Callable

import attrs
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# opentelemetry.proto.trace.v1.Span.SpanKind
KIND_SERVER, KIND_CLIENT = 2, 3
STATUS_ERROR = 2


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind) if kind else None


@attrs.frozen
class Span:
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    status_code: int
    status_message: str
    events: tuple[tuple[str, dict[str, Any]], ...]
    resource: dict[str, Any]
    schema_url: str
    start_ns: int
    end_ns: int

    def texts(self) -> list[str]:
        """Every string this span carries, for privacy checks."""
        out = [self.name, self.status_message, self.schema_url]
        values = [*self.attributes.values(), *self.resource.values()]
        for name, attributes in self.events:
            out.append(name)
            values.extend(attributes.values())
        while values:
            v = values.pop()
            if isinstance(v, list):
                values.extend(v)
            elif isinstance(v, dict):
                values.extend(v.values())
            else:
                out.append(str(v))
        return out


class Collector:
    def __init__(self):
        self.spans: list[Span] = []
        self.requests = 0
        self._changed = threading.Condition()
        self.app = Starlette(routes=[Route("/v1/traces", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        raw = await request.body()
        encoding = request.headers.get("content-encoding", "")
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        if request.headers.get("content-type") != "application/x-protobuf":
            return Response(status_code=415)
        export = ExportTraceServiceRequest.FromString(raw)
        found = []
        for rs in export.resource_spans:
            resource = {kv.key: _value(kv.value) for kv in rs.resource.attributes}
            for ss in rs.scope_spans:
                for s in ss.spans:
                    found.append(Span(
                        name=s.name, kind=s.kind, trace_id=s.trace_id.hex(), span_id=s.span_id.hex(),
                        parent_id=s.parent_span_id.hex(), attributes={kv.key: _value(kv.value) for kv in s.attributes},
                        status_code=s.status.code, status_message=s.status.message,
                        events=tuple((e.name, {kv.key: _value(kv.value) for kv in e.attributes}) for e in s.events),
                        resource=resource, schema_url=ss.schema_url or rs.schema_url,
                        start_ns=s.start_time_unix_nano, end_ns=s.end_time_unix_nano))
        with self._changed:
            self.requests += 1
            self.spans.extend(found)
            self._changed.notify_all()
        return Response(ExportTraceServiceResponse().SerializeToString(), media_type="application/x-protobuf")

    def wait(self, found: Callable[[list[Span]], Any], timeout: float = 10.0) -> Any:
        """The first truthy `found(spans)` within `timeout` seconds; AssertionError otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = found(list(self.spans))
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"not exported within {timeout}s; spans: {[s.name for s in self.spans]}")
                self._changed.wait(left)

    def trace_of(self, request_id: str, clients: int = 0, timeout: float = 10.0) -> tuple[Span, list[Span]]:
        """The one server span of the request with `request_id`, and its client spans in attempt
        order, once it has arrived with at least `clients` of them. A client span ends before
        its server span, so none arrives later."""
        def found(spans):
            server = [s for s in spans if s.kind == KIND_SERVER and s.attributes.get("hrouter.request.id") == request_id]
            children = [s for s in spans if s.kind == KIND_CLIENT and server and s.parent_id == server[0].span_id]
            return (server, children) if server and len(children) >= clients else None
        server, children = self.wait(found, timeout)
        assert len(server) == 1, f"{len(server)} server spans for request {request_id}"
        return server[0], sorted(children, key=lambda s: s.attributes["hrouter.attempt"])
