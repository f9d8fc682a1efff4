"""Fuzz the loader: no input makes ``ztlab.load`` raise anything but ZtlabError.

Inputs: random bytes, YAML-ish text, random nested structures dumped to YAML,
and real manifests of the online-boutique sample, mutated in their structure
and in their bytes. Each example is loaded leniently and strictly.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ztlab
from ztlab.errors import ZtlabError

SAMPLE = Path(__file__).resolve().parents[2] / "sample_clusters" / "online-boutique"
SAMPLE_DOCS = [
    doc
    for path in sorted(SAMPLE.glob("*.yaml"))
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
    if doc
]
SAMPLE_TEXTS = [
    path.read_text(encoding="utf-8") for path in sorted(SAMPLE.glob("*.yaml"))
]

# ZTLAB_FUZZ_EXAMPLES=5000 for a long hunt; the suite keeps it short.
FUZZ = settings(
    max_examples=int(os.environ.get("ZTLAB_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

KINDS = [
    "Namespace",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Service",
    "ServiceAccount",
    "NetworkPolicy",
    "PeerAuthentication",
    "AuthorizationPolicy",
    "RequestAuthentication",
    "DestinationRule",
    "Secret",
    "List",
    "PodList",
    "ConfigMap",
]
API_VERSIONS = [
    "v1",
    "apps/v1",
    "batch/v1",
    "networking.k8s.io/v1",
    "security.istio.io/v1",
    "security.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
    "bogus/v9",
]
KEYS = [
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "labels",
    "annotations",
    "spec",
    "template",
    "jobTemplate",
    "containers",
    "ports",
    "containerPort",
    "port",
    "targetPort",
    "protocol",
    "selector",
    "matchLabels",
    "matchExpressions",
    "key",
    "operator",
    "values",
    "podSelector",
    "namespaceSelector",
    "ingress",
    "egress",
    "from",
    "to",
    "ipBlock",
    "cidr",
    "except",
    "endPort",
    "policyTypes",
    "items",
    "status",
    "podIP",
    "podIPs",
    "ip",
    "ownerReferences",
    "serviceAccountName",
    "hostNetwork",
    "env",
    "valueFrom",
    "host",
    "mtls",
    "mode",
    "rules",
    "replicas",
    "creationTimestamp",
    "initContainers",
]


def assert_loads_or_ztlab_error(data: bytes, suffix: str = ".yaml") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(data)
        for strict in (False, True):
            try:
                cluster = ztlab.load(path, strict=strict)
            except ZtlabError:
                continue
            assert isinstance(cluster, ztlab.Cluster)
            json.dumps(cluster.report.to_dict())


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        KINDS
        + API_VERSIONS
        + [
            "",
            "TCP",
            "UDP",
            "In",
            "NotIn",
            "Exists",
            "10.0.0.0/8",
            "10.0.0.1",
            "http",
            "80",
        ]
    ),
    st.text(max_size=12),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6), st.integers(0, 3))
nested = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=30,
)


@st.composite
def objects(draw: st.DrawFn) -> Any:
    """A mapping shaped like a Kubernetes object, with random insides."""
    obj: dict[Any, Any] = draw(st.dictionaries(keys, nested, max_size=4))
    if draw(st.booleans()):
        obj["kind"] = draw(st.sampled_from(KINDS))
    if draw(st.booleans()):
        obj["apiVersion"] = draw(st.sampled_from(API_VERSIONS))
    if draw(st.booleans()):
        obj["metadata"] = draw(
            st.one_of(
                nested,
                st.fixed_dictionaries(
                    {"name": scalars},
                    optional={
                        "namespace": scalars,
                        "labels": nested,
                        "ownerReferences": nested,
                    },
                ),
            )
        )
    if draw(st.booleans()):
        obj["spec"] = draw(nested)
    return obj


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    assert_loads_or_ztlab_error(data)


@FUZZ
@given(
    st.binary(max_size=200),
    st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b""]),
)
def test_random_bytes_after_a_byte_order_mark(data: bytes, bom: bytes) -> None:
    assert_loads_or_ztlab_error(bom + data)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_as_json(data: bytes) -> None:
    assert_loads_or_ztlab_error(data, ".json")


yamlish = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "\n",
                "---\n",
                "...\n",
                "- ",
                ": ",
                "  ",
                "{",
                "}",
                "[",
                "]",
                ",",
                "&a ",
                "*a",
                "&b ",
                "*b",
                "!!str ",
                "!!binary ",
                "!foo ",
                "|\n",
                ">-\n",
                "'",
                '"',
                "# Source: x\n",
                "%YAML 1.1\n",
                "? ",
                "\t",
                "\r\n",
                "\\",
                "\ufeff",
                "<<: *a\n",
            ]
        ),
        st.sampled_from(KEYS + KINDS + API_VERSIONS),
        st.text(max_size=4),
    ),
    max_size=60,
).map("".join)


@FUZZ
@given(yamlish)
def test_random_yaml_ish_text(text: str) -> None:
    assert_loads_or_ztlab_error(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.lists(st.one_of(objects(), nested), min_size=1, max_size=4))
def test_random_structures_dumped_to_yaml(docs: list[Any]) -> None:
    text = yaml.safe_dump_all(docs, allow_unicode=True)
    assert_loads_or_ztlab_error(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(
    st.lists(objects(), max_size=4), st.sampled_from(["List", "PodList", "ServiceList"])
)
def test_random_lists_as_json(items: list[Any], kind: str) -> None:
    try:
        text = json.dumps({"apiVersion": "v1", "kind": kind, "items": items})
    except (TypeError, ValueError):
        return  # JSON cannot hold non-string keys
    assert_loads_or_ztlab_error(text.encode("utf-8", "surrogatepass"), ".json")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], action: str, new: Any) -> Any:
    if not path:
        return new if action == "replace" else doc
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = new
    elif action == "wrap":
        parent[last] = [parent[last]]
    elif action == "stringify":
        parent[last] = str(parent[last])
    return doc


@st.composite
def mutated_sample_docs(draw: st.DrawFn) -> list[Any]:
    picks = draw(st.lists(st.integers(0, len(SAMPLE_DOCS) - 1), min_size=1, max_size=3))
    out = []
    for i in picks:
        doc = json.loads(json.dumps(SAMPLE_DOCS[i]))
        for _ in range(draw(st.integers(1, 3))):
            paths = _paths(doc)
            path = draw(st.sampled_from(paths))
            action = draw(st.sampled_from(["delete", "replace", "wrap", "stringify"]))
            doc = _mutate(doc, path, action, draw(nested))
        out.append(doc)
    return out


@FUZZ
@given(mutated_sample_docs())
def test_mutated_sample_manifests(docs: list[Any]) -> None:
    text = yaml.safe_dump_all(docs, allow_unicode=True)
    assert_loads_or_ztlab_error(text.encode("utf-8", "surrogatepass"))


@st.composite
def byte_mutated_sample(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLE_TEXTS)).encode())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        chunk = draw(st.binary(min_size=1, max_size=4))
        if action == "flip" and at < len(data):
            data[at] = chunk[0]
        elif action == "insert":
            data[at:at] = chunk
        elif action == "delete":
            del data[at : at + len(chunk)]
        elif action == "cut":
            del data[at:]
    return bytes(data)


@FUZZ
@given(byte_mutated_sample())
def test_byte_mutated_sample_files(data: bytes) -> None:
    assert_loads_or_ztlab_error(data)


def test_mutation_helper_really_changes_documents() -> None:
    doc = {"a": {"b": [1, 2]}}
    assert _mutate(json.loads(json.dumps(doc)), ("a", "b", 0), "delete", None) == {
        "a": {"b": [2]}
    }
    assert _mutate(json.loads(json.dumps(doc)), ("a", "b"), "stringify", None) == {
        "a": {"b": "[1, 2]"}
    }
    assert len(SAMPLE_DOCS) > 40
