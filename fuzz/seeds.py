#!/usr/bin/env python3
"""Seeds for the fuzz targets, taken from the project's fixtures and examples.

Writes fuzz/seeds/<target>/<sha1> (git-ignored): whole files for the readers, and the image
references, IAM policies and lifecycle policies found inside them for the targets that read
those alone. Run by scripts/fuzz-smoke; safe to run again.
"""
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = [os.path.join(ROOT, "tests", "fixtures"), os.path.join(ROOT, "examples")]
OUT = os.path.join(ROOT, "fuzz", "seeds")
MAX = 32768


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX:
        return
    folder = os.path.join(OUT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def walk_values(value, found):
    if isinstance(value, dict):
        if "Statement" in value:
            found["iam_policy"].append(json.dumps(value))
        if "rules" in value and isinstance(value["rules"], list):
            found["lifecycle"].append(json.dumps(value))
        for k, v in value.items():
            if k in ("image", "Image") and isinstance(v, str):
                found["image_ref"].append(v)
            if k in ("lifecyclePolicyText", "PolicyDocument", "policyText") and isinstance(v, str):
                found["lifecycle" if k == "lifecyclePolicyText" else "iam_policy"].append(v)
            walk_values(v, found)
    elif isinstance(value, list):
        for v in value:
            walk_values(v, found)


def main():
    found = {"image_ref": [], "iam_policy": [], "lifecycle": []}
    for source in SOURCES:
        for folder, _, files in os.walk(source):
            for name in files:
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    data = f.read()
                if name.endswith((".yaml", ".yml", ".template")):
                    put("yaml", data)
                    put("document", data)
                elif name.endswith(".toml"):
                    put("config", data)
                elif name.endswith(".json"):
                    put("json", data)
                    put("json_differential", data)
                    put("document", data)
                    if b"ecsPreflightState" in data:
                        put("state", data)
                    try:
                        walk_values(json.loads(data), found)
                    except ValueError:
                        pass
    for target, items in found.items():
        for item in items:
            put(target, item)
    # Hand-written seeds for what the fixtures rarely hold.
    put("config", 'select = ["IMG", "ROLE"]\nstate = ["state/prod.json"]\nfail-on = "warning"\n'
        '[severity]\nIMG004 = "error"\n[[per-file-ignores]]\npath = "./legacy/**"\nignore = ["IMG002"]\n')
    put("yaml", "a: &a [x, y]\nb: [*a, *a]\nc: !Sub '${AWS::Region}'\nd: !GetAtt A.Arn\n<<: {e: 1}\n")
    for image in ["nginx", "nginx:1.27@sha256:" + "0" * 64, "localhost:5000/a/b:c",
                  "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:latest",
                  "public.ecr.aws/docker/library/nginx:1", "[::1]:5000/x"]:
        put("image_ref", image)
    total = sum(len(os.listdir(os.path.join(OUT, t))) for t in os.listdir(OUT))
    print(f"fuzz seeds: {total} files in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
