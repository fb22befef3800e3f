"""The project's own Moodle web-service client (REST protocol, JSON format).

Moodle has no maintained Python client, and the protocol is small: every call is a form
POST to `<site>/webservice/rest/server.php` with `wstoken`, `wsfunction`,
`moodlewsrestformat=json` and the function's parameters in PHP bracket syntax
(`assignmentids[0]=12`, `plugindata[assignfeedbackcomments_editor][text]=...`).

Moodle reports errors as HTTP 200 with a JSON body `{"exception", "errorcode",
"message"}`; the message is localised and changes between versions, so we branch on
`errorcode` only and turn the two errors an administrator can fix (a token Moodle does
not accept, a web-service user without a capability) into exceptions whose text says
what to change. The token never appears in a log line or an exception message: URLs
are logged without their query string (bot.retry) and errors carry the function name.

File downloads are `fileurl?token=<wstoken>`; the script behind them answers errors as
JSON instead of the file, so the Content-Type is checked before bytes are trusted. The
token is only ever sent to the configured site: a fileurl on another host is refused.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from bot.retry import RetryPolicy, retrying_session

log = logging.getLogger("codeguard.moodle")

REST_PATH = "/webservice/rest/server.php"
#: What the web-service user needs, for error messages and docs/LMS.md.
REQUIRED_FUNCTIONS = ("core_webservice_get_site_info", "mod_assign_get_assignments", "mod_assign_get_submissions",
                      "mod_assign_get_grades", "mod_assign_save_grade")
REQUIRED_CAPABILITIES = ("webservice/rest:use", "mod/assign:view", "mod/assign:grade", "mod/assign:viewgrades",
                         "moodle/course:view (or an enrolment in the course)")


class MoodleError(RuntimeError):
    """An error answer from Moodle. `errorcode` is Moodle's; `admin_hint` says what to fix."""

    permanent = False  # True: retrying the same call cannot succeed until an admin acts

    def __init__(self, function: str, errorcode: str, message: str, exception: str = "", admin_hint: str = ""):
        self.function = function
        self.errorcode = errorcode
        self.moodle_message = message
        self.exception = exception
        self.admin_hint = admin_hint
        text = f"Moodle {function}: {errorcode or exception or 'error'}: {message}"
        super().__init__(text + (f" — {admin_hint}" if admin_hint else ""))


class MoodleTokenError(MoodleError):
    """`invalidtoken`: unknown/expired token, wrong IP, or a service that lacks the function."""

    permanent = True


class MoodleCapabilityError(MoodleError):
    """`required_capability_exception` / `nopermissions` / `accessexception`."""

    permanent = True


class MoodleFileError(MoodleError):
    """webservice/pluginfile.php answered an error instead of the file."""


def _token_hint(function: str) -> str:
    return (
        "Moodle does not accept the web-service token (MOODLE_TOKEN). Check Site administration > Server > "
        "Web services > Manage tokens: the token exists, has not expired, is not limited to other IP addresses, "
        f"and its external service includes {function} (Moodle reports a missing function as invalidtoken too). "
        f"The service needs: {', '.join(REQUIRED_FUNCTIONS)}; enable 'Can download files' on it."
    )


def _capability_hint(message: str) -> str:
    return (
        f"The web-service user lacks a permission ({message.strip()}). Give its role these capabilities in the "
        f"course (or system) context: {', '.join(REQUIRED_CAPABILITIES)}, and make sure the external service "
        "lists the function."
    )


def error_from_body(function: str, body: Mapping[str, Any]) -> MoodleError:
    """The typed exception for a Moodle error body (REST server or pluginfile.php)."""
    code = str(body.get("errorcode") or "")
    exception = str(body.get("exception") or "")
    message = str(body.get("message") or body.get("error") or "")
    if code == "invalidtoken":
        return MoodleTokenError(function, code, message, exception, _token_hint(function))
    if (code in ("nopermissions", "accessexception", "required_capability_exception")
            or exception.endswith("required_capability_exception")
            or exception.endswith("webservice_access_exception")):
        return MoodleCapabilityError(function, code or exception, message, exception, _capability_hint(message))
    if function == "download":
        return MoodleFileError(function, code, message, exception)
    return MoodleError(function, code, message, exception)


def flatten(params: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """PHP bracket syntax: {"a": [1, 2], "p": {"x": {"y": 3}}} → a[0]=1, a[1]=2, p[x][y]=3."""
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            yield from flatten(value, name)
        elif isinstance(value, list | tuple):
            yield from flatten({str(i): v for i, v in enumerate(value)}, name)
        elif isinstance(value, bool):
            yield name, "1" if value else "0"
        elif value is None:
            continue
        else:
            yield name, str(value)


class MoodleClient:
    def __init__(self, base_url: str, token: str, *, policy: RetryPolicy | None = None,
                 timeout_s: float = 30.0, session: requests.Session | None = None) -> None:
        if not token:
            raise ValueError("a Moodle web-service token is required")
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout_s = timeout_s
        self.session = session or retrying_session(policy or RetryPolicy())
        self.session.headers["User-Agent"] = "codeguard-nexus"

    def __repr__(self) -> str:
        return f"MoodleClient({self.base_url!r}, token=***)"

    # ----------------------------------------------------------------- the protocol

    def call(self, function: str, **params: Any) -> Any:
        form = [("wstoken", self._token), ("wsfunction", function), ("moodlewsrestformat", "json")]
        form += list(flatten(params))
        response = self.session.post(self.base_url + REST_PATH, data=form, timeout=self.timeout_s)
        if response.status_code >= 400:
            # Proxies and PHP fatals; Moodle itself answers errors with 200.
            raise MoodleError(function, f"http{response.status_code}", f"HTTP {response.status_code} from the site")
        try:
            body = response.json()
        except ValueError:
            raise MoodleError(function, "notjson", "the site did not answer JSON (is the REST protocol enabled "
                              "under Site administration > Server > Web services > Manage protocols?)") from None
        if isinstance(body, dict) and "exception" in body and "errorcode" in body:
            raise error_from_body(function, body)
        return body

    # ----------------------------------------------------------------- functions we use

    def site_info(self) -> dict[str, Any]:
        return dict(self.call("core_webservice_get_site_info"))

    def assignments(self, course_id: int | str) -> list[dict[str, Any]]:
        """The course's assignments (id = instance id, cmid = course-module id, markingworkflow, duedate)."""
        body = self.call("mod_assign_get_assignments", courseids=[int(course_id)])
        out: list[dict[str, Any]] = []
        for course in body.get("courses", []):
            out.extend(course.get("assignments", []))
        return out

    def assignment_by_cmid(self, course_id: int | str, cmid: int | str) -> dict[str, Any]:
        for assignment in self.assignments(course_id):
            if str(assignment.get("cmid")) == str(cmid):
                return assignment
        raise MoodleError("mod_assign_get_assignments", "notfound",
                          f"no assignment with course-module id {cmid} in course {course_id} is visible to the "
                          "web-service user")

    def submissions(self, assignment_id: int | str, *, since: int = 0, status: str = "submitted") -> list[dict[str, Any]]:
        """Submissions modified at or after `since` (epoch seconds); latest attempt per user."""
        body = self.call("mod_assign_get_submissions", assignmentids=[int(assignment_id)], status=status,
                         since=int(since))
        for warning in body.get("warnings", []):
            log.warning("mod_assign_get_submissions warning %s: %s", warning.get("warningcode"),
                        warning.get("message"))
        subs: list[dict[str, Any]] = []
        for assignment in body.get("assignments", []):
            subs.extend(s for s in assignment.get("submissions", []) if s.get("latest", 1))
        return subs

    def grades(self, assignment_id: int | str) -> list[dict[str, Any]]:
        body = self.call("mod_assign_get_grades", assignmentids=[int(assignment_id)], since=0)
        out: list[dict[str, Any]] = []
        for assignment in body.get("assignments", []):
            out.extend(assignment.get("grades", []))
        return out

    def current_grade(self, assignment_id: int | str, user_id: int | str, attempt: int) -> str:
        """The grade to send back so saving feedback leaves the grade as it is ("-1": none yet)."""
        best: dict[str, Any] | None = None
        for grade in self.grades(assignment_id):
            if str(grade.get("userid")) != str(user_id):
                continue
            if int(grade.get("attemptnumber", -1)) in (attempt, -1) or best is None:
                best = grade
        if best is None:
            return "-1"
        value = str(best.get("grade", "")).strip()
        return value if value not in ("", "-1", "-1.00000") else "-1"

    def save_feedback(self, assignment_id: int | str, user_id: int | str, html: str, *, grade: str = "-1",
                      workflowstate: str | None = None, attempt: int = -1) -> None:
        """Save the one feedback comment of this attempt (replacing the previous text).

        `grade` must be the current grade ("-1" when none), or saving would change it.
        `workflowstate` None (no marking workflow) is not sent.
        """
        self.call(
            "mod_assign_save_grade",
            assignmentid=int(assignment_id),
            userid=int(user_id),
            grade=grade,
            attemptnumber=attempt,
            addattempt=0,
            workflowstate=workflowstate,
            applytoall=0,
            plugindata={"assignfeedbackcomments_editor": {"text": html, "format": 1}, "files_filemanager": 0},
        )

    # ----------------------------------------------------------------- files

    def download(self, fileurl: str, *, max_bytes: int) -> bytes | None:
        """The file's bytes, None if larger than `max_bytes`; MoodleError on an error body."""
        site, target = urlsplit(self.base_url), urlsplit(fileurl)
        if (target.scheme, target.netloc) != (site.scheme, site.netloc):
            raise MoodleFileError("download", "foreignhost",
                                  f"file URL points at {target.netloc or 'no host'}, not the configured site; "
                                  "the token is not sent there")
        with self.session.get(fileurl, params={"token": self._token}, timeout=self.timeout_s,
                              stream=True) as response:
            ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            status = response.status_code
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    if status >= 400:
                        break
                    return None
        if ctype == "application/json" or status >= 400:
            try:
                body = json.loads(bytes(data).decode("utf-8", "replace"))
            except ValueError:
                body = None
            if isinstance(body, dict) and (body.get("errorcode") or body.get("error")):
                raise error_from_body("download", body)
            if status >= 400:
                raise MoodleFileError("download", f"http{status}", f"HTTP {status} for a submission file")
        return bytes(data)  # (a student's own .json file is served as JSON too)
