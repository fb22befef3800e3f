"""Local stand-ins of Moodle's web services and the Canvas REST API.

Each is a werkzeug app on a real loopback HTTP server, serving recorded shapes (the
fixtures under shared/fixtures/webhooks/{moodle,canvas}) and keeping what the bot posts
as state, the way the real systems do: Moodle keeps ONE feedback comment per grade
(attempt), replaced by every `mod_assign_save_grade`, and answers errors as HTTP 200
JSON bodies; Canvas keeps a list of submission comments (hidden while grades are
unposted under a manual post policy), editable by id. Every request is recorded.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.e2e.helpers import fixture


@dataclass
class Call:
    method: str
    path: str
    form: dict[str, str]
    args: dict[str, str]


class _Server:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> _Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw = request.get_data(as_text=True)
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()} if raw else {}
        call = Call(request.method, request.path, form, dict(request.args))
        with self.lock:
            self.calls.append(call)
            response = self.route(request, form)
        return response(environ, start_response)

    def route(self, request: Request, form: dict[str, str]) -> Response:
        raise NotImplementedError

    def called(self, method: str, pattern: str, **form: str) -> list[Call]:
        rx = re.compile(pattern)
        return [c for c in self.calls if c.method == method and rx.search(c.path)
                and all(c.form.get(k) == v for k, v in form.items())]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers or {}, content_type="application/json; charset=utf-8")


# ------------------------------------------------------------------------------ Moodle


@dataclass
class Feedback:
    text: str
    grade: str
    workflowstate: str
    saves: int = 1


class MoodleStandIn(_Server):
    """webservice/rest/server.php + webservice/pluginfile.php for one site."""

    def __init__(self, token: str = "moodle-token") -> None:
        super().__init__()
        self.token = token
        self.assignments: dict[int, list[dict[str, Any]]] = {}  # course -> assignments
        self.submissions: dict[int, dict[int, dict[str, Any]]] = {}  # assignment id -> user -> submission
        self.files: dict[str, tuple[bytes, str]] = {}  # pluginfile path -> (bytes, content type)
        self.feedback: dict[tuple[int, int, int], Feedback] = {}  # (assignment, user, attempt)
        self.grades: dict[tuple[int, int], str] = {}  # (assignment, user) -> grade set by a teacher
        self.function_errors: dict[str, dict[str, Any]] = {}  # wsfunction -> error body (HTTP 200)

    def add_assignment(self, course: int, assign_id: int, cmid: int, *, markingworkflow: bool = True,
                       duedate: int = 0) -> None:
        self.assignments.setdefault(course, []).append(
            {"id": assign_id, "cmid": cmid, "course": course, "name": f"Assignment {cmid}", "duedate": duedate,
             "markingworkflow": 1 if markingworkflow else 0, "teamsubmission": 0})
        self.submissions.setdefault(assign_id, {})

    def submit(self, assign_id: int, user: int, files: dict[str, bytes], *, sub_id: int, time: int,
               attempt: int = 0, content_types: dict[str, str] | None = None, gradingstatus: str = "notmarked",
               online_text: str = "") -> None:
        """A submission shaped like the recorded mod_assign_get_submissions answer (`online_text`: the
        HTML of its online-text editor field)."""
        recorded = fixture("moodle/rest/mod_assign_get_submissions.response.derived.json")
        sub = copy.deepcopy(recorded["assignments"][0]["submissions"][0])
        entries = []
        for name, data in files.items():
            path = f"/webservice/pluginfile.php/89/assignsubmission_file/submission_files/{sub_id}/{name}"
            self.files[path] = (data, (content_types or {}).get(name, "application/octet-stream"))
            entries.append({"filename": name, "filepath": "/", "filesize": len(data), "fileurl": self.url + path,
                            "timemodified": time, "mimetype": "text/plain", "isexternalfile": False})
        sub.update(id=sub_id, userid=user, attemptnumber=attempt, timecreated=time, timemodified=time,
                   assignment=assign_id, status="submitted", gradingstatus=gradingstatus)
        sub["plugins"][0]["fileareas"][0]["files"] = entries
        next(p for p in sub["plugins"] if p["type"] == "onlinetext")["editorfields"][0]["text"] = online_text
        self.submissions[assign_id][user] = sub

    def _error(self, name: str) -> Response:
        body = fixture(f"moodle/rest/error.{name}.derived.json")["body"]
        return _json(body)

    def route(self, request: Request, form: dict[str, str]) -> Response:
        if request.path.startswith("/webservice/pluginfile.php/"):
            if request.args.get("token") != self.token:
                body = fixture("moodle/rest/pluginfile.error.derived.json")
                return _json(body["body"])
            data, ctype = self.files[request.path]
            return Response(data, 200, content_type=ctype)
        if request.path != "/webservice/rest/server.php" or request.method != "POST":
            return Response("not found", 404)
        if form.get("moodlewsrestformat") != "json":
            return Response("<xml/>", 200, content_type="application/xml")
        if form.get("wstoken") != self.token:
            return self._error("invalidtoken")
        function = form.get("wsfunction", "")
        if function in self.function_errors:
            return _json(self.function_errors[function])
        handler = getattr(self, "ws_" + function, None)
        if handler is None:
            return _json({"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
                          "message": "Can not find data record in database table external_functions."})
        return handler(form)

    def ws_core_webservice_get_site_info(self, form: dict[str, str]) -> Response:
        return _json({"sitename": "Stand-in", "userid": 2, "functions": []})

    def ws_mod_assign_get_assignments(self, form: dict[str, str]) -> Response:
        course = int(form["courseids[0]"])
        return _json({"courses": [{"id": course, "assignments": self.assignments.get(course, [])}], "warnings": []})

    def ws_mod_assign_get_submissions(self, form: dict[str, str]) -> Response:
        assign = int(form["assignmentids[0]"])
        since = int(form.get("since", "0"))
        status = form.get("status", "")
        subs = [s for s in self.submissions.get(assign, {}).values()
                if s["timemodified"] >= since and (not status or s["status"] == status)]
        return _json({"assignments": [{"assignmentid": assign, "submissions": subs}], "warnings": []})

    def ws_mod_assign_get_grades(self, form: dict[str, str]) -> Response:
        assign = int(form["assignmentids[0]"])
        grades = [{"id": i, "userid": user, "attemptnumber": -1, "grade": grade}
                  for i, ((a, user), grade) in enumerate(self.grades.items()) if a == assign]
        return _json({"assignments": [{"assignmentid": assign, "grades": grades}], "warnings": []})

    def ws_mod_assign_save_grade(self, form: dict[str, str]) -> Response:
        required = ("assignmentid", "userid", "grade", "attemptnumber", "addattempt", "workflowstate", "applytoall",
                    "plugindata[assignfeedbackcomments_editor][text]",
                    "plugindata[assignfeedbackcomments_editor][format]")
        missing = [k for k in required if k not in form and k != "workflowstate"]
        if missing:
            return _json({"exception": "invalid_parameter_exception", "errorcode": "invalidparameter",
                          "message": "Invalid parameter value detected", "debuginfo": f"missing {missing}"})
        assign, user = int(form["assignmentid"]), int(form["userid"])
        sub = self.submissions[assign][user]
        attempt = int(form["attemptnumber"])
        attempt = sub["attemptnumber"] if attempt == -1 else attempt
        key = (assign, user, attempt)
        text = form["plugindata[assignfeedbackcomments_editor][text]"]
        # Moodle applies the grade it is sent: -1 means "no grade" and would erase one.
        if form["grade"] == "-1":
            self.grades.pop((assign, user), None)
        else:
            self.grades[(assign, user)] = form["grade"]
        previous = self.feedback.get(key)
        self.feedback[key] = Feedback(text, form["grade"], form.get("workflowstate", ""),
                                      (previous.saves + 1) if previous else 1)
        return Response("null", 200, content_type="application/json")

    def notes_for(self, assign: int, user: int) -> list[Feedback]:
        return [f for (a, u, _), f in self.feedback.items() if a == assign and u == user]


# ------------------------------------------------------------------------------ Canvas


@dataclass
class CanvasSub:
    course: int
    assignment: int
    user: int
    id: int
    attempt: int
    submitted_at: str
    files: dict[int, tuple[str, bytes]]  # file id -> (display name, bytes)
    comments: list[dict[str, Any]] = field(default_factory=list)
    posted_at: str | None = None
    late: bool = False
    body: str | None = None  # the online-text entry's HTML


class CanvasStandIn(_Server):
    """The few /api/v1 endpoints canvasapi calls for the bot, plus file downloads."""

    BOT_USER = 900

    def __init__(self, token: str = "canvas-token") -> None:
        super().__init__()
        self.token = token
        self.assignments: dict[tuple[int, int], dict[str, Any]] = {}
        self.subs: dict[tuple[int, int, int], CanvasSub] = {}
        self._next = 5000

    def _id(self) -> int:
        self._next += 1
        return self._next

    def add_assignment(self, course: int, assignment: int, *, post_manually: bool = True) -> None:
        recorded = fixture("canvas/rest/canvasapi-mock.assignment.json")
        base = dict(recorded.get("get_by_id", {}).get("data") or {"id": assignment})
        base.update(id=assignment, course_id=course, name=f"Assignment {assignment}", post_manually=post_manually)
        self.assignments[(course, assignment)] = base

    def submit(self, course: int, assignment: int, user: int, files: dict[str, bytes], *, attempt: int,
               submitted_at: str, late: bool = False, body: str | None = None) -> None:
        key = (course, assignment, user)
        previous = self.subs.get(key)
        self.subs[key] = CanvasSub(course, assignment, user, previous.id if previous else self._id(), attempt,
                                   submitted_at, {self._id(): (n, d) for n, d in files.items()},
                                   previous.comments if previous else [], late=late, body=body)

    def _sub_json(self, sub: CanvasSub, with_comments: bool) -> dict[str, Any]:
        recorded = fixture("canvas/rest/canvasapi-mock.submission.json")["get_by_id_with_attachments"]["data"]
        body = copy.deepcopy(recorded)
        body.update(id=sub.id, assignment_id=sub.assignment, user_id=sub.user, attempt=sub.attempt,
                    submitted_at=sub.submitted_at, workflow_state="submitted", late=sub.late,
                    posted_at=sub.posted_at, body=sub.body,
                    submission_type="online_text_entry" if sub.body is not None else "online_upload",
                    html_url=f"{self.url}/courses/{sub.course}/assignments/{sub.assignment}/submissions/{sub.user}")
        body["attachments"] = [
            {"id": fid, "display_name": name, "filename": name, "content-type": "application/octet-stream",
             "size": len(data), "url": f"{self.url}/files/{fid}/download?download_frd=1&verifier=v{fid}"}
            for fid, (name, data) in sub.files.items()]
        if with_comments:
            body["submission_comments"] = copy.deepcopy(sub.comments)
        return body

    def route(self, request: Request, form: dict[str, str]) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"errors": [{"message": "Invalid access token."}]}, 401,
                         {"WWW-Authenticate": 'Bearer realm="canvas-lms"'})
        path = request.path
        m = re.fullmatch(r"/files/(\d+)/download", path)
        if m:
            fid = int(m.group(1))
            for sub in self.subs.values():
                if fid in sub.files:
                    return Response(sub.files[fid][1], 200, content_type="application/octet-stream")
            return _json({"errors": [{"message": "not found"}]}, 404)
        if path == "/api/v1/users/self":
            return _json({"id": self.BOT_USER, "name": "CodeGuard"})
        m = re.fullmatch(r"/api/v1/courses/(\d+)", path)
        if m:
            return _json({"id": int(m.group(1)), "name": "Course"})
        m = re.fullmatch(r"/api/v1/courses/(\d+)/assignments/(\d+)", path)
        if m:
            return _json(self.assignments[(int(m.group(1)), int(m.group(2)))])
        m = re.fullmatch(r"/api/v1/courses/(\d+)/students/submissions", path)
        if m:
            course = int(m.group(1))
            wanted = {int(a) for a in request.args.getlist("assignment_ids[]")}
            since = request.args.get("submitted_since")
            out = [self._sub_json(s, False) for s in self.subs.values() if s.course == course
                   and (not wanted or s.assignment in wanted) and (not since or s.submitted_at >= since)]
            return _json(out)
        m = re.fullmatch(r"/api/v1/courses/(\d+)/assignments/(\d+)/submissions/(\d+)/comments/(\d+)", path)
        if m and request.method == "PUT":
            sub = self.subs[(int(m.group(1)), int(m.group(2)), int(m.group(3)))]
            comment = next(c for c in sub.comments if c["id"] == int(m.group(4)))
            comment["comment"] = form["comment"]
            comment["edited_at"] = "now"
            return _json(comment)
        m = re.fullmatch(r"/api/v1/courses/(\d+)/assignments/(\d+)/submissions/(\d+)", path)
        if m:
            key = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
            sub = self.subs[key]
            if request.method == "PUT":
                text = form.get("comment[text_comment]")
                if text:
                    assignment = self.assignments[key[:2]]
                    # What Canvas does: a teacher's comment is hidden while the grade is.
                    hidden = bool(assignment.get("post_manually")) and sub.posted_at is None
                    sub.comments.append({"id": self._id(), "author_id": self.BOT_USER, "comment": text,
                                         "hidden": hidden, "attempt": sub.attempt})
                return _json(self._sub_json(sub, False))
            include = request.args.getlist("include[]")
            return _json(self._sub_json(sub, "submission_comments" in include))
        return _json({"errors": [{"message": "The specified resource does not exist."}]}, 404)
