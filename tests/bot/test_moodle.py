"""The Moodle REST client against a local HTTP server answering with the recorded shapes."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from bot.platforms.moodle import (
    MoodleCapabilityError,
    MoodleClient,
    MoodleError,
    MoodleFileError,
    MoodleTokenError,
    flatten,
)
from bot.retry import RetryPolicy
from tests.e2e.helpers import fixture

TOKEN = "secret-ws-token-0123"


def client(server: HTTPServer) -> MoodleClient:
    return MoodleClient(server.url_for("/").rstrip("/"), TOKEN, policy=RetryPolicy(attempts=1, backoff_s=0))


def form_of(request: Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.get_data(as_text=True)).items()}


def test_flatten_uses_php_bracket_syntax() -> None:
    params = {"assignmentids": [12, 13], "plugindata": {"editor": {"text": "<p>x</p>", "format": 1}}, "skip": None,
              "flag": True}
    assert list(flatten(params)) == [("assignmentids[0]", "12"), ("assignmentids[1]", "13"),
                                     ("plugindata[editor][text]", "<p>x</p>"), ("plugindata[editor][format]", "1"),
                                     ("flag", "1")]


def test_get_submissions_posts_the_recorded_request_and_reads_the_recorded_answer(httpserver: HTTPServer) -> None:
    seen: list[dict[str, str]] = []
    answer = fixture("moodle/rest/mod_assign_get_submissions.response.derived.json")

    def handler(request: Request) -> Response:
        seen.append(form_of(request))
        return Response(json.dumps(answer), content_type="application/json")

    httpserver.expect_request("/webservice/rest/server.php", method="POST").respond_with_handler(handler)
    subs = client(httpserver).submissions(12, since=0)
    assert [s["id"] for s in subs] == [345]
    expected = fixture("moodle/rest/mod_assign_get_submissions.request.derived.json")["form"]
    assert {k: v for k, v in seen[0].items() if k != "wstoken"} == {k: v for k, v in expected.items() if k != "wstoken"}
    assert seen[0]["wstoken"] == TOKEN


@pytest.mark.parametrize("name, kind, permanent", [
    ("invalidtoken", MoodleTokenError, True),
    ("invalidparameter", MoodleError, False),
])
def test_http_200_error_bodies_become_typed_errors(httpserver: HTTPServer, name: str, kind: type, permanent: bool) -> None:
    body = fixture(f"moodle/rest/error.{name}.derived.json")["body"]
    httpserver.expect_request("/webservice/rest/server.php").respond_with_json(body, status=200)
    with pytest.raises(MoodleError) as info:
        client(httpserver).assignments(5)
    assert type(info.value) is kind and info.value.permanent is permanent
    assert info.value.errorcode == name and TOKEN not in str(info.value)
    if kind is MoodleTokenError:
        assert "Manage tokens" in str(info.value) and "mod_assign_get_assignments" in str(info.value)


def test_missing_capability_names_what_to_grant(httpserver: HTTPServer) -> None:
    body = {"exception": "required_capability_exception", "errorcode": "nopermissions",
            "message": "Sorry, but you do not currently have permissions to do that (Grade assignment)."}
    httpserver.expect_request("/webservice/rest/server.php").respond_with_json(body)
    with pytest.raises(MoodleCapabilityError) as info:
        client(httpserver).save_feedback(12, 67, "<p>note</p>")
    assert info.value.permanent and "mod/assign:grade" in str(info.value) and "Grade assignment" in str(info.value)
    namespaced = {"exception": "core\\exception\\required_capability_exception", "errorcode": "somethingnew",
                  "message": "x"}
    httpserver.clear()
    httpserver.expect_request("/webservice/rest/server.php").respond_with_json(namespaced)
    with pytest.raises(MoodleCapabilityError):
        client(httpserver).assignments(5)


def test_non_json_answer_is_a_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/webservice/rest/server.php").respond_with_data("<html>login</html>",
                                                                               content_type="text/html")
    with pytest.raises(MoodleError, match="REST protocol"):
        client(httpserver).assignments(5)


def test_save_feedback_sends_every_recorded_parameter_and_keeps_the_grade(httpserver: HTTPServer) -> None:
    seen: list[dict[str, str]] = []
    grades = {"assignments": [{"assignmentid": 12, "grades": [{"userid": 67, "attemptnumber": -1, "grade": "85.00000"},
                                                                {"userid": 68, "attemptnumber": -1, "grade": "-1.00000"}]}]}

    def handler(request: Request) -> Response:
        form = form_of(request)
        seen.append(form)
        body = grades if form["wsfunction"] == "mod_assign_get_grades" else None
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/webservice/rest/server.php").respond_with_handler(handler)
    moodle = client(httpserver)
    assert moodle.current_grade(12, 67, 0) == "85.00000"
    assert moodle.current_grade(12, 68, 0) == "-1" and moodle.current_grade(12, 99, 0) == "-1"
    moodle.save_feedback(12, 67, "<p>CodeGuard</p>", grade="85.00000", workflowstate="inmarking")
    sent = seen[-1]
    recorded = fixture("moodle/rest/mod_assign_save_grade.request.derived.json")["form"]
    assert set(sent) == set(recorded)
    assert sent["grade"] == "85.00000" and sent["workflowstate"] == "inmarking"
    assert sent["plugindata[assignfeedbackcomments_editor][text]"] == "<p>CodeGuard</p>"


def test_download_checks_content_type_size_and_host(httpserver: HTTPServer) -> None:
    path = "/webservice/pluginfile.php/89/assignsubmission_file/submission_files/345/main.py"
    httpserver.expect_request(path, query_string={"token": TOKEN}).respond_with_data(b"print(1)\n",
                                                                                    content_type="text/x-python")
    moodle = client(httpserver)
    assert moodle.download(httpserver.url_for(path), max_bytes=100) == b"print(1)\n"
    assert moodle.download(httpserver.url_for(path), max_bytes=3) is None
    with pytest.raises(MoodleFileError, match="not the configured site"):
        moodle.download("https://evil.example.com" + path, max_bytes=100)

    httpserver.clear()
    error = fixture("moodle/rest/pluginfile.error.derived.json")
    httpserver.expect_request(path).respond_with_data(json.dumps(error["body"]), content_type=error["content_type"])
    with pytest.raises(MoodleTokenError):
        moodle.download(httpserver.url_for(path), max_bytes=100)
    httpserver.clear()
    httpserver.expect_request(path).respond_with_data(b'{"a": 1}', content_type="application/json")
    assert moodle.download(httpserver.url_for(path), max_bytes=100) == b'{"a": 1}'  # a student's JSON file


def test_client_repr_hides_the_token() -> None:
    assert TOKEN not in repr(MoodleClient("https://m.example.edu", TOKEN))
