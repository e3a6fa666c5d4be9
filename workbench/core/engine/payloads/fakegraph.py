"""Microsoft Graph as az's ``ad`` and ``role`` commands use it, for the fake Azure: standard
library only (it runs inside the throw-away container beside ``fakeazure``).

Applications, service principals, users and groups created in a run are kept for that run;
lists answer ``{"value": [...]}`` filtered by the ``$filter`` forms az sends (``field eq 'x'``,
``field/any(c:c eq 'x')``); ``directoryObjects/getByIds`` answers a service principal stub for
an id nothing created; ``addPassword`` answers a secret. Anything else is one clear 404.
"""

from __future__ import annotations

import json
import re
import threading
import uuid

HOST = "graph.microsoft.com"
COLLECTIONS = ("applications", "servicePrincipals", "users", "groups")
_EQ = re.compile(r"^(\w+) eq '([^']*)'$")
_ANY = re.compile(r"^(\w+)/any\(\w+:\w+ eq '([^']*)'\)$")
_BY_APP_ID = re.compile(r"^(\w+)\(appId='([^']+)'\)$")
_ODATA = {
    "applications": "#microsoft.graph.application",
    "servicePrincipals": "#microsoft.graph.servicePrincipal",
    "users": "#microsoft.graph.user",
    "groups": "#microsoft.graph.group",
}


def _error(status: int, message: str) -> tuple[int, dict]:
    return status, {"error": {"code": "FakeAzureGraph", "message": f"FakeAzure: {message}"}}


def _matches(item: dict, expression: str | None) -> bool:
    if not expression:
        return True
    for clause in expression.split(" and "):
        clause = clause.strip()
        eq, any_ = _EQ.match(clause), _ANY.match(clause)
        if eq and str(item.get(eq.group(1), "")).lower() != eq.group(2).lower():
            return False
        if any_ and any_.group(2) not in item.get(any_.group(1), ()):
            return False
    return True


class Graph:
    """The directory of one run: objects by collection and id."""

    def __init__(self, me: str) -> None:
        self.lock = threading.Lock()
        self.me = me
        self.objects: dict[str, dict[str, dict]] = {name: {} for name in COLLECTIONS}

    def answer(self, method: str, path: str, query: dict, raw: bytes) -> tuple[int, object]:
        """The status and JSON body for one Graph request (``path`` without the host)."""
        parts = [p for p in path.split("/") if p][1:]  # drop the version (v1.0, beta)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return _error(400, "the body is not JSON")
        if parts == ["me"]:
            return 200, self._stub("users", self.me, userPrincipalName="workbench@fake.example")
        if parts == ["directoryObjects", "getByIds"] and method == "POST":
            return 200, {"value": [self._find(i) for i in body.get("ids", [])]}
        if not parts:
            return _error(404, "no Graph resource at the root")
        keyed = _BY_APP_ID.match(parts[0])
        collection = keyed.group(1) if keyed else parts[0]
        if collection not in COLLECTIONS:
            return _error(404, f"Graph {collection} is not faked")
        with self.lock:
            store = self.objects[collection]
            if keyed:
                found = [o for o in store.values() if o.get("appId") == keyed.group(2)]
                parts = [collection, found[0]["id"] if found else keyed.group(2), *parts[1:]]
            if len(parts) == 1:
                if method == "POST":
                    return 201, self._create(collection, body)
                items = [o for o in store.values() if _matches(o, query.get("$filter"))]
                return 200, {"value": items}
            item = store.get(parts[1]) or self._stub(collection, parts[1])
            if len(parts) == 3 and parts[2] == "addPassword":
                return 200, {
                    "keyId": str(uuid.uuid4()),
                    "secretText": "workbench-fake-secret",
                    "displayName": (body.get("passwordCredential") or {}).get("displayName"),
                    "endDateTime": "2099-01-01T00:00:00Z",
                }
            if len(parts) > 2:
                return 200, {"value": []}  # owners, memberOf, ...: empty lists
            if method == "PATCH":
                store[parts[1]] = {**item, **body}
                return 204, None
            if method == "DELETE":
                store.pop(parts[1], None)
                return 204, None
            return 200, item

    def _create(self, collection: str, body: dict) -> dict:
        item = {
            **body,
            "id": str(uuid.uuid4()),
            "@odata.type": _ODATA[collection],
            "passwordCredentials": [],
            "keyCredentials": [],
        }
        if collection == "applications":
            item.setdefault("appId", str(uuid.uuid4()))
            item.setdefault("identifierUris", [])
        if collection == "servicePrincipals":
            item.setdefault("servicePrincipalNames", [item.get("appId", item["id"])])
        self.objects[collection][item["id"]] = item
        return item

    def _stub(self, collection: str, oid: str, **extra: str) -> dict:
        return {
            "id": oid,
            "@odata.type": _ODATA[collection],
            "appId": oid,
            "displayName": f"wb-{collection[:-1].lower()}",
            **extra,
        }

    def _find(self, oid: str) -> dict:
        for collection, store in self.objects.items():
            if oid in store:
                return {**store[oid], "@odata.type": _ODATA[collection]}
        return self._stub("servicePrincipals", oid)
