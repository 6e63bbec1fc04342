#!/usr/bin/env python3
"""Generate a large, deterministic Entra ID / Azure tenant export for scripts/bench-azure.sh.

    scripts/gen-bench-azure.py OUT_DIR [--apps N] [--assignments N] [--subscriptions N] [--seed S]

OUT_DIR receives what `az` and Microsoft Graph list for one tenant, in Microsoft's
documented shapes (Graph v1.0 `application`, `servicePrincipal`, `appRoleAssignment`,
`federatedIdentityCredential`, `unifiedRoleAssignment`; ARM `roleAssignment` and
`roleDefinition` as `az` prints them):

  * applications.json (`az ad app list --all`): --apps applications, a third with client
    secrets (some never expiring, some old, some several), a few certificates, 5% tagged
    `nhi:agent`;
  * service-principals.json (`az ad sp list --all`): one per application, plus Microsoft
    Graph's own service principal with its app roles (ids generated here) and some
    managed identities;
  * graph-app-role-assignments-N.json: Graph pages of
    `servicePrincipals('GRAPH')/appRoleAssignedTo` (1,000 per page, as Graph pages them);
  * federated-credentials-ID.json: one Graph page per application that trusts GitHub
    Actions (a tenth of them), some with wildcard or branch-less subjects;
  * role-assignments.json (`az role assignment list --all`): --assignments Azure role
    assignments over --subscriptions subscriptions, their resource groups and resources;
  * role-definitions.json (`az role definition list`): the four built-in roles used, by
    name, with their actions, and a few custom roles;
  * directory-role-assignments.json / directory-role-definitions.json: Graph pages of
    directory role assignments and definitions.

OUT_DIR.manifest.json (beside the folder) records the parameters. Nothing here is copied
from elsewhere; every id and name is generated.
"""

import argparse
import json
import os
import random
import uuid

GRAPH = "https://graph.microsoft.com/v1.0/$metadata#"
PERMISSIONS = [
    ("User.Read.All", 10), ("Mail.Read", 4), ("Files.Read.All", 4), ("Sites.Read.All", 4),
    ("Directory.Read.All", 6), ("Group.ReadWrite.All", 2), ("Mail.Send", 2),
    ("Application.ReadWrite.All", 1), ("AppRoleAssignment.ReadWrite.All", 1),
    ("RoleManagement.ReadWrite.Directory", 1), ("Sites.ReadWrite.All", 2),
]
RBAC = [("Reader", 10), ("Contributor", 5), ("Owner", 1), ("User Access Administrator", 1),
        ("Storage Blob Data Reader", 4), ("Cognitive Services OpenAI User", 3), ("Agent Runner", 2)]


def weighted(rng, items):
    total = sum(w for _, w in items)
    pick = rng.uniform(0, total)
    for item, w in items:
        pick -= w
        if pick <= 0:
            return item
    return items[-1][0]


def guid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def stamp(rng, start=2020, end=2026):
    return "%04d-%02d-%02dT%02d:00:00Z" % (rng.randint(start, end), rng.randint(1, 12),
                                          rng.randint(1, 28), rng.randint(0, 23))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--apps", type=int, default=5000)
    ap.add_argument("--assignments", type=int, default=20000)
    ap.add_argument("--subscriptions", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    tenant = guid(rng)

    apps, sps, fics = [], [], []
    for i in range(args.apps):
        app = {"id": guid(rng), "appId": guid(rng), "displayName": "app-%05d" % i,
               "createdDateTime": stamp(rng), "signInAudience": "AzureADMyOrg",
               "identifierUris": [], "requiredResourceAccess": [], "tags": [],
               "passwordCredentials": [], "keyCredentials": []}
        if rng.random() < 0.05:
            app["tags"] = ["nhi:agent"]
            app["displayName"] = "support-agent-%05d" % i
        if rng.random() < 0.33:
            for _ in range(rng.randint(1, 3)):
                start = stamp(rng)
                app["passwordCredentials"].append({
                    "customKeyIdentifier": None, "displayName": "secret",
                    "keyId": guid(rng), "startDateTime": start,
                    "endDateTime": "2299-12-31T00:00:00Z" if rng.random() < 0.3 else "2027-06-01T00:00:00Z",
                })
        if rng.random() < 0.05:
            app["keyCredentials"].append({
                "customKeyIdentifier": "%040X" % rng.getrandbits(160), "displayName": "CN=app",
                "keyId": guid(rng), "type": "AsymmetricX509Cert", "usage": "Verify",
                "startDateTime": stamp(rng), "endDateTime": "2027-01-01T00:00:00Z"})
        apps.append(app)
        sps.append({"id": guid(rng), "appId": app["appId"], "displayName": app["displayName"],
                    "appDisplayName": app["displayName"], "accountEnabled": True,
                    "appOwnerOrganizationId": tenant, "servicePrincipalType": "Application",
                    "alternativeNames": [], "appRoles": [], "tags": list(app["tags"]),
                    "keyCredentials": [], "passwordCredentials": []})
        if rng.random() < 0.1:
            owner = "example-org"
            subject = rng.choice(["repo:%s/svc-%d:ref:refs/heads/main" % (owner, i),
                                  "repo:%s/svc-%d:environment:prod" % (owner, i),
                                  "repo:%s/svc-%d:pull_request" % (owner, i)])
            fics.append((app["id"], {"id": guid(rng), "name": "github-%d" % i,
                                     "issuer": "https://token.actions.githubusercontent.com",
                                     "subject": subject, "audiences": ["api://AzureADTokenExchange"],
                                     "description": None}))
    for i in range(args.apps // 50):
        sps.append({"id": guid(rng), "appId": guid(rng), "displayName": "mi-%04d" % i,
                    "accountEnabled": True, "servicePrincipalType": "ManagedIdentity",
                    "alternativeNames": ["isExplicit=True", "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-%04d" % (guid(rng), i)],
                    "appRoles": [], "tags": [], "keyCredentials": [], "passwordCredentials": []})
    graph_roles = [{"id": guid(rng), "value": name, "displayName": name, "isEnabled": True,
                    "allowedMemberTypes": ["Application"], "description": name, "origin": "Application"}
                   for name, _ in PERMISSIONS]
    graph = {"id": guid(rng), "appId": "00000003-0000-0000-c000-000000000000",
             "displayName": "Microsoft Graph", "accountEnabled": True,
             "appOwnerOrganizationId": guid(rng), "servicePrincipalType": "Application",
             "alternativeNames": [], "appRoles": graph_roles, "tags": [],
             "keyCredentials": [], "passwordCredentials": []}
    sps.append(graph)
    with open(os.path.join(args.out, "applications.json"), "w") as f:
        json.dump(apps, f, indent=1)
    with open(os.path.join(args.out, "service-principals.json"), "w") as f:
        json.dump(sps, f, indent=1)

    # Graph application permissions: a fifth of the applications hold 1-3.
    by_value = {r["value"]: r["id"] for r in graph_roles}
    grants = []
    for sp in sps[: args.apps]:
        if rng.random() < 0.2:
            for _ in range(rng.randint(1, 3)):
                perm = weighted(rng, PERMISSIONS)
                grants.append({"id": guid(rng), "appRoleId": by_value[perm],
                               "createdDateTime": stamp(rng), "principalDisplayName": sp["displayName"],
                               "principalId": sp["id"], "principalType": "ServicePrincipal",
                               "resourceDisplayName": "Microsoft Graph", "resourceId": graph["id"]})
    for n in range(0, len(grants), 1000):
        page = {"@odata.context": GRAPH + "servicePrincipals('%s')/appRoleAssignedTo" % graph["id"],
                "value": grants[n:n + 1000]}
        with open(os.path.join(args.out, "graph-app-role-assignments-%d.json" % (n // 1000)), "w") as f:
            json.dump(page, f, indent=1)
    for app_id, fic in fics:
        page = {"@odata.context": GRAPH + "applications('%s')/federatedIdentityCredentials" % app_id,
                "value": [fic]}
        with open(os.path.join(args.out, "federated-credentials-%s.json" % app_id), "w") as f:
            json.dump(page, f, indent=1)

    # Azure RBAC.
    subs = [guid(rng) for _ in range(args.subscriptions)]
    defs = {}
    for name, _ in RBAC:
        actions = {"Owner": ["*"], "Contributor": ["*"], "Reader": ["*/read"],
                   "User Access Administrator": ["*/read", "Microsoft.Authorization/*"],
                   "Storage Blob Data Reader": ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
                   "Cognitive Services OpenAI User": ["Microsoft.CognitiveServices/*/read"],
                   "Agent Runner": ["Microsoft.Web/sites/*", "Microsoft.Storage/*/read"]}[name]
        not_actions = ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                       "Microsoft.Authorization/elevateAccess/Action"] if name == "Contributor" else []
        defs[name] = {"id": "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (subs[0], guid(rng)),
                      "name": guid(rng), "roleName": name,
                      "roleType": "CustomRole" if name == "Agent Runner" else "BuiltInRole",
                      "type": "Microsoft.Authorization/roleDefinitions", "description": name,
                      "assignableScopes": ["/"],
                      "permissions": [{"actions": actions, "notActions": not_actions,
                                       "dataActions": [], "notDataActions": []}]}
    assignments = []
    for n in range(args.assignments):
        sp = rng.choice(sps[: args.apps])
        sub = rng.choice(subs)
        kind = rng.random()
        scope = "/subscriptions/%s" % sub
        if kind > 0.3:
            scope += "/resourceGroups/rg-%d" % rng.randint(0, 30)
        if kind > 0.8:
            scope += "/providers/Microsoft.Storage/storageAccounts/st%d" % rng.randint(0, 200)
        role = weighted(rng, RBAC)
        name = guid(rng)
        assignments.append({"condition": None, "conditionVersion": None,
                            "id": scope + "/providers/Microsoft.Authorization/roleAssignments/" + name,
                            "name": name, "principalId": sp["id"], "principalType": "ServicePrincipal",
                            "roleDefinitionId": "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (sub, defs[role]["name"]),
                            "roleDefinitionName": role, "scope": scope,
                            "type": "Microsoft.Authorization/roleAssignments"})
    with open(os.path.join(args.out, "role-assignments.json"), "w") as f:
        json.dump(assignments, f, indent=1)
    with open(os.path.join(args.out, "role-definitions.json"), "w") as f:
        json.dump(list(defs.values()), f, indent=1)

    # Directory roles: a few applications are Application Administrators.
    app_admin = guid(rng)
    role_defs = {"@odata.context": GRAPH + "roleManagement/directory/roleDefinitions",
                 "value": [{"id": app_admin, "templateId": app_admin, "displayName": "Application Administrator",
                            "isBuiltIn": True, "isEnabled": True,
                            "rolePermissions": [{"allowedResourceActions": ["microsoft.directory/applications/credentials/update"]}]}]}
    role_assign = {"@odata.context": GRAPH + "roleManagement/directory/roleAssignments",
                   "value": [{"id": guid(rng), "principalId": sp["id"], "roleDefinitionId": app_admin,
                              "directoryScopeId": "/"} for sp in rng.sample(sps[: args.apps], 50)]}
    with open(os.path.join(args.out, "directory-role-definitions.json"), "w") as f:
        json.dump(role_defs, f, indent=1)
    with open(os.path.join(args.out, "directory-role-assignments.json"), "w") as f:
        json.dump(role_assign, f, indent=1)
    with open(args.out.rstrip("/") + ".manifest.json", "w") as f:
        json.dump({"generator": "gen-bench-azure.py", "apps": args.apps,
                   "assignments": args.assignments, "subscriptions": args.subscriptions,
                   "seed": args.seed, "graph_grants": len(grants), "federated": len(fics)}, f, indent=2)


if __name__ == "__main__":
    main()
