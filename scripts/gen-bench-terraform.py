#!/usr/bin/env python3
"""Generate a large, deterministic Terraform estate for scripts/bench-terraform.sh.

    scripts/gen-bench-terraform.py OUT_DIR [--resources N] [--modules M] [--seed S]

OUT_DIR receives M module folders of `.tf` files (about N resources in all), written as
the AWS provider documents its IAM resources: per principal an `aws_iam_role` (trust from
an `aws_iam_policy_document` data source or `jsonencode`), an `aws_iam_policy` with a
few statements, an `aws_iam_role_policy_attachment`, sometimes an inline
`aws_iam_role_policy` or an AWS managed policy; some `aws_iam_user`s with
`aws_iam_access_key`s. A tenth of the roles are agents' (tagged `nhi:agent` or trusted by
Bedrock) and some of those hold AdministratorAccess. Locals and references join them, as
real modules do. OUT_DIR.manifest.json records the parameters. Every name is generated.
"""
import argparse
import json
import os
import random
import shutil

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "dynamodb:GetItem", "dynamodb:PutItem",
           "sqs:SendMessage", "sqs:ReceiveMessage", "logs:PutLogEvents", "bedrock:InvokeModel",
           "secretsmanager:GetSecretValue", "iam:PassRole", "lambda:InvokeFunction", "ec2:Describe*"]
MANAGED = ["ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "AdministratorAccess", "PowerUserAccess"]


def role(i, rng):
    agent = rng.random() < 0.1
    lines = []
    name = f"svc-{i:05d}"
    trust_service = "bedrock.amazonaws.com" if agent and rng.random() < 0.5 else "lambda.amazonaws.com"
    lines.append(f'data "aws_iam_policy_document" "trust_{i}" {{\n  statement {{\n    actions = ["sts:AssumeRole"]\n'
                 f'    principals {{\n      type        = "Service"\n      identifiers = ["{trust_service}"]\n    }}\n  }}\n}}\n')
    tags = f'    "nhi:agent" = "agent-{i}"\n' if agent else ''
    lines.append(f'resource "aws_iam_role" "r{i}" {{\n  name               = "${{local.prefix}}-{name}"\n'
                 f'  assume_role_policy = data.aws_iam_policy_document.trust_{i}.json\n  tags = {{\n{tags}    team = "t{i % 40}"\n  }}\n}}\n')
    statements = []
    for _ in range(rng.randint(1, 4)):
        acts = rng.sample(ACTIONS, rng.randint(1, 4))
        statements.append('{ Effect = "Allow", Action = %s, Resource = ["arn:aws:s3:::bucket-%d/*", aws_s3_bucket.b%d.arn] }'
                          % (json.dumps(acts), rng.randint(0, 999), rng.randint(0, 99)))
    lines.append(f'resource "aws_iam_policy" "p{i}" {{\n  name   = "{name}-policy"\n'
                 f'  policy = jsonencode({{ Version = "2012-10-17", Statement = [{", ".join(statements)}] }})\n}}\n')
    lines.append(f'resource "aws_iam_role_policy_attachment" "a{i}" {{\n  role       = aws_iam_role.r{i}.name\n'
                 f'  policy_arn = aws_iam_policy.p{i}.arn\n}}\n')
    count = 3
    if rng.random() < 0.3:
        managed = "AdministratorAccess" if agent and rng.random() < 0.2 else rng.choice(MANAGED[:2])
        lines.append(f'resource "aws_iam_role_policy_attachment" "m{i}" {{\n  role       = aws_iam_role.r{i}.name\n'
                     f'  policy_arn = "arn:aws:iam::aws:policy/{managed}"\n}}\n')
        count += 1
    if rng.random() < 0.2:
        lines.append(f'resource "aws_iam_role_policy" "i{i}" {{\n  name = "inline"\n  role = aws_iam_role.r{i}.id\n'
                     f'  policy = jsonencode({{ Statement = [{{ Effect = "Allow", Action = "sqs:*", Resource = "*" }}] }})\n}}\n')
        count += 1
    return "\n".join(lines), count


def user(i, rng):
    tags = f'  tags = {{ "nhi:agent" = "bot-{i}" }}\n' if rng.random() < 0.2 else ''
    text = (f'resource "aws_iam_user" "u{i}" {{\n  name = "user-{i:05d}"\n{tags}}}\n\n'
            f'resource "aws_iam_access_key" "k{i}" {{\n  user = aws_iam_user.u{i}.name\n}}\n\n'
            f'resource "aws_iam_user_policy_attachment" "ua{i}" {{\n  user       = aws_iam_user.u{i}.name\n'
            f'  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"\n}}\n')
    return text, 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--resources", type=int, default=10000)
    ap.add_argument("--modules", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    shutil.rmtree(a.out, ignore_errors=True)
    made = 0
    i = 0
    files = {}
    while made < a.resources:
        module = i % a.modules
        text, n = user(i, rng) if rng.random() < 0.15 else role(i, rng)
        files.setdefault(module, []).append(text)
        made += n
        i += 1
    for module, texts in files.items():
        d = os.path.join(a.out, f"module-{module:03d}")
        os.makedirs(d)
        with open(os.path.join(d, "locals.tf"), "w") as f:
            f.write(f'provider "aws" {{\n  allowed_account_ids = ["{100000000000 + module}"]\n}}\n\n'
                    f'locals {{\n  prefix = "m{module}"\n}}\n')
        for part in range(0, len(texts), 25):
            with open(os.path.join(d, f"iam-{part // 25:03d}.tf"), "w") as f:
                f.write("\n".join(texts[part:part + 25]))
    with open(a.out.rstrip("/") + ".manifest.json", "w") as f:
        json.dump({"resources": made, "modules": a.modules, "seed": a.seed}, f)
    print(f"{made} resources in {a.modules} modules")


if __name__ == "__main__":
    main()
