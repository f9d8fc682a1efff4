"""Names and labels the API server would refuse are reported, not dropped.

The rules are those of the Kubernetes object-names and labels pages: label
values up to 63 characters of letters, digits, '-', '_', '.', starting and
ending with a letter or digit; keys with an optional DNS-subdomain prefix;
most names DNS subdomains, Namespace names DNS labels, Service names DNS-1035
labels.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ztlab
from ztlab.load.syntax import label_key_problem, label_value_problem


@pytest.mark.parametrize(
    "value",
    ["", "web", "v1.2_3-rc", "a" * 63, "A9"],
)
def test_valid_label_values(value):
    assert label_value_problem(value) is None


@pytest.mark.parametrize(
    "value",
    ["-web", "web-", "a b", "<script>", "a" * 64, "x/y"],
)
def test_invalid_label_values(value):
    assert label_value_problem(value) is not None


@pytest.mark.parametrize(
    "key",
    ["app", "app.kubernetes.io/name", "kubernetes.io/metadata.name", "a_b"],
)
def test_valid_keys(key):
    assert label_key_problem(key) is None


@pytest.mark.parametrize(
    "key", ["bad key!", "/app", "Example.COM/app", "a/" + "b" * 64]
)
def test_invalid_keys(key):
    assert label_key_problem(key) is not None


def test_bad_syntax_is_a_warning_and_the_object_still_loads(tmp_path: Path):
    path = tmp_path / "in.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web_1\n  namespace: shop\n"
        "  labels:\n    app: '<b>'\nspec: {}\n"
    )
    cluster = ztlab.load(path)
    assert "shop/Web_1" in cluster.workloads
    texts = [str(i) for i in cluster.report.warnings]
    assert any(
        "field metadata.name: 'Web_1' is not a DNS subdomain" in t for t in texts
    )
    assert any("field metadata.labels.app: label value '<b>'" in t for t in texts)
    assert any("field spec.containers: lists no container" in t for t in texts)
    with pytest.raises(ztlab.LoadError):
        ztlab.load(path, strict=True)


def test_istio_objects_that_istio_would_refuse_are_warnings(tmp_path: Path):
    # AuthorizationPolicy rules[].when is a list of conditions (Istio API reference).
    path = tmp_path / "ap.yaml"
    path.write_text(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
        "metadata: {name: bad, namespace: shop}\n"
        "spec:\n  rules:\n  - when: 'x'\n"
    )
    cluster = ztlab.load(path)
    assert len(cluster.istio) == 1
    (warning,) = cluster.report.warnings
    assert warning.field == "spec.rules.0.when"
    assert "Istio would refuse this AuthorizationPolicy" in warning.message
