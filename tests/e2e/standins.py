"""Local stand-ins of the GitHub and GitLab REST APIs, for the real client libraries.

Each is a small werkzeug app on a real loopback HTTP server. It serves a pull/merge
request's files at given commits and records every request the bot makes (method, path,
JSON body, time), keeping comments / notes / statuses as state, so tests assert on what
the bot actually sent over HTTP. `fail()` injects error responses (500, 429 with
Retry-After, ...) for the next N matching requests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

# Where the stand-ins say their repositories' web pages are (links in comments point there).
WEB = "https://code.example.test"


@dataclass
class Recorded:
    method: str
    path: str
    at: float
    body: Any
    status: int = 0


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class StandIn:
    """Shared plumbing: HTTP server thread, request log, fault injection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> StandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, path_regex: str, status: int, times: int = 1,
             headers: dict[str, str] | None = None, body: Any = None) -> None:
        with self.lock:
            self.faults.append(Fault(method, re.compile(path_regex), status, times, headers or {}, body))

    def calls(self, method: str, path_regex: str) -> list[Recorded]:
        pattern = re.compile(path_regex)
        with self.lock:
            return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body: Any = None
        raw = request.get_data()
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        record = Recorded(request.method, request.path, time.monotonic(), body)
        with self.lock:
            self.requests.append(record)
            fault = next((f for f in self.faults if f.times > 0 and f.method == request.method
                          and f.pattern.search(request.path)), None)
            if fault is not None:
                fault.times -= 1
        if fault is not None:
            record.status = fault.status
            response = Response(json.dumps(fault.body or {"message": "injected failure"}), fault.status,
                                headers=fault.headers, content_type="application/json")
            return response(environ, start_response)
        try:
            status, payload, headers = self.route(request, body)
        except KeyError:
            status, payload, headers = 404, {"message": "Not Found"}, {}
        record.status = status
        if isinstance(payload, bytes):
            response = Response(payload, status, headers=headers, content_type="application/octet-stream")
        else:
            response = Response(json.dumps(payload), status, headers=headers, content_type="application/json")
        return response(environ, start_response)

    def route(self, request: Request, body: Any) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError


# ------------------------------------------------------------------------------- GitHub


@dataclass
class Pull:
    number: int
    head_sha: str
    files: dict[str, str]  # path -> "added" | "modified" | "removed"
    author: str = "student"
    state: str = "open"
    title: str = "Homework"


class GitHubStandIn(StandIn):
    """Enough of api.github.com for PyGithub: pulls, files, contents, trees, issue
    comments, statuses, check runs, collaborator permission, App installation tokens."""

    def __init__(self, repo: str = "Codertocat/Hello-World", default_branch: str = "master") -> None:
        super().__init__()
        self.repo = repo
        self.default_branch = default_branch
        self.trees: dict[str, dict[str, bytes]] = {default_branch: {}}
        self.pulls: dict[int, Pull] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.check_runs: list[dict[str, Any]] = []
        self.permissions: dict[str, str] = {}
        self.tokens_issued = 0
        self._next_id = 1000

    def set_tree(self, ref: str, files: dict[str, str | bytes]) -> None:
        self.trees[ref] = {p: (c.encode() if isinstance(c, str) else c) for p, c in files.items()}

    def add_pull(self, number: int, head_sha: str, files: dict[str, str | bytes], *,
                 removed: tuple[str, ...] = (), author: str = "student", base: dict[str, str | bytes] | None = None) -> None:
        tree = dict(base or {})
        tree.update(files)
        self.set_tree(head_sha, tree)
        status = {p: ("modified" if base and p in base else "added") for p in files}
        status.update({p: "removed" for p in removed})
        self.pulls[number] = Pull(number, head_sha, status, author)

    def api(self, path: str) -> str:
        return f"{self.url}/repos/{self.repo}{path}"

    def _pull_json(self, pr: Pull) -> dict[str, Any]:
        repo = {"full_name": self.repo, "name": self.repo.split("/")[1], "default_branch": self.default_branch,
                "url": f"{self.url}/repos/{self.repo}", "owner": {"login": self.repo.split("/")[0]},
                "html_url": f"{WEB}/{self.repo}"}
        return {
            "number": pr.number, "id": pr.number * 10, "state": pr.state, "title": pr.title, "merged": False,
            "draft": False, "url": self.api(f"/pulls/{pr.number}"), "user": {"login": pr.author, "type": "User"},
            "head": {"sha": pr.head_sha, "ref": "feature", "repo": repo},
            "base": {"sha": "0" * 40, "ref": self.default_branch, "repo": repo},
        }

    def _content(self, path: str, ref: str) -> dict[str, Any]:
        data = self.trees[ref][path]
        return {"type": "file", "encoding": "base64", "content": base64.b64encode(data).decode(),
                "size": len(data), "name": path.rsplit("/", 1)[-1], "path": path, "sha": blob_sha(data),
                "url": self.api(f"/contents/{path}?ref={ref}")}

    def _comment_json(self, cid: int) -> dict[str, Any]:
        c = self.comments[cid]
        return {"id": cid, "body": c["body"], "user": {"login": "codeguard[bot]", "type": "Bot"},
                "url": self.api(f"/issues/comments/{cid}"), "issue_url": self.api(f"/issues/{c['issue']}")}

    def route(self, request: Request, body: Any) -> tuple[int, Any, dict[str, str]]:
        m, p = request.method, request.path
        if m == "POST" and re.fullmatch(r"/app/installations/\d+/access_tokens", p):
            self.tokens_issued += 1
            return 201, {"token": f"ghs_standin{self.tokens_issued}", "expires_at": "2099-01-01T00:00:00Z"}, {}
        prefix = f"/repos/{self.repo}"
        if not p.startswith(prefix):
            raise KeyError(p)
        rest = p[len(prefix):]
        with self.lock:
            if m == "GET" and rest == "/installation":
                return 200, {"id": 77}, {}
            if m == "GET" and (g := re.fullmatch(r"/pulls/(\d+)", rest)):
                return 200, self._pull_json(self.pulls[int(g[1])]), {}
            if m == "GET" and (g := re.fullmatch(r"/pulls/(\d+)/files", rest)):
                pr = self.pulls[int(g[1])]
                return 200, [{"filename": f, "status": s, "sha": "1" * 40, "additions": 1, "deletions": 0,
                              "changes": 1} for f, s in sorted(pr.files.items())], {}
            if m == "GET" and (g := re.fullmatch(r"/contents/(.+)", rest)):
                ref = request.args.get("ref", self.default_branch)
                return 200, self._content(g[1], ref), {}
            if m == "GET" and (g := re.fullmatch(r"/git/trees/(.+)", rest)):
                tree = self.trees[g[1]]
                return 200, {"sha": g[1], "url": self.api(f"/git/trees/{g[1]}"), "truncated": False,
                             "tree": [{"path": q, "type": "blob", "mode": "100644", "sha": blob_sha(d),
                                       "size": len(d)} for q, d in sorted(tree.items())]}, {}
            if m == "GET" and (g := re.fullmatch(r"/issues/(\d+)", rest)):
                n = int(g[1])
                return 200, {"number": n, "url": self.api(f"/issues/{n}"), "pull_request": {},
                             "state": self.pulls[n].state}, {}
            if m == "GET" and (g := re.fullmatch(r"/issues/(\d+)/comments", rest)):
                n = int(g[1])
                return 200, [self._comment_json(c) for c in sorted(self.comments) if self.comments[c]["issue"] == n], {}
            if m == "POST" and (g := re.fullmatch(r"/issues/(\d+)/comments", rest)):
                self._next_id += 1
                self.comments[self._next_id] = {"issue": int(g[1]), "body": body["body"], "edits": 0}
                return 201, self._comment_json(self._next_id), {}
            if m == "PATCH" and (g := re.fullmatch(r"/issues/comments/(\d+)", rest)):
                c = self.comments[int(g[1])]
                c["body"] = body["body"]
                c["edits"] += 1
                return 200, self._comment_json(int(g[1])), {}
            if m == "GET" and (g := re.fullmatch(r"/commits/(\w+)", rest)):
                return 200, {"sha": g[1], "url": self.api(f"/commits/{g[1]}")}, {}
            if m == "POST" and (g := re.fullmatch(r"/statuses/(\w+)", rest)):
                self.statuses.append({"sha": g[1], **body})
                return 201, {"id": len(self.statuses), "url": self.api(f"/statuses/{g[1]}"), **body}, {}
            if m == "POST" and rest == "/check-runs":
                self.check_runs.append(body)
                return 201, {"id": len(self.check_runs), "url": self.api(f"/check-runs/{len(self.check_runs)}"),
                             **body}, {}
            if m == "GET" and (g := re.fullmatch(r"/collaborators/([^/]+)/permission", rest)):
                perm = self.permissions.get(g[1], "none")
                return 200, {"permission": perm, "user": {"login": g[1]}}, {}
        raise KeyError(p)

    def bot_comments(self, number: int) -> list[dict[str, Any]]:
        with self.lock:
            return [c for c in self.comments.values() if c["issue"] == number]


# ------------------------------------------------------------------------------- GitLab


class GitLabStandIn(StandIn):
    """Enough of GitLab's /api/v4 for python-gitlab: project, MR, diffs, raw files, tree,
    notes, commit statuses, members."""

    def __init__(self, project_id: int = 2, path: str = "test/woodpecker", default_branch: str = "master") -> None:
        super().__init__()
        self.project_id = project_id
        self.path = path
        self.default_branch = default_branch
        self.trees: dict[str, dict[str, bytes]] = {default_branch: {}}
        self.mrs: dict[int, Pull] = {}
        self.notes: dict[int, dict[str, Any]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.members: dict[int, int] = {}  # user id -> access level
        self.users: dict[str, int] = {}
        self._next_id = 500

    def add_mr(self, iid: int, head_sha: str, files: dict[str, str | bytes], *, removed: tuple[str, ...] = (),
               author: str = "student") -> None:
        self.trees[head_sha] = {p: (c.encode() if isinstance(c, str) else c) for p, c in files.items()}
        status = {p: "added" for p in files}
        status.update({p: "removed" for p in removed})
        self.mrs[iid] = Pull(iid, head_sha, status, author)

    def route(self, request: Request, body: Any) -> tuple[int, Any, dict[str, str]]:
        m, p = request.method, request.path
        prefix = f"/api/v4/projects/{self.project_id}"
        if m == "GET" and p == "/api/v4/users":
            name = request.args.get("username", "")
            return 200, ([{"id": self.users[name], "username": name}] if name in self.users else []), {}
        if not p.startswith(prefix):
            raise KeyError(p)
        rest = p[len(prefix):]
        with self.lock:
            if m == "GET" and rest == "":
                return 200, {"id": self.project_id, "path_with_namespace": self.path,
                             "default_branch": self.default_branch, "web_url": f"{WEB}/{self.path}"}, {}
            if m == "GET" and (g := re.fullmatch(r"/merge_requests/(\d+)", rest)):
                mr = self.mrs[int(g[1])]
                return 200, {"id": mr.number * 10, "iid": mr.number, "project_id": self.project_id,
                             "sha": mr.head_sha, "state": "opened", "title": mr.title,
                             "author": {"username": mr.author}, "target_branch": self.default_branch}, {}
            if m == "GET" and (g := re.fullmatch(r"/merge_requests/(\d+)/diffs", rest)):
                mr = self.mrs[int(g[1])]
                return 200, [{"old_path": f, "new_path": f, "new_file": s == "added", "renamed_file": False,
                              "deleted_file": s == "removed", "diff": ""} for f, s in sorted(mr.files.items())], {}
            if m == "GET" and (g := re.fullmatch(r"/repository/files/(.+)/raw", rest)):
                ref = request.args.get("ref", self.default_branch)
                return 200, self.trees[ref][g[1]], {}
            if m == "GET" and rest == "/repository/tree":
                ref = request.args.get("ref", self.default_branch)
                root = request.args.get("path", "").strip("/")
                return 200, [{"path": q, "type": "blob", "name": q.rsplit("/", 1)[-1]} for q in sorted(self.trees[ref])
                             if not root or q.startswith(root + "/")], {}
            if m == "GET" and (g := re.fullmatch(r"/merge_requests/(\d+)/notes", rest)):
                n = int(g[1])
                return 200, [{"id": i, **self.notes[i]} for i in sorted(self.notes) if self.notes[i]["mr"] == n], {}
            if m == "POST" and (g := re.fullmatch(r"/merge_requests/(\d+)/notes", rest)):
                self._next_id += 1
                self.notes[self._next_id] = {"mr": int(g[1]), "body": body["body"], "edits": 0}
                return 201, {"id": self._next_id, **self.notes[self._next_id]}, {}
            if m == "PUT" and (g := re.fullmatch(r"/merge_requests/(\d+)/notes/(\d+)", rest)):
                note = self.notes[int(g[2])]
                note["body"] = body["body"]
                note["edits"] += 1
                return 200, {"id": int(g[2]), **note}, {}
            if m == "POST" and (g := re.fullmatch(r"/statuses/(\w+)", rest)):
                self.statuses.append({"sha": g[1], **body})
                return 201, {"id": len(self.statuses), **body}, {}
            if m == "GET" and (g := re.fullmatch(r"/members/all/(\d+)", rest)):
                uid = int(g[1])
                return 200, {"id": uid, "access_level": self.members[uid]}, {}
        raise KeyError(p)

    def mr_notes(self, iid: int) -> list[dict[str, Any]]:
        with self.lock:
            return [n for n in self.notes.values() if n["mr"] == iid]
