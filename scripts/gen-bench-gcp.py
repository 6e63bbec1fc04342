#!/usr/bin/env python3
"""Generate a large, deterministic Google Cloud organisation export for scripts/bench-gcp.sh.

    scripts/gen-bench-gcp.py OUT_DIR [--accounts N] [--bindings N] [--projects N] [--seed S]

OUT_DIR receives what a security team's `gcloud` runs write for one organisation, in
the documented shapes of the Cloud Asset and IAM APIs (field names as Google's
discovery documents give them):

  * service-accounts-PROJECT.json: `gcloud iam service-accounts list --format=json` per
    project (--accounts in all): user-managed accounts, the default compute and App
    Engine accounts, some labelled agents (`nhi:agent` in the description), some
    disabled;
  * keys/keys-EMAIL.json: `gcloud iam service-accounts keys list --format=json` per
    account: Google-managed keys for all, user-managed keys (of all ages, some never
    expiring, some disabled) for about a third;
  * iam-policies.json: `gcloud asset search-all-iam-policies --scope organizations/ORG
    --format=json`: project, bucket, dataset and service-account policies with
    --bindings role bindings in all (basic roles, predefined roles of every level,
    impersonation roles on accounts and projects, `allUsers` on some buckets), plus the
    service agents of Vertex AI Agent Engine, Dialogflow and Gemini;
  * iam-policy-assets.json: part of the same bindings as `gcloud asset export
    --content-type=iam-policy` JSON lines (service-account policies), so both readers
    are exercised;
  * organisation and folder bindings (key creation and impersonation over every account
    below), roles.json (`gcloud iam roles describe` of some predefined roles) and
    workload-identity-providers.json (a GitHub pool in every tenth project, half with a
    condition that checks only the branch, each pool able to act as one account).

OUT_DIR.manifest.json (beside the folder, not in it) records the parameters, so a benchmark can tell whether the
files are current. Nothing here is copied from elsewhere; everything is generated.
"""

import argparse
import json
import os
import random

ROLES = [
    ("roles/owner", 1),
    ("roles/editor", 3),
    ("roles/viewer", 6),
    ("roles/storage.objectViewer", 10),
    ("roles/storage.objectAdmin", 4),
    ("roles/bigquery.dataViewer", 8),
    ("roles/bigquery.dataEditor", 4),
    ("roles/aiplatform.user", 5),
    ("roles/pubsub.publisher", 5),
    ("roles/secretmanager.secretAccessor", 4),
    ("roles/logging.logWriter", 8),
    ("roles/monitoring.metricWriter", 8),
    ("roles/run.invoker", 5),
    ("roles/cloudsql.client", 3),
    ("roles/iam.serviceAccountUser", 2),
    ("roles/iam.serviceAccountTokenCreator", 2),
    ("roles/resourcemanager.projectIamAdmin", 1),
]
AGENT_DOMAINS = ["gcp-sa-aiplatform-re", "gcp-sa-dialogflow", "gcp-sa-cloudaicompanion"]


def weighted(rng, items):
    total = sum(w for _, w in items)
    pick = rng.uniform(0, total)
    for item, w in items:
        pick -= w
        if pick <= 0:
            return item
    return items[-1][0]


def stamp(rng, start_year=2019):
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (
        rng.randint(start_year, 2026), rng.randint(1, 12), rng.randint(1, 28),
        rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--accounts", type=int, default=2000)
    ap.add_argument("--bindings", type=int, default=10000)
    ap.add_argument("--projects", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    org = "organizations/100000000001"
    folders = ["folders/%d" % (200000000000 + i) for i in range(max(1, args.projects // 10))]
    os.makedirs(os.path.join(args.out, "keys"), exist_ok=True)

    projects = []
    for p in range(args.projects):
        projects.append({
            "id": "bench-project-%03d" % p,
            "number": str(300000000000 + p),
            "folder": folders[p % len(folders)],
        })

    accounts = []  # (project, email)
    per_project = {p["id"]: [] for p in projects}
    uid = 100000000000000000000
    for i in range(args.accounts):
        proj = projects[i % len(projects)]
        uid += 1
        if i < len(projects):
            email = "%s-compute@developer.gserviceaccount.com" % proj["number"]
            display = "Compute Engine default service account"
        elif i < 2 * len(projects):
            email = "%s@appspot.gserviceaccount.com" % proj["id"]
            display = "App Engine default service account"
        else:
            email = "sa-%05d@%s.iam.gserviceaccount.com" % (i, proj["id"])
            display = rng.choice(["Deployer", "Nightly job", "Reporting", "CI", "Support bot",
                                  "Vertex AI agent runtime", "Data pipeline", "Backup"])
        account = {
            "email": email,
            "name": "projects/%s/serviceAccounts/%s" % (proj["id"], email),
            "projectId": proj["id"],
            "uniqueId": str(uid),
            "displayName": display,
            "etag": "MDEwMjE5MjA=",
            "oauth2ClientId": str(uid),
        }
        if rng.random() < 0.05:
            account["description"] = "Runs the helpdesk assistant. nhi:agent"
        if rng.random() < 0.04:
            account["disabled"] = True
        per_project[proj["id"]].append(account)
        accounts.append((proj, email))

        keys = [{
            "keyAlgorithm": "KEY_ALG_RSA_2048",
            "keyOrigin": "GOOGLE_PROVIDED",
            "keyType": "SYSTEM_MANAGED",
            "name": "projects/%s/serviceAccounts/%s/keys/%040x" % (proj["id"], email, rng.getrandbits(160)),
            "validAfterTime": "2026-11-20T04:00:00Z",
            "validBeforeTime": "2026-12-06T04:00:00Z",
        }]
        if rng.random() < 0.33:
            for _ in range(rng.randint(1, 3)):
                key = {
                    "keyAlgorithm": "KEY_ALG_RSA_2048",
                    "keyOrigin": "GOOGLE_PROVIDED",
                    "keyType": "USER_MANAGED",
                    "name": "projects/%s/serviceAccounts/%s/keys/%040x" % (proj["id"], email, rng.getrandbits(160)),
                    "validAfterTime": stamp(rng),
                    "validBeforeTime": "9999-12-31T23:59:59Z" if rng.random() < 0.6 else "2027-06-01T00:00:00Z",
                }
                if rng.random() < 0.1:
                    key["disabled"] = True
                keys.append(key)
        with open(os.path.join(args.out, "keys", "keys-%s.json" % email), "w") as f:
            json.dump(keys, f, indent=2)

    for proj in projects:
        with open(os.path.join(args.out, "service-accounts-%s.json" % proj["id"]), "w") as f:
            json.dump(per_project[proj["id"]], f, indent=2)

    # Bindings: grouped into policies by resource; each binding a role and 1-4 members.
    policies = {}  # resource -> (project, [bindings])
    def resource_for(proj):
        kind = rng.random()
        if kind < 0.45:
            return "//cloudresourcemanager.googleapis.com/projects/%s" % proj["id"]
        if kind < 0.7:
            return "//storage.googleapis.com/%s-bucket-%d" % (proj["id"], rng.randint(0, 30))
        if kind < 0.85:
            return "//bigquery.googleapis.com/projects/%s/datasets/ds_%d" % (proj["id"], rng.randint(0, 20))
        owner, email = rng.choice(accounts)
        return "//iam.googleapis.com/projects/%s/serviceAccounts/%s" % (owner["id"], email)

    for b in range(args.bindings):
        proj = rng.choice(projects)
        resource = resource_for(proj)
        role = weighted(rng, ROLES)
        members = ["serviceAccount:%s" % rng.choice(accounts)[1] for _ in range(rng.randint(1, 4))]
        if resource.startswith("//storage.") and rng.random() < 0.02:
            members.append("allUsers")
        if rng.random() < 0.1:
            members.append("user:person-%d@example.com" % rng.randint(0, 500))
        if rng.random() < 0.01:
            number = proj["number"]
            members.append("serviceAccount:service-%s@%s.iam.gserviceaccount.com" % (number, rng.choice(AGENT_DOMAINS)))
        policies.setdefault(resource, (proj, []))[1].append({"role": role, "members": sorted(set(members))})

    # The hierarchy above the projects: a few organisation and folder bindings, among
    # them impersonation and key creation that cover every account below.
    hierarchy = []
    org_resource = "//cloudresourcemanager.googleapis.com/" + org
    hierarchy.append((org_resource, [], [
        {"role": "roles/iam.securityReviewer", "members": ["group:security@example.com"]},
        {"role": "roles/viewer", "members": ["serviceAccount:%s" % accounts[-1][1]]},
        {"role": "roles/iam.serviceAccountKeyAdmin", "members": ["serviceAccount:%s" % accounts[-2][1]]},
    ]))
    for i, folder in enumerate(folders):
        hierarchy.append(("//cloudresourcemanager.googleapis.com/" + folder, [folder], [
            {"role": "roles/iam.serviceAccountTokenCreator",
             "members": ["serviceAccount:%s" % accounts[(i * 37) % len(accounts)][1]]},
            {"role": "roles/resourcemanager.folderViewer", "members": ["group:folder-%d@example.com" % i]},
        ]))

    search, lines = [], []
    for resource, above, bindings in hierarchy:
        search.append({
            "resource": resource,
            "folders": above,
            "organization": org,
            "policy": {"version": 1, "etag": "BwXhqDx7Zm8=", "bindings": bindings},
        })
    for resource in sorted(policies):
        proj, bindings = policies[resource]
        if resource.startswith("//iam.") and rng.random() < 0.5:
            lines.append({
                "name": resource,
                "assetType": "iam.googleapis.com/ServiceAccount",
                "iamPolicy": {"version": 1, "etag": "BwXhqDx7Zm8=", "bindings": bindings},
                "ancestors": ["projects/%s" % proj["number"], proj["folder"], org],
                "updateTime": "2026-10-02T08:15:00Z",
            })
            continue
        search.append({
            "resource": resource,
            "project": "projects/%s" % proj["number"],
            "folders": [proj["folder"]],
            "organization": org,
            "policy": {"version": 1, "etag": "BwXhqDx7Zm8=", "bindings": bindings},
        })
    with open(os.path.join(args.out, "iam-policy-assets.json"), "w") as f:
        for line in lines:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
    # `gcloud iam roles describe` of some predefined roles the bindings use, with
    # permission lists in the documented `service.resource.verb` form.
    described = {
        "roles/storage.objectViewer": ["storage.objects.get", "storage.objects.list"],
        "roles/bigquery.dataEditor": ["bigquery.datasets.get", "bigquery.tables.create",
                                      "bigquery.tables.get", "bigquery.tables.getData",
                                      "bigquery.tables.list", "bigquery.tables.update",
                                      "bigquery.tables.updateData"],
        "roles/iam.serviceAccountKeyAdmin": ["iam.serviceAccountKeys.create",
                                             "iam.serviceAccountKeys.delete",
                                             "iam.serviceAccountKeys.get",
                                             "iam.serviceAccountKeys.list"],
    }
    with open(os.path.join(args.out, "roles.json"), "w") as f:
        json.dump([{"name": name, "title": name, "etag": "AA==", "stage": "GA",
                    "includedPermissions": perms} for name, perms in sorted(described.items())],
                  f, indent=2)
    # A GitHub workload identity pool in every tenth project, half of them with a
    # condition that checks only the branch; the pool may act as one account.
    providers = []
    for i, proj in enumerate(projects[::10]):
        pool = "projects/%s/locations/global/workloadIdentityPools/github" % proj["number"]
        providers.append({
            "name": pool + "/providers/actions",
            "displayName": "GitHub Actions",
            "state": "ACTIVE",
            "attributeMapping": {"google.subject": "assertion.sub",
                                 "attribute.repository": "assertion.repository"},
            "attributeCondition": "assertion.ref == 'refs/heads/main'" if i % 2 else
                                  "assertion.repository_owner == 'example-org'",
            "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"},
        })
        owner, email = accounts[(i * 53) % len(accounts)]
        search.append({
            "resource": "//iam.googleapis.com/projects/%s/serviceAccounts/%s" % (owner["id"], email),
            "project": "projects/%s" % owner["number"],
            "folders": [owner["folder"]],
            "organization": org,
            "policy": {"bindings": [{"role": "roles/iam.workloadIdentityUser",
                                     "members": ["principalSet://iam.googleapis.com/%s/*" % pool]}]},
        })
    with open(os.path.join(args.out, "iam-policies.json"), "w") as f:
        json.dump(search, f, indent=2)
    with open(os.path.join(args.out, "workload-identity-providers.json"), "w") as f:
        json.dump(providers, f, indent=2)
    with open(args.out.rstrip("/") + ".manifest.json", "w") as f:
        json.dump({"generator": "gen-bench-gcp.py", "accounts": args.accounts,
                   "bindings": args.bindings, "projects": args.projects, "seed": args.seed,
                   "policies": len(search), "asset_lines": len(lines)}, f, indent=2)


if __name__ == "__main__":
    main()
