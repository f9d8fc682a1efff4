"""A small Kubernetes API server on loopback, for tests of the live loader.

It serves the recorded list answers in ``live_fixtures/`` the way the real API
server does: discovery under /api and /apis, cluster-wide and per-namespace
collections, ``limit`` and ``continue`` paging (with remainingItemCount), and
``GET /api/v1/namespaces/<name>``. Items come without apiVersion and kind, as
in real list answers of built-in kinds.

Faults are set per path: ``forbidden`` answers 403, ``failures`` answers the
listed statuses first (e.g. one 500) and then the data, ``slow`` delays the
first answers, ``expire`` answers 410 to the first continued request. Every
request is recorded (method, path, query, whether the token was right); any
method other than GET is answered 405 and recorded, so a test can prove the
loader never writes.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "live_fixtures"


@dataclass(frozen=True)
class Served:
    """One resource the server serves, and the fixture that holds its objects."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    fixture: str
    istio: bool = False

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else "/api/v1"


RESOURCES = (
    Served("", "v1", "namespaces", "Namespace", False, "namespaces.json"),
    Served("", "v1", "pods", "Pod", True, "pods.json"),
    Served("", "v1", "services", "Service", True, "services.json"),
    Served("", "v1", "serviceaccounts", "ServiceAccount", True, "serviceaccounts.json"),
    Served(
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        True,
        "replicationcontrollers.json",
    ),
    Served("", "v1", "secrets", "Secret", True, "secrets.json"),
    Served("apps", "v1", "deployments", "Deployment", True, "deployments.json"),
    Served("apps", "v1", "replicasets", "ReplicaSet", True, "replicasets.json"),
    Served("apps", "v1", "statefulsets", "StatefulSet", True, "statefulsets.json"),
    Served("apps", "v1", "daemonsets", "DaemonSet", True, "daemonsets.json"),
    Served("batch", "v1", "jobs", "Job", True, "jobs.json"),
    Served("batch", "v1", "cronjobs", "CronJob", True, "cronjobs.json"),
    Served(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        True,
        "networkpolicies.json",
    ),
    Served(
        "security.istio.io",
        "v1",
        "peerauthentications",
        "PeerAuthentication",
        True,
        "peerauthentications.json",
        istio=True,
    ),
    Served(
        "security.istio.io",
        "v1",
        "authorizationpolicies",
        "AuthorizationPolicy",
        True,
        "authorizationpolicies.json",
        istio=True,
    ),
    Served(
        "security.istio.io",
        "v1",
        "requestauthentications",
        "RequestAuthentication",
        True,
        "requestauthentications.json",
        istio=True,
    ),
    Served(
        "networking.istio.io",
        "v1",
        "destinationrules",
        "DestinationRule",
        True,
        "destinationrules.json",
        istio=True,
    ),
)


def fixture(name: str) -> dict[str, Any]:
    """One recorded list answer from ``live_fixtures/``."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    authorized: bool


@dataclass
class KubeApiServer:
    """The server; use as a context manager, or call start() and stop()."""

    token: str
    istio: bool = True
    istio_version: str = "v1"
    forbidden: Iterable[str] = ()
    failures: Mapping[str, list[int]] = field(default_factory=dict)
    slow: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    expire: Iterable[str] = ()
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures = {p: list(s) for p, s in self.failures.items()}
        self._slow = {p: [n, delay] for p, (n, delay) in self.slow.items()}
        self._expire = set(self.expire)
        self._forbidden = set(self.forbidden)
        self._httpd: ThreadingHTTPServer | None = None

    # Life cycle

    def start(self) -> KubeApiServer:
        handler = type("Handler", (_Handler,), {"api": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> KubeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def served(self) -> list[Served]:
        return [r for r in RESOURCES if self.istio or not r.istio]

    # Answers

    def answer(
        self, method: str, target: str, auth: str | None
    ) -> tuple[int, Any, float]:
        """(status, JSON body, delay in seconds) for one request."""
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        authorized = auth == f"Bearer {self.token}"
        with self._lock:
            self.requests.append(Request(method, path, query, authorized))
            if method != "GET":
                return 405, _status(405, "MethodNotAllowed", "read-only test server"), 0
            if not authorized:
                return 401, _status(401, "Unauthorized", "Unauthorized"), 0
            delay = 0.0
            slow = self._slow.get(path)
            if slow and slow[0] > 0:
                slow[0] -= 1
                delay = slow[1]
            if path in self._forbidden:
                return (
                    403,
                    _status(
                        403, "Forbidden", f"{path} is forbidden: User cannot list it"
                    ),
                    delay,
                )
            queued = self._failures.get(path)
            if queued:
                code = queued.pop(0)
                return code, _status(code, "InternalError", "etcd is busy"), delay
            if path in self._expire and query.get("continue"):
                self._expire.discard(path)
                return 410, _status(410, "Expired", "continue token expired"), delay
        status, body = self._route(path, query)
        return status, body, delay

    def _route(self, path: str, query: Mapping[str, str]) -> tuple[int, Any]:
        served = self.served()
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"]}
        if path == "/apis":
            return 200, {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    self._group(g)
                    for g in dict.fromkeys(r.group for r in served if r.group)
                ],
            }
        for r in served:
            version = self._version(r)
            prefix = f"/apis/{r.group}/{version}" if r.group else "/api/v1"
            if path == f"/apis/{r.group}" and r.group:
                return 200, {
                    "kind": "APIGroup",
                    "apiVersion": "v1",
                    **self._group(r.group),
                }
            if path == prefix:
                return 200, self._resources(r.group, version, served)
            if path == f"{prefix}/{r.plural}":
                return 200, self._page(r, None, query)
            if r.namespaced and path.startswith(f"{prefix}/namespaces/"):
                rest = path[len(f"{prefix}/namespaces/") :].split("/")
                if len(rest) == 2 and rest[1] == r.plural:
                    return 200, self._page(r, rest[0], query)
            if r.kind == "Namespace" and path.startswith("/api/v1/namespaces/"):
                name = path.rsplit("/", 1)[1]
                for item in fixture(r.fixture)["items"]:
                    if item["metadata"]["name"] == name and path.count("/") == 4:
                        return 200, {"kind": "Namespace", "apiVersion": "v1", **item}
                if path.count("/") == 4:
                    return 404, _status(
                        404, "NotFound", f'namespaces "{name}" not found'
                    )
        return 404, _status(404, "NotFound", "the server could not find the resource")

    def _version(self, r: Served) -> str:
        return self.istio_version if r.istio else r.version

    def _group(self, group: str) -> dict[str, Any]:
        version = self.istio_version if group.endswith("istio.io") else "v1"
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        return {"name": group, "versions": [gv], "preferredVersion": gv}

    def _resources(
        self, group: str, version: str, served: list[Served]
    ) -> dict[str, Any]:
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": [
                {
                    "name": r.plural,
                    "singularName": r.kind.lower(),
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": ["get", "list", "watch", "create", "delete"],
                }
                for r in served
                if r.group == group
            ]
            + [
                {
                    "name": "pods/log",
                    "namespaced": True,
                    "kind": "Pod",
                    "verbs": ["get"],
                }
            ]
            * (group == ""),
        }

    def _page(self, r: Served, namespace: str | None, query: Mapping[str, str]) -> Any:
        recorded = fixture(r.fixture)
        items = recorded["items"]
        if namespace is not None:
            items = [i for i in items if i["metadata"].get("namespace") == namespace]
        if r.istio and self.istio_version != r.version:
            items = [
                {**i, "apiVersion": f"{r.group}/{self.istio_version}"} for i in items
            ]
        start = 0
        if query.get("continue"):
            start = json.loads(base64.b64decode(query["continue"]))["start"]
        limit = int(query.get("limit") or 0) or len(items)
        page = items[start : start + limit]
        metadata = dict(recorded["metadata"])
        if start + limit < len(items):
            token = json.dumps(
                {"rv": metadata["resourceVersion"], "start": start + limit}
            )
            metadata["continue"] = base64.b64encode(token.encode()).decode()
            metadata["remainingItemCount"] = len(items) - start - limit
        return {**recorded, "metadata": metadata, "items": page}


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Handler(BaseHTTPRequestHandler):
    api: KubeApiServer

    def _serve(self) -> None:
        status, body, delay = self.api.answer(
            self.command, self.path, self.headers.get("Authorization")
        )
        if delay:
            time.sleep(delay)
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass
