from __future__ import annotations

from tests.e2e.helpers import fixture
from webhooks.signatures import github_signature, verify_github, verify_gitlab


def test_github_docs_test_vector() -> None:
    vector = fixture("github/hmac-sha256.test-vector.docs.json")
    body = vector["payload"].encode()
    assert github_signature(vector["secret"], body) == vector["X-Hub-Signature-256"]
    assert verify_github(vector["secret"], body, vector["X-Hub-Signature-256"])


def test_github_rejects_tampering_and_missing_parts() -> None:
    vector = fixture("github/hmac-sha256.test-vector.docs.json")
    good = vector["X-Hub-Signature-256"]
    assert not verify_github(vector["secret"], b"Hello, World?", good)
    assert not verify_github("other secret", vector["payload"].encode(), good)
    assert not verify_github(vector["secret"], vector["payload"].encode(), None)
    assert not verify_github(None, vector["payload"].encode(), good)
    assert not verify_github(vector["secret"], vector["payload"].encode(), "sha1=" + good[7:])


def test_gitlab_token() -> None:
    assert verify_gitlab("s3cret", "s3cret")
    assert not verify_gitlab("s3cret", "s3cret ")
    assert not verify_gitlab("s3cret", None)
    assert not verify_gitlab(None, "")
    assert not verify_gitlab("", "")
