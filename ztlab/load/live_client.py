"""Read-only access to the Kubernetes API: client setup, retries, redaction.

Every request goes through :meth:`LiveClient.get`, which only ever calls the
client library's list, read and discovery methods (HTTP GET). Answers are taken
raw (``_preload_content=False``) and decoded as JSON, so field names stay
exactly as the API sends them, as in ``kubectl get -o yaml``.

Credentials stay inside the client library: messages built here carry only
status codes, reasons and error classes, and pass through :meth:`redact`,
which blanks every credential string the kubeconfig holds.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ztlab.errors import LoadError, Provenance

__all__ = ["RetryPolicy", "ApiFailure", "LiveClient", "RETRY_STATUSES", "DEFAULT_RETRY"]

log = logging.getLogger(__name__)

# Statuses worth asking again: overload, throttling and gateway trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MIN_SECRET = 6


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently one request is tried.

    ``attempts`` counts every try (1 means no retry); the pause before a retry
    starts at ``first_delay`` seconds and doubles up to ``max_delay``.

    >>> list(RetryPolicy(attempts=4, first_delay=0.5, max_delay=1.0).delays())
    [0.5, 1.0, 1.0]
    """

    attempts: int = 4
    first_delay: float = 0.5
    max_delay: float = 8.0
    connect_timeout: float = 5.0
    read_timeout: float = 60.0

    def delays(self) -> Iterator[float]:
        """The pauses before the second, third ... try."""
        delay = self.first_delay
        for _ in range(max(self.attempts - 1, 0)):
            yield min(delay, self.max_delay)
            delay *= 2


DEFAULT_RETRY = RetryPolicy()


class ApiFailure(Exception):
    """A request that failed for good; ``status`` is None when no answer came."""

    def __init__(self, status: int | None, reason: str, tries: int) -> None:
        self.status = status
        self.reason = reason
        self.tries = tries
        super().__init__(self.describe())

    def describe(self) -> str:
        """A short account such as ``forbidden (HTTP 403)``."""
        if self.status is None:
            text = self.reason
        else:
            text = f"{self.reason} (HTTP {self.status})"
        if self.tries > 1:
            text += f", after {self.tries} tries"
        return text


_REASONS = {
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    410: "continue token expired",
    429: "too many requests",
    500: "server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


class LiveClient:
    """A read-only connection to the API server of one kubeconfig context."""

    def __init__(
        self,
        context: str | None = None,
        kubeconfig: str | os.PathLike[str] | None = None,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from kubernetes import client, config

        self.retry = retry or DEFAULT_RETRY
        self._sleep = sleep
        files = _kubeconfig_files(kubeconfig)
        _check_files(files, given=kubeconfig is not None)
        self._secrets = _credential_strings(files)
        config_file = str(kubeconfig) if kubeconfig is not None else None
        where = Provenance(f"live:{context}" if context else "kubeconfig")
        try:
            contexts, active = config.list_kube_config_contexts(config_file)
            names = [c.get("name") for c in contexts or []]
            if context is not None and context not in names:
                raise LoadError(
                    f"the kubeconfig has no context {context!r}",
                    where,
                    hint="use one of: " + (", ".join(map(str, names)) or "(none)"),
                )
            self.context: str = context or str((active or {}).get("name", ""))
            configuration = client.Configuration()
            # One retry layer only (ours, with backoff): urllib3 must not retry.
            configuration.retries = False
            with _config_log() as logged:
                self.api_client = config.new_client_from_config(
                    config_file=config_file,
                    context=context,
                    persist_config=False,
                    client_configuration=configuration,
                )
            if logged:
                # Only the exec credential plugin logs (and then goes on
                # without credentials): report it instead of what follows.
                raise LoadError(
                    "the kubeconfig's credential plugin (exec) failed: "
                    + self.redact(" ".join(logged[0].split())[:300]),
                    where,
                    hint="run the command under users[].user.exec of the "
                    "kubeconfig yourself to see why (log in again, or install "
                    "it), or pick another context with --context",
                )
        except LoadError:
            raise
        except Exception as exc:  # the loader raises many types; none may leak
            raise LoadError(
                "cannot use the kubeconfig: " + self.redact(_one_line(exc)),
                where,
                hint="check the file given with --kubeconfig (or $KUBECONFIG, or "
                "~/.kube/config) and the context name",
            ) from None
        self.source = f"live:{self.context}"

    def close(self) -> None:
        """Release the connection pool."""
        self.api_client.close()

    def api(self, name: str) -> Any:
        """An API group object of the client library, e.g. ``AppsV1Api``."""
        from kubernetes import client

        return getattr(client, name)(self.api_client)

    def redact(self, text: str) -> str:
        """``text`` with every credential of the kubeconfig blanked out."""
        secrets = set(self._secrets)
        configuration = getattr(
            getattr(self, "api_client", None), "configuration", None
        )
        if configuration is not None:
            for value in (configuration.api_key or {}).values():
                if isinstance(value, str):
                    secrets.add(value)
                    secrets.add(value.removeprefix("Bearer ").strip())
            if configuration.password:
                secrets.add(str(configuration.password))
        for secret in sorted(secrets, key=len, reverse=True):
            if len(secret) >= _MIN_SECRET:
                text = text.replace(secret, "[redacted]")
        return text

    def get(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call one read method of the client library; the decoded JSON answer.

        Timeouts, dropped connections and the statuses in RETRY_STATUSES are
        tried again after a growing pause; the last failure raises ApiFailure.
        """
        timeout = (self.retry.connect_timeout, self.retry.read_timeout)
        delays = self.retry.delays()
        tries = 0
        while True:
            tries += 1
            failure = self._try(call, args, kwargs, timeout, tries)
            if isinstance(failure, ApiFailure):
                retryable = failure.status is None or failure.status in RETRY_STATUSES
                delay = next(delays, None) if retryable else None
                if delay is None:
                    raise failure
                log.debug("%s: %s; retrying in %.2f s", _name(call), failure, delay)
                self._sleep(delay)
                continue
            return failure

    def _try(
        self,
        call: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        timeout: tuple[float, float],
        tries: int,
    ) -> Any:
        import urllib3
        from kubernetes.client.exceptions import ApiException

        response = None
        try:
            response = call(
                *args, _preload_content=False, _request_timeout=timeout, **kwargs
            )
            body = response.data
        except ApiException as exc:
            status = exc.status if isinstance(exc.status, int) else None
            if status is None or status == 0:
                return ApiFailure(None, "request failed (TLS or client error)", tries)
            return ApiFailure(status, _REASONS.get(status, "error"), tries)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return ApiFailure(None, self.redact(self._network_reason(exc)), tries)
        finally:
            if response is not None and hasattr(response, "release_conn"):
                response.release_conn()
        try:
            return json.loads(body)
        except ValueError:
            return ApiFailure(None, "the answer is not JSON", tries)

    def _network_reason(self, exc: BaseException) -> str:
        """What went wrong on the wire, e.g. ``connection refused``."""
        import urllib3

        errors = urllib3.exceptions
        for _ in range(5):
            inner = getattr(exc, "reason", None)
            if not isinstance(exc, errors.MaxRetryError) or not isinstance(
                inner, BaseException
            ):
                break
            exc = inner
        # Name errors derive from connection errors, and those from connect
        # timeouts: test the narrow classes first.
        if isinstance(exc, getattr(errors, "NameResolutionError", ())):
            return "the server name does not resolve"
        if isinstance(exc, errors.NewConnectionError):
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ConnectionRefusedError) or "refused" in str(exc):
                return "connection refused"
            strerror = getattr(cause, "strerror", None)
            return f"cannot connect ({strerror or type(cause).__name__})"
        if isinstance(exc, errors.ConnectTimeoutError):
            return f"no connection within {self.retry.connect_timeout:g} s (timeout)"
        if isinstance(exc, errors.ReadTimeoutError | TimeoutError):
            return f"no answer within {self.retry.read_timeout:g} s (timeout)"
        if isinstance(exc, errors.ProtocolError | ConnectionError):
            return "the connection was dropped"
        strerror = getattr(exc, "strerror", None)
        return (
            str(strerror).lower()
            if strerror
            else f"network error ({type(exc).__name__})"
        )

    def list_all(
        self,
        call: Callable[..., Any],
        *args: Any,
        page_size: int = 500,
        on_page: Callable[[int, int | None], None] | None = None,
    ) -> tuple[dict[str, Any], list[Any]]:
        """Every item of a list call, page by page: (first page, all items).

        ``on_page(items so far, expected total or None)`` runs after each page.
        An expired continue token (410) restarts the list once from the top.
        """
        restarted = False
        token: str | None = None
        first: dict[str, Any] | None = None
        items: list[Any] = []
        while True:
            kwargs: dict[str, Any] = {"limit": page_size}
            if token:
                kwargs["_continue"] = token
            try:
                page = self.get(call, *args, **kwargs)
            except ApiFailure as failure:
                if failure.status == 410 and token and not restarted:
                    restarted, token, first, items = True, None, None, []
                    continue
                raise
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise ApiFailure(None, "the answer is not a list", 1)
            first = first or page
            items.extend(page["items"])
            metadata = page.get("metadata") or {}
            following = metadata.get("continue") or None
            remaining = metadata.get("remainingItemCount")
            total = len(items) + remaining if isinstance(remaining, int) else None
            if on_page is not None:
                on_page(len(items), total if following else len(items))
            if not following:
                return first, items
            if following == token:
                raise ApiFailure(None, "the server repeated its continue token", 1)
            token = str(following)


@contextmanager
def _config_log() -> Iterator[list[str]]:
    """Take what the client library's kubeconfig loader logs, print none of it.

    It logs exec plugin failures with ``logging.error`` on the root logger,
    which would also install a handler that prints ``ERROR:root:...``.
    """
    root = logging.getLogger()
    marker = f"{os.sep}kubernetes{os.sep}config{os.sep}"
    logged: list[str] = []

    def keep(record: logging.LogRecord) -> bool:
        if marker in record.pathname and record.levelno >= logging.ERROR:
            logged.append(record.getMessage())
            return False
        return True

    # A handler present keeps logging.error() from calling basicConfig().
    guard = logging.NullHandler()
    root.addFilter(keep)
    root.addHandler(guard)
    try:
        yield logged
    finally:
        root.removeFilter(keep)
        root.removeHandler(guard)


def _check_files(files: list[Path], *, given: bool) -> None:
    """A clear error when the kubeconfig named (or any default one) is missing."""
    if given:
        path = files[0]
        if not path.exists():
            raise LoadError(
                "the kubeconfig file does not exist",
                Provenance(str(path)),
                hint="check the path given with --kubeconfig",
            )
        if not path.is_file():
            raise LoadError(
                "the kubeconfig is not a file",
                Provenance(str(path)),
                hint="give the kubeconfig file itself with --kubeconfig",
            )
        return
    if files and not any(p.is_file() for p in files):
        names = ", ".join(str(p) for p in files)
        raise LoadError(
            f"no kubeconfig found (no file {names})",
            Provenance("kubeconfig"),
            hint="give one with --kubeconfig, or set $KUBECONFIG",
        )


def _name(call: Callable[..., Any]) -> str:
    return getattr(call, "__name__", "request")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300].rstrip(".")
    return text or type(exc).__name__


def _kubeconfig_files(kubeconfig: str | os.PathLike[str] | None) -> list[Path]:
    if kubeconfig is not None:
        return [Path(kubeconfig).expanduser()]
    env = os.environ.get("KUBECONFIG", "~/.kube/config")
    return [Path(p).expanduser() for p in env.split(os.pathsep) if p]


def _credential_strings(files: list[Path]) -> set[str]:
    """Every string under ``users`` in the kubeconfig files (to redact)."""
    found: set[str] = set()
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        users = data.get("users") if isinstance(data, dict) else None
        stack: list[Any] = (
            [u.get("user") for u in users or [] if isinstance(u, dict)]
            if isinstance(users, list)
            else []
        )
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, str) and len(value) >= _MIN_SECRET:
                found.add(value)
    return found
