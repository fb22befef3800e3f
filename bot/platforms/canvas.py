"""Canvas through canvasapi: one submission's attachments in, one submission comment out.

Canvas has no instructor-only comment. A teacher's comment is hidden from the student
only while the submission's grade is hidden, i.e. the assignment uses a *manual* post
policy and its grades have not been posted (Canvas sets the comment's `hidden` flag
itself at that moment). Once grades are posted, every comment is visible, so what a
note may contain is decided per course (bot.lms_config.POSTING_POLICIES) from
`note_hidden_from_student` below; by default the AI-risk number is never posted.

Our comment is found again by a marker line and by its author (the token's user), and
edited in place (`PUT .../submissions/:user_id/comments/:id`, which canvasapi does not
wrap), so a resubmission updates the one note instead of adding another.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from canvasapi import Canvas
from requests.adapters import HTTPAdapter

from bot.retry import RetryPolicy, http_retry

log = logging.getLogger("codeguard.canvas")

# canvasapi logs every request URL at INFO and bodies at DEBUG; download URLs carry a
# `verifier` credential and bodies carry notes. Keep its logger quiet.
logging.getLogger("canvasapi").setLevel(logging.WARNING)

GLOBAL_ID_SHARD = 10**13


def local_id(value: Any) -> str:
    """Live Events carry global ids (shard * 10^13 + local); the REST paths in URLs use local ids."""
    number = int(str(value))
    return str(number % GLOBAL_ID_SHARD) if number >= GLOBAL_ID_SHARD else str(number)


@dataclass(frozen=True)
class Attachment:
    id: int
    name: str
    size: int | None
    content_type: str
    file: Any  # canvasapi File, for get_contents


@dataclass(frozen=True)
class CanvasSubmission:
    course_id: str
    assignment_id: str
    user_id: str
    submission_id: str
    attempt: int
    submitted_at: str
    workflow_state: str
    late: bool
    posted_at: str | None
    attachments: list[Attachment]
    comments: list[dict[str, Any]]
    raw: Any  # canvasapi Submission

    @property
    def version(self) -> str:
        return f"{self.attempt}:{self.submitted_at}"


class CanvasLms:
    def __init__(self, base_url: str, token: str, *, policy: RetryPolicy | None = None) -> None:
        self.canvas = Canvas(base_url.rstrip("/"), token)
        # The shared retry policy (429/5xx, Retry-After) below canvasapi, as for GitLab.
        requester = self.canvas._Canvas__requester  # type: ignore[attr-defined]
        adapter = HTTPAdapter(max_retries=http_retry(policy or RetryPolicy()))
        requester._session.mount("http://", adapter)
        requester._session.mount("https://", adapter)
        self._requester = requester
        self._me: int | None = None

    def __repr__(self) -> str:
        return "CanvasLms(token=***)"

    def me(self) -> int:
        if self._me is None:
            self._me = int(self.canvas.get_current_user().id)
        return self._me

    def assignment(self, course_id: str, assignment_id: str) -> Any:
        return self.canvas.get_course(int(course_id)).get_assignment(int(assignment_id))

    def submission(self, course_id: str, assignment_id: str, user_id: str) -> CanvasSubmission:
        assignment = self.assignment(course_id, assignment_id)
        sub = assignment.get_submission(int(user_id), include=["submission_comments"])
        return self._wrap(course_id, assignment_id, sub)

    def _wrap(self, course_id: str, assignment_id: str, sub: Any) -> CanvasSubmission:
        attachments = []
        for f in getattr(sub, "attachments", None) or []:
            attrs = f.__dict__
            attachments.append(Attachment(
                id=int(attrs.get("id", 0)),
                name=str(attrs.get("display_name") or attrs.get("filename") or f"file-{attrs.get('id')}"),
                size=attrs.get("size"),
                content_type=str(attrs.get("content-type") or attrs.get("content_type") or ""),
                file=f,
            ))
        return CanvasSubmission(
            course_id=str(course_id), assignment_id=str(assignment_id), user_id=str(sub.user_id),
            submission_id=str(getattr(sub, "id", "")), attempt=int(getattr(sub, "attempt", 0) or 0),
            submitted_at=str(getattr(sub, "submitted_at", "") or ""),
            workflow_state=str(getattr(sub, "workflow_state", "") or ""), late=bool(getattr(sub, "late", False)),
            posted_at=getattr(sub, "posted_at", None), attachments=attachments,
            comments=list(getattr(sub, "submission_comments", None) or []), raw=sub,
        )

    def submitted_since(self, course_id: str, assignment_id: str, since_iso: str | None) -> list[CanvasSubmission]:
        """Submissions of one assignment submitted at or after `since_iso` (all when None)."""
        course = self.canvas.get_course(int(course_id))
        kwargs: dict[str, Any] = {"student_ids": ["all"], "assignment_ids": [int(assignment_id)]}
        if since_iso:
            kwargs["submitted_since"] = since_iso
        out = []
        for sub in course.get_multiple_submissions(**kwargs):
            if getattr(sub, "workflow_state", "") in ("unsubmitted", "deleted") or not getattr(sub, "submitted_at", None):
                continue
            out.append(self._wrap(course_id, assignment_id, sub))
        return out

    def download(self, attachment: Attachment, *, max_bytes: int) -> bytes | None:
        """The attachment's bytes (canvasapi, authenticated), None when over `max_bytes`."""
        if attachment.size is not None and int(attachment.size) > max_bytes:
            return None
        url = str(getattr(attachment.file, "url", "") or "")
        # The token goes only to the Canvas host; a URL elsewhere (a files domain, a CDN)
        # is authorised by its own `verifier` and gets no Authorization header.
        same_host = urlsplit(url).netloc == urlsplit(self._requester.original_url).netloc
        response = self._requester.request("GET", _url=url, use_auth=same_host)
        data: bytes = response.content
        return None if len(data) > max_bytes else data

    @staticmethod
    def note_hidden_from_student(assignment: Any, submission: CanvasSubmission) -> bool:
        """True only while Canvas hides teacher comments: manual post policy and grade not posted."""
        return bool(getattr(assignment, "post_manually", False)) and not submission.posted_at

    def upsert_comment(self, submission: CanvasSubmission, marker: str, text: str) -> str:
        """"created", "updated" or "unchanged": one comment of ours per submission, found by marker."""
        me = self.me()
        ours = [c for c in submission.comments
                if marker in str(c.get("comment", "")) and int(c.get("author_id") or -1) == me]
        if ours:
            current = ours[-1]
            if str(current.get("comment", "")) == text:
                return "unchanged"
            self._requester.request(
                "PUT",
                f"courses/{submission.course_id}/assignments/{submission.assignment_id}/submissions/"
                f"{submission.user_id}/comments/{int(current['id'])}",
                comment=text,
            )
            return "updated"
        submission.raw.edit(comment={"text_comment": text})
        return "created"
