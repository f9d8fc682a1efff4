"""Bad input: every problem gets a message naming file, document, line and field
and saying how to fix it; the good documents of the same file still load, and
``strict=True`` turns the problem into a LoadError with the same text.

The messages below are written out by hand from the rules of the foundation
issue (file, document index, line, field, fix); the line numbers are counted by
hand in the fixtures.
"""

from __future__ import annotations

import io
import sys
import tracemalloc
from pathlib import Path

import pytest
import yaml

import ztlab
from ztlab.errors import LoadError, Provenance, ZtlabError
from ztlab.load import documents

# Lines 1-4 and, after the bad document, the last document of every file.
GOOD_BEFORE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: good-a\n"
GOOD_AFTER = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: good-b\n"
YAML_FIX = "Fix: fix the YAML syntax at that line (indentation, quotes, colons)"


def sandwich(bad: str) -> str:
    """GOOD_BEFORE (lines 1-4), --- (line 5), the bad document from line 6."""
    return GOOD_BEFORE + "---\n" + bad + "---\n" + GOOD_AFTER


def write(tmp_path: Path, text: str | bytes, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def issues_of(cluster: ztlab.Cluster) -> list[str]:
    return [str(issue) for issue in cluster.report.issues]


def assert_reported(path: Path, expected: str, *, severity: str = "error") -> None:
    """One issue with exactly ``expected``; good docs load; strict raises it."""
    cluster = ztlab.load(path)
    assert issues_of(cluster) == [expected]
    assert cluster.report.issues[0].severity == severity
    assert {"good-a", "good-b"} <= set(cluster.namespaces)
    with pytest.raises(LoadError) as raised:
        ztlab.load(path, strict=True)
    assert str(raised.value) == expected


BAD_DOCUMENTS = {
    "scalar document": (
        "just a string\n",
        "{f}, document 2 (line 6): document is a string, not a mapping. Fix: each "
        "document must be one Kubernetes object (apiVersion, kind, metadata, spec)",
    ),
    "list document": (
        "- kind: Pod\n- kind: Service\n",
        "{f}, document 2 (line 6): document is a list, not a mapping. Fix: each "
        "document must be one Kubernetes object (apiVersion, kind, metadata, spec)",
    ),
    "number document": (
        "42\n",
        "{f}, document 2 (line 6): document is the number 42, not a mapping. Fix: each "
        "document must be one Kubernetes object (apiVersion, kind, metadata, spec)",
    ),
    "missing kind": (
        "apiVersion: v1\nmetadata:\n  name: x\n",
        "{f}, document 2 (line 6): field kind: is required. "
        "Fix: add kind: (for example Deployment)",
    ),
    "kind not a string": (
        "apiVersion: v1\nkind: [Pod]\nmetadata:\n  name: x\n",
        "{f}, document 2 (line 7): field kind: must be a string, not a list",
    ),
    "missing apiVersion": (
        "kind: Service\nmetadata:\n  name: x\n",
        "{f}, document 2 (line 6): field apiVersion: is required. "
        "Fix: add apiVersion: v1",
    ),
    "missing metadata": (
        "apiVersion: v1\nkind: ServiceAccount\n",
        "{f}, document 2 (line 6): field metadata: is required. Fix: add metadata.name",
    ),
    "missing metadata.name": (
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  namespace: shop\n",
        "{f}, document 2 (line 8): field metadata.name: is required. "
        "Fix: add metadata.name (a string)",
    ),
    "empty metadata.name": (
        'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ""\n',
        "{f}, document 2 (line 9): field metadata.name: must not be empty. "
        "Fix: give the object a name",
    ),
    "numeric name": (
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: 404\n",
        "{f}, document 2 (line 9): field metadata.name: must be a string, not the "
        'number 404. Fix: quote the value: "404"',
    ),
    "label value 1": (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bad\n  labels:\n"
        "    tier: 1\n",
        "{f}, document 2 (line 11): field metadata.labels.tier: must be a string, not "
        'the number 1. Fix: quote the value: "1"',
    ),
    "label value yes": (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bad\n  labels:\n"
        "    public: true\n",
        "{f}, document 2 (line 11): field metadata.labels.public: must be a string, "
        'not a boolean. Fix: quote the value: "true"',
    ),
    "label value empty": (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bad\n  labels:\n"
        "    flag:\n",
        "{f}, document 2 (line 11): field metadata.labels.flag: must be a string, "
        'not null. Fix: write "" for an empty value',
    ),
    "label value a mapping": (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bad\n  labels:\n"
        "    team: {name: web}\n",
        "{f}, document 2 (line 11): field metadata.labels.team: must be a string, "
        "not a mapping. Fix: write metadata.labels.team as one string",
    ),
    "labels a list": (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bad\n  labels:\n  - app\n",
        "{f}, document 2 (line 11): field metadata.labels: must be a mapping, "
        "not a list. Fix: write metadata.labels as a mapping",
    ),
    "containerPort abc": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n"
        "  - name: c\n    ports:\n    - containerPort: abc\n",
        "{f}, document 2 (line 14): field spec.containers.0.ports.0.containerPort: "
        "must be an integer, not a string. Fix: write containerPort as an integer",
    ),
    "containerPort out of range": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n"
        "  - name: c\n    ports:\n    - containerPort: 70000\n",
        "{f}, document 2 (line 14): field spec.containers.0.ports.0.containerPort: "
        "port 70000 is outside 1-65535. Fix: use a valid port",
    ),
    "ports not a list": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n"
        "  - name: c\n    ports: 8080\n",
        "{f}, document 2 (line 13): field spec.containers.0.ports: must be a list, "
        "not the number 8080. Fix: write ports as a list",
    ),
    "protocol lower case": (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n"
        "  - port: 53\n    protocol: udp\n",
        "{f}, document 2 (line 13): field spec.ports.0.protocol: unknown protocol "
        "'udp'. Fix: use UDP",
    ),
    "deployment without template": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n"
        "  replicas: 1\n",
        "{f}, document 2 (line 10): field spec.template: is required. "
        "Fix: give the Deployment a pod template",
    ),
    "cronjob template in the wrong place": (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: bad\nspec:\n"
        "  template: {spec: {containers: []}}\n",
        "{f}, document 2 (line 10): field spec.jobTemplate.spec.template: is "
        "required. Fix: give the CronJob a pod template",
    ),
    "policy type unknown": (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
        "  name: bad\nspec:\n  podSelector: {}\n  policyTypes: [ingress]\n",
        "{f}, document 2 (line 12): field spec.policyTypes.0: unknown policy type "
        "'ingress'. Fix: use Ingress or Egress",
    ),
    "policy without podSelector": (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
        "  name: bad\nspec:\n  ingress: []\n",
        "{f}, document 2 (line 10): field spec.podSelector: is required. "
        "Fix: write podSelector: {} to select every pod of the namespace",
    ),
    "selector operator unknown": (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
        "  name: bad\nspec:\n  podSelector:\n    matchExpressions:\n"
        "    - {key: app, operator: Equals, values: [web]}\n",
        "{f}, document 2 (line 13): field spec.podSelector.matchExpressions.0."
        "operator: unknown operator 'Equals'. Fix: use one of In, NotIn, Exists, "
        "DoesNotExist",
    ),
    "peer with ipBlock and podSelector": (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
        "  name: bad\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n"
        "    - ipBlock: {cidr: 10.0.0.0/8}\n      podSelector: {}\n",
        "{f}, document 2 (line 14): field spec.ingress.0.from.0: ipBlock cannot be "
        "combined with podSelector or namespaceSelector. Fix: split it into two "
        "peers (two list items)",
    ),
    "endPort below port": (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
        "  name: bad\nspec:\n  podSelector: {}\n  egress:\n  - ports:\n"
        "    - {port: 100, endPort: 90}\n",
        "{f}, document 2 (line 14): field spec.egress.0.ports.0.endPort: endPort 90 "
        "must be between port 100 and 65535. Fix: make endPort >= port",
    ),
    "port string out of range": (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
        "  name: bad\nspec:\n  podSelector: {}\n  egress:\n  - ports:\n"
        "    - port: '0'\n",
        "{f}, document 2 (line 14): field spec.egress.0.ports.0.port: port 0 is "
        "outside 1-65535. Fix: use a valid port",
    ),
    "pod IP not an address": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers: []\n"
        "status:\n  podIP: 10.0.0.300\n",
        "{f}, document 2 (line 13): field status.podIP: '10.0.0.300' is not an IP "
        "address. Fix: remove the status or fix the address",
    ),
    "istio version not served": (
        "apiVersion: security.istio.io/v2\nkind: PeerAuthentication\nmetadata:\n"
        "  name: bad\nspec: {}\n",
        "{f}, document 2 (line 6): field apiVersion: PeerAuthentication is not served "
        "as security.istio.io/v2. Fix: use security.istio.io/v1 (or v1beta1)",
    ),
    "istio selector a list": (
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n"
        "  name: bad\nspec:\n  selector: [app]\n",
        "{f}, document 2 (line 11): field spec.selector: must be a mapping, not a "
        "list. Fix: write spec.selector as a mapping",
    ),
    "destination rule without host": (
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n"
        "  name: bad\nspec:\n  trafficPolicy: {}\n",
        "{f}, document 2 (line 10): field spec.host: is required. "
        "Fix: name the service host",
    ),
    "recursive alias": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loop\ndata: &a [*a]\n",
        "{f}, document 2 (line 6): an alias refers to a node that contains it. "
        "Fix: remove the recursive anchor (&) and alias (*)",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DOCUMENTS))
def test_bad_document_among_good_ones(tmp_path: Path, case: str) -> None:
    bad, message = BAD_DOCUMENTS[case]
    path = write(tmp_path, sandwich(bad))
    assert_reported(path, message.replace("{f}", str(path)))


def test_bad_item_of_a_list_names_the_item(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: good-a}\n"
        "- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n  spec:\n"
        "    ports:\n    - port: http\n"
        "- 17\n"
        "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: good-b}\n"
    )
    path = write(tmp_path, text)
    cluster = ztlab.load(path)
    assert issues_of(cluster) == [
        f"{path}, document 1, item 2 (line 12): field spec.ports.0.port: must be "
        "an integer, not a string. Fix: write port as an integer",
        f"{path}, document 1, item 3 (line 13): list item is the number 17, not a "
        "mapping. Fix: each item must be one Kubernetes object",
    ]
    assert sorted(cluster.namespaces) == ["good-a", "good-b"]


def test_items_not_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, sandwich("apiVersion: v1\nkind: List\nitems: {a: b}\n"))
    assert_reported(
        path,
        f"{path}, document 2 (line 8): field items: items must be a list, not a "
        "mapping. Fix: write items as a list of objects",
    )


# Invalid YAML: the messages are PyYAML's, which differ between its C (libyaml)
# and pure-Python parsers; ztlab uses the C one when PyYAML has it.

INVALID_YAML = (
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: broken\n"
    "  labels: app=web: x\n"  # line 10, the second colon is column 18
)
LOADERS = {
    "c": "mapping values are not allowed in this context",
    "python": "mapping values are not allowed here",
}


@pytest.mark.parametrize("loader", list(LOADERS))
def test_invalid_yaml_names_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loader: str
) -> None:
    if loader == "c":
        if not getattr(yaml, "__with_libyaml__", False):
            pytest.skip("PyYAML built without libyaml")
        monkeypatch.setattr(documents, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(documents, "_Loader", yaml.SafeLoader)
    path = write(tmp_path, sandwich(INVALID_YAML))
    assert_reported(
        path,
        f"{path}, document 2 (line 10): invalid YAML: {LOADERS[loader]}, "
        f"column 18. {YAML_FIX}",
    )


def test_the_c_loader_is_used_when_present() -> None:
    if getattr(yaml, "__with_libyaml__", False):
        assert documents._Loader is yaml.CSafeLoader
    else:
        assert documents._Loader is yaml.SafeLoader


def test_unclosed_quote_at_the_end_of_the_file(tmp_path: Path) -> None:
    text = (
        GOOD_BEFORE
        + "---\n"
        + "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: 'oops\n"
    )
    path = write(tmp_path, text)
    cluster = ztlab.load(path)
    (issue,) = cluster.report.issues
    assert issue.where == Provenance(str(path), 2, line=9)
    assert str(issue).startswith(f"{path}, document 2 (line 9): invalid YAML: ")
    assert str(issue).endswith(
        f"(while scanning a quoted scalar that starts at line 9). {YAML_FIX}"
    )
    assert list(cluster.namespaces) == ["good-a"]


def test_unsafe_tags_are_refused(tmp_path: Path) -> None:
    bad = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
        "data: !!python/object/apply:os.system [echo hi]\n"
    )
    path = write(tmp_path, sandwich(bad))
    cluster = ztlab.load(path)
    (issue,) = cluster.report.issues
    assert str(issue) == (
        f"{path}, document 2 (line 10): invalid YAML: could not determine a "
        "constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system', "
        f"column 7. {YAML_FIX}"
    )


def test_broken_secret_does_not_echo_its_data(tmp_path: Path) -> None:
    value = "hunter2-TOP-SECRET"
    head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
    secrets = [
        head + f"stringData:\n  password: '{value}\n",  # unclosed quote
        head + f"data:\n  password: {value}: x\n",  # mapping in a plain scalar
        head + f"data:\n  password: *{value}\n",  # undefined alias
        head + f"data:\n  password: !{value} x\n",  # unknown tag
        head + f"data:\n  password: {{{value}\n",  # unclosed flow mapping
    ]
    for loader in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        documents._Loader = loader
        try:
            for i, secret in enumerate(secrets):
                path = write(tmp_path, GOOD_BEFORE + "---\n" + secret, f"s{i}.yaml")
                cluster = ztlab.load(path)
                assert len(cluster.report.errors) == 1, secret
                assert "good-a" in cluster.namespaces
                for text in issues_of(cluster):
                    assert value not in text
                    assert "hunter" not in text
                with pytest.raises(LoadError) as raised:
                    ztlab.load(path, strict=True)
                assert value not in str(raised.value)
        finally:
            documents._Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_non_utf8_bytes_name_the_offset(tmp_path: Path) -> None:
    bad = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: caf\xe9\n"
    data = (GOOD_BEFORE + "---\n").encode() + bad + ("---\n" + GOOD_AFTER).encode()
    offset = len(GOOD_BEFORE) + 4 + bad.index(b"\xe9")
    path = write(tmp_path, data)
    assert_reported(
        path,
        f"{path}, document 2 (line 9): not UTF-8 text: byte 0xe9 at offset {offset}. "
        "Fix: save the file as UTF-8 (manifests are UTF-8 text)",
    )


def test_non_utf8_offset_counts_multibyte_characters_and_the_bom(
    tmp_path: Path,
) -> None:
    head = "# café ☕\n" + GOOD_BEFORE + "---\n"
    data = b"\xef\xbb\xbf" + head.encode() + b"kind: \xff\n"
    offset = 3 + len(head.encode())
    path = write(tmp_path, data)
    cluster = ztlab.load(path)
    assert issues_of(cluster) == [
        f"{path}, document 2 (line 7): not UTF-8 text: byte 0xff at offset "
        f"{offset + 6}. Fix: save the file as UTF-8 (manifests are UTF-8 text)"
    ]
    assert list(cluster.namespaces) == ["good-a"]


def test_non_utf8_json(tmp_path: Path) -> None:
    path = write(
        tmp_path, b'{"kind": "Namespace", "metadata": {"name": "\xff"}}', "x.json"
    )
    with pytest.raises(LoadError) as raised:
        ztlab.load(path)
    assert str(raised.value) == (
        f"nothing could be loaded: {path}, document 1 (line 1): not UTF-8 text: byte "
        "0xff at offset 44. Fix: save the file as UTF-8 (manifests are UTF-8 text)"
    )


def test_invalid_json(tmp_path: Path) -> None:
    path = write(
        tmp_path, '{\n  "kind": "Namespace",\n  "metadata": {"name": }\n}\n', "x.json"
    )
    good = write(tmp_path, GOOD_BEFORE, "good.yaml")
    cluster = ztlab.load(path, good)
    assert issues_of(cluster) == [
        f"{path}, document 1 (line 3): invalid JSON: Expecting value (column 24). "
        "Fix: fix the JSON syntax at that line"
    ]
    assert list(cluster.namespaces) == ["good-a"]


def test_deeply_nested_json_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[" * 100_000 + "]" * 100_000, "deep.json")
    good = write(tmp_path, GOOD_BEFORE, "good.yaml")
    cluster = ztlab.load(path, good)
    assert issues_of(cluster) == [
        f"{path}, document 1 (line 1): document nests too deeply. "
        "Fix: manifests are never nested that deep; check the input"
    ]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    empty = write(tmp_path, content, "empty.yaml")
    good = write(tmp_path, GOOD_BEFORE, "good.yaml")
    cluster = ztlab.load(empty, good)
    assert issues_of(cluster) == [
        f"{empty}: file is empty. Fix: remove it or add manifests"
    ]
    assert cluster.report.issues[0].severity == "warning"
    assert cluster.report.skipped["empty file"] == 1
    assert list(cluster.namespaces) == ["good-a"]
    with pytest.raises(LoadError) as raised:
        ztlab.load(empty, good, strict=True)
    assert (
        str(raised.value) == f"{empty}: file is empty. Fix: remove it or add manifests"
    )


def test_file_of_comments_only(tmp_path: Path) -> None:
    path = write(tmp_path, "# Source: chart/templates/empty.yaml\n---\n# nothing\n")
    warning = (
        f"{path}: file holds no manifests, only comments or --- markers. "
        "Fix: remove it or add manifests"
    )
    # Beside real manifests (helm renders such files) it is a warning ...
    good = write(tmp_path, GOOD_BEFORE, "good.yaml")
    assert issues_of(ztlab.load(path, good)) == [warning]
    # ... but on its own there is nothing to load.
    with pytest.raises(LoadError) as raised:
        ztlab.load(path)
    assert str(raised.value) == f"nothing could be loaded: {warning}"


def test_directory_without_manifests(tmp_path: Path) -> None:
    empty = tmp_path / "docs"
    empty.mkdir()
    (empty / "README.md").write_text("no manifests here")
    (empty / ".hidden").mkdir()
    (empty / ".hidden" / "x.yaml").write_text(GOOD_BEFORE)
    expected = (
        f"{empty}: directory holds no manifests. Fix: point at a directory with "
        "*.yaml, *.yml or *.json files, or at the files themselves"
    )
    with pytest.raises(LoadError) as raised:
        ztlab.load(empty)
    assert str(raised.value) == f"nothing could be loaded: {expected}"
    good = write(tmp_path, GOOD_BEFORE, "good.yaml")
    cluster = ztlab.load(empty, good)
    assert issues_of(cluster) == [expected]
    assert list(cluster.namespaces) == ["good-a"]
    with pytest.raises(LoadError) as raised:
        ztlab.load(empty, good, strict=True)
    assert str(raised.value) == expected


def test_file_over_the_size_cap(tmp_path: Path) -> None:
    big = write(tmp_path, GOOD_AFTER + "# padding\n" * 20, "big.yaml")
    size = big.stat().st_size
    good = write(tmp_path, GOOD_BEFORE, "good.yaml")
    cluster = ztlab.load(big, good, max_bytes=100)
    expected = (
        f"{big}: file is {size} bytes, over the cap of 100 bytes. "
        "Fix: split the file, or raise the cap with max_bytes="
    )
    assert issues_of(cluster) == [expected]
    assert list(cluster.namespaces) == ["good-a"]
    assert sorted(ztlab.load(big, good, max_bytes=size).namespaces) == [
        "good-a",
        "good-b",
    ]
    with pytest.raises(LoadError) as raised:
        ztlab.load(big, good, max_bytes=100, strict=True)
    assert str(raised.value) == expected


def test_stdin_over_the_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stdin:
        buffer = io.BytesIO((GOOD_BEFORE * 10).encode())

    monkeypatch.setattr(sys, "stdin", Stdin)
    with pytest.raises(LoadError) as raised:
        ztlab.load("-", max_bytes=50)
    assert str(raised.value) == (
        "nothing could be loaded: <stdin>: input is over the cap of 50 bytes. "
        "Fix: split the input into smaller files"
    )


def billion_laughs(levels: int = 10) -> str:
    lines = ['  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"  a{i}: &a{i} [{refs}]")
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n"
        + "\n".join(lines)
        + "\n"
    )


def test_alias_bomb_is_refused_fast_and_small(tmp_path: Path) -> None:
    # 10**10 strings once expanded; the loader must refuse before walking them.
    path = write(tmp_path, sandwich(billion_laughs()))
    tracemalloc.start()
    try:
        cluster = ztlab.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Expanded, the document would need gigabytes: a small peak proves the
    # loader refused it before walking the aliases.
    assert peak < 50 * 1024 * 1024
    assert issues_of(cluster) == [
        f"{path}, document 2 (line 6): aliases expand to more than 2000000 nodes. "
        "Fix: this looks like an alias bomb; remove the anchors (&) and aliases (*) "
        "or expand them by hand"
    ]
    assert sorted(cluster.namespaces) == ["good-a", "good-b"]


def test_small_aliases_are_fine(tmp_path: Path) -> None:
    # Anchors hold within one document, e.g. across the items of a List.
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n"
        "    labels: &l {app: web}\n  spec:\n    containers: [{name: c}]\n"
        "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n"
        "  spec:\n    selector: *l\n"
    )
    cluster = ztlab.load(write(tmp_path, text))
    assert cluster.services["default/s"].selector == {"app": "web"}
    assert cluster.report.issues == []


def test_duplicate_resource_is_reported_and_the_last_wins(tmp_path: Path) -> None:
    head = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n"
    first = head + "  labels: {v: '1'}\n"
    second = head + "  labels: {v: '2'}\n"
    path = write(tmp_path, sandwich(first + "---\n" + second))
    expected = (
        f"{path}, document 3 (line 12): duplicate ServiceAccount default/sa; this one "
        f"replaces the one at {path}, document 2 (line 6). "
        "Fix: remove one of the two copies"
    )
    assert_reported(path, expected, severity="warning")
    cluster = ztlab.load(path)
    assert cluster.service_accounts["default/sa"].labels == {"v": "2"}
    assert cluster.report.loaded["ServiceAccount"] == 1
    assert cluster.report.skipped["duplicate"] == 1


def test_same_name_in_other_namespaces_or_kinds_is_no_duplicate(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, namespace: a}\n---\n"
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, namespace: b}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: a}\n"
    )
    assert ztlab.load(write(tmp_path, text)).report.issues == []


def test_nonexistent_path_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(LoadError) as raised:
        ztlab.load(missing)
    assert str(raised.value) == (
        f"{missing}: no such file or directory. "
        "Fix: check the path; give - to read manifests from stdin"
    )
    good = write(tmp_path, GOOD_BEFORE, "good.yaml")
    with pytest.raises(LoadError):
        ztlab.load(good, missing)


def test_no_path_raises() -> None:
    with pytest.raises(LoadError) as raised:
        ztlab.load()
    assert str(raised.value) == (
        "no input given. Fix: name manifest files or directories, or - for stdin"
    )


def test_strict_error_keeps_where_and_field(tmp_path: Path) -> None:
    bad, _ = BAD_DOCUMENTS["label value 1"]
    path = write(tmp_path, sandwich(bad))
    with pytest.raises(LoadError) as raised:
        ztlab.load(path, strict=True)
    assert raised.value.where == Provenance(str(path), 2, line=11)
    assert raised.value.field == "metadata.labels.tier"
    assert raised.value.hint == 'quote the value: "1"'
    assert isinstance(raised.value, ZtlabError)


def test_strict_accepts_clean_input_with_skipped_kinds(tmp_path: Path) -> None:
    text = GOOD_BEFORE + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
    text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    cluster = ztlab.load(write(tmp_path, text), strict=True)
    assert list(cluster.namespaces) == ["good-a"]
    assert dict(cluster.report.skipped) == {
        "Secret (never read)": 1,
        "unsupported kind ConfigMap": 1,
    }
