#!/usr/bin/env bash
# The Kubernetes and Helm recipes cannot run here (no cluster, no Helm; compose and the
# maintenance image run under tests/ship/docker.sh), so this checks what can be checked
# without one: every YAML file parses (python3-yaml), the Helm
# templates render, and what they ask of the image matches slipway's interface and the
# Dockerfile: the same image for the upgrade and the server, `--upgrade` as args/command, the
# healthcheck and probes, the secret as url_file, the image's user and writable directories.
# No `set -e`: TAP assertions test exit statuses.
set -uo pipefail
. "$SRCDIR/tests/ship/lib.sh"
python3 -c 'import yaml' 2>/dev/null || need_packages python3-yaml

# The checks are in Python (YAML); each prints "0|description" or "1|description|detail".
python3 - "$SRCDIR" "$IMAGE_WRITABLE_DIRS" >"$TMP/results" 2>&1 <<'PY'
import os, re, shlex, sys
import yaml

src, writable = sys.argv[1], set(sys.argv[2].split())
ex = os.path.join(src, "examples")
SUBCOMMANDS = {"health", "status", "wait", "check", "task"}  # the README's "Usage"


def check(cond, desc, detail=""):
    print("%d|%s|%s" % (0 if cond else 1, desc, str(detail).replace("\n", " ")))


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def slipway_args_ok(args):
    """None (the image's CMD), --upgrade, a subcommand, or `-- COMMAND`."""
    return args is None or args == ["--upgrade"] or (args and (args[0] in SUBCOMMANDS or args[0] == "--"))


# ---- what the Dockerfile promises ----------------------------------------------------------
dockerfile = open(os.path.join(src, "Dockerfile")).read()
uid = int(re.search(r"^USER (\d+)", dockerfile, re.M).group(1))
chowned = set(re.search(r"chown \S+ ([^\\\n]+)", dockerfile).group(1).split())
http_port = int(re.search(r"^EXPOSE (\d+)", dockerfile, re.M).group(1))
check(chowned | {"/tmp"} == writable, "the Dockerfile's writable directories are the ones the tests mount",
      sorted(chowned))


# ---- pieces of a Kubernetes pod spec -------------------------------------------------------
def pods(docs):
    """(kind, name, pod spec) of every Job and Deployment."""
    for d in docs:
        if d.get("kind") in ("Job", "Deployment"):
            yield d["kind"], d["metadata"]["name"], d["spec"]["template"]["spec"]


def env_of(c):
    return {e["name"]: e.get("value") for e in c.get("env", [])}


def check_pod(where, pod, secrets, writes):
    """The image's user, the URL secret as a file, an emptyDir on each directory in `writes`
    when the root filesystem is read-only."""
    sc = pod.get("securityContext", {})
    check(sc.get("runAsNonRoot") is True and sc.get("runAsUser") == uid,
          "%s: runs as the image's user %d" % (where, uid), sc)
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for c in pod["containers"]:
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        url_file = env_of(c).get("SLIPWAY_DATABASE_URL_FILE")
        check(url_file is not None and "SLIPWAY_DATABASE_URL" not in env_of(c),
              "%s: the database URL comes from a file (url_file)" % where)
        if url_file:
            vol = volumes.get(mounts.get(os.path.dirname(url_file)), {})
            secret = vol.get("secret", {})
            items = {i["path"]: i["key"] for i in secret.get("items", [])}
            key = items.get(os.path.basename(url_file), os.path.basename(url_file))
            check(secret.get("secretName") in secrets and key == secrets[secret.get("secretName")],
                  "%s: %s is key '%s' of Secret %s" % (where, url_file, key, secret.get("secretName")))
        csc = c.get("securityContext", {})
        if csc.get("readOnlyRootFilesystem"):
            empty = {p for p, n in mounts.items() if "emptyDir" in volumes.get(n, {})}
            check(writes <= empty, "%s: read-only root, emptyDirs where it writes" % where,
                  sorted(writes - empty))


def check_job(where, pod, ac):
    c = pod["containers"][0]
    check(c.get("args") == ["--upgrade"] and "command" not in c,
          "%s: args [\"--upgrade\"], the image's ENTRYPOINT untouched" % where, c.get("args"))
    check(pod.get("restartPolicy") == "Never", "%s: restartPolicy Never" % where)
    check(isinstance(ac.get("backoffLimit"), int), "%s: backoffLimit" % where)
    check(isinstance(ac.get("activeDeadlineSeconds"), int), "%s: activeDeadlineSeconds" % where)
    rules = ac.get("podFailurePolicy", {}).get("rules", [])
    fail = {v for r in rules if r["action"] == "FailJob" for v in r["onExitCodes"]["values"]
            if r["onExitCodes"].get("containerName") == c["name"]}
    check(fail == {1, 2, 5}, "%s: fails at once on exit 1, 2, 5; retries 3 and 4" % where, sorted(fail))


def check_server(where, pod, deadline):
    c = pod["containers"][0]
    check("args" not in c and "command" not in c, "%s: runs the image's CMD under its ENTRYPOINT" % where)
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    check(ports.get("http") == http_port, "%s: serves on the image's port %d" % (where, http_port), ports)
    listen = env_of(c).get("SLIPWAY_SERVE_HEALTH_LISTEN", "")
    check(listen.rsplit(":", 1)[-1] == str(ports.get("health")),
          "%s: the health port is [serve] health_listen" % where, listen)
    sp, rp, lp = c.get("startupProbe", {}), c.get("readinessProbe", {}), c.get("livenessProbe", {})
    check(sp.get("exec", {}).get("command") == ["slipway", "health"],
          "%s: startupProbe exec slipway health" % where, sp)
    check(sp.get("periodSeconds", 10) * sp.get("failureThreshold", 3) >= deadline,
          "%s: the startupProbe waits as long as the upgrade Job may run" % where)
    check(rp.get("httpGet", {}).get("path") == "/readyz" and rp["httpGet"].get("port") == "health",
          "%s: readinessProbe GET /readyz on health_listen" % where, rp)
    check(lp.get("httpGet", {}).get("path") == "/healthz" and lp["httpGet"].get("port") == "health",
          "%s: livenessProbe GET /healthz, which a waiting supervisor answers" % where, lp)


def check_k8s(label, docs, secrets):
    jobs = [(n, p, d["spec"]) for d in docs for k, n, p in pods([d]) if k == "Job"]
    servers = [(n, p) for k, n, p in pods(docs) if k == "Deployment"]
    check(len(jobs) == 1 and len(servers) == 1, "%s: one upgrade Job and one Deployment" % label)
    images = {p["containers"][0]["image"] for _, p, _ in jobs} | {p["containers"][0]["image"] for _, p in servers}
    check(len(images) == 1, "%s: the Job and the Deployment run the same image" % label, images)
    for name, pod, spec in jobs:
        check_job("%s Job %s" % (label, name), pod, spec)
        check_pod("%s Job %s" % (label, name), pod, secrets, set())
    deadline = jobs[0][2].get("activeDeadlineSeconds", 0) if jobs else 0
    for name, pod in servers:
        check_server("%s Deployment %s" % (label, name), pod, deadline)
        check_pod("%s Deployment %s" % (label, name), pod, secrets, writable)
    return jobs


# ---- compose -------------------------------------------------------------------------------
cdir = os.path.join(ex, "compose")
compose = load(os.path.join(cdir, "docker-compose.yml"))[0]
svc = compose["services"]
up, web = svc.get("upgrade", {}), svc.get("web", {})
check(up.get("command") == ["--upgrade"] and "entrypoint" not in up, "compose: upgrade runs command [\"--upgrade\"]")
check(up.get("image") and up.get("image") == web.get("image"), "compose: upgrade and web use the same image")
check(os.path.isfile(os.path.join(cdir, up.get("build", {}).get("context", "."), "Dockerfile")),
      "compose: the build context is the repository's Dockerfile")
check(web.get("depends_on", {}).get("upgrade", {}).get("condition") == "service_completed_successfully",
      "compose: web waits for the upgrade to complete successfully")
check(up.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
      "compose: the upgrade waits for a healthy postgres")
check(web.get("healthcheck", {}).get("test") == ["CMD", "slipway", "health"], "compose: web's healthcheck is slipway health")
check("command" not in web, "compose: web runs the image's CMD")
check(str(http_port) == web.get("ports", [""])[0].rsplit(":", 1)[-1], "compose: publishes the image's port")
for name in ("upgrade", "web"):
    url_file = svc[name].get("environment", {}).get("SLIPWAY_DATABASE_URL_FILE", "")
    secret = os.path.basename(url_file)
    check(url_file == "/run/secrets/" + secret and secret in svc[name].get("secrets", [])
          and os.path.isfile(os.path.join(cdir, compose["secrets"][secret]["file"])),
          "compose: %s reads the URL from the secret file %s" % (name, url_file))

# ---- kubernetes ----------------------------------------------------------------------------
kdir = os.path.join(ex, "kubernetes")
kdocs = [d for f in sorted(os.listdir(kdir)) if f.endswith(".yaml") for d in load(os.path.join(kdir, f))]
secrets = {d["metadata"]["name"]: k for d in kdocs if d["kind"] == "Secret" for k in d.get("stringData", {})}
check_k8s("kubernetes", kdocs, secrets)


# ---- helm: the subset of Helm's template language the chart uses ---------------------------
class Chart:
    TOKEN = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)

    def __init__(self, path):
        self.meta = load(os.path.join(path, "Chart.yaml"))[0]
        self.values = load(os.path.join(path, "values.yaml"))[0]
        self.defines = {}
        tdir = os.path.join(path, "templates")
        self.files = {f: self.parse(open(os.path.join(tdir, f)).read()) for f in sorted(os.listdir(tdir))}

    def parse(self, text):
        """Nodes: str (text) or ("action", expr); {{- and -}} trim as Go templates do."""
        nodes, pos, stack = [], 0, []
        for m in self.TOKEN.finditer(text):
            chunk = text[pos:m.start()]
            if nodes and nodes[-1] == "rtrim":
                nodes.pop()
                chunk = chunk.lstrip()
            if m.group(1):
                chunk = chunk.rstrip()
            nodes.append(chunk)
            expr = m.group(2)
            if expr.startswith("define "):
                stack.append((shlex.split(expr)[1], nodes))
                nodes = []
            elif expr == "end":
                name, outer = stack.pop()
                self.defines[name] = nodes
                nodes = outer
            elif not expr.startswith("/*"):
                nodes.append(("action", expr))
            if m.group(3):
                nodes.append("rtrim")
            pos = m.end()
        chunk = text[pos:]
        if nodes and nodes[-1] == "rtrim":
            nodes.pop()
            chunk = chunk.lstrip()
        nodes.append(chunk)
        assert not stack, "unclosed define"
        return nodes

    def term(self, word):
        if word.startswith('"'):
            return shlex.split(word)[0]
        scope, *path = word.lstrip(".").split(".")
        v = {"Values": self.values, "Release": {"Name": "web", "Revision": 1},
             "Chart": {k[0].upper() + k[1:]: v for k, v in self.meta.items()}}[scope]
        for p in path:
            v = v[p]
        return v

    def pipeline(self, expr):
        value = None
        for i, stage in enumerate(s.strip() for s in expr.split("|")):
            fn, *args = shlex.split(stage, posix=False)
            if i == 0 and fn == "include":
                value = self.render(self.defines[shlex.split(args[0])[0]])
            elif i == 0:
                value = self.term(fn)
            elif fn == "default":
                value = value if value not in ("", None) else self.term(args[0])
            elif fn == "quote":
                value = '"%s"' % value
            elif fn == "nindent":
                value = "\n" + "\n".join(" " * int(args[0]) + l for l in str(value).split("\n"))
            else:
                raise ValueError("unsupported template function " + fn)
        return str(value)

    def render(self, nodes):
        return "".join(n if isinstance(n, str) else self.pipeline(n[1]) for n in nodes)


hdir = os.path.join(ex, "helm", "web")
chart = Chart(hdir)
check(chart.meta.get("apiVersion") == "v2", "helm: Chart.yaml is a v2 chart")
rendered = {}
for f, nodes in chart.files.items():
    try:
        text = chart.render(nodes)
        rendered[f] = [d for d in yaml.safe_load_all(text) if d] if f.endswith(".yaml") else text
        check("{{" not in text, "helm: templates/%s renders and parses" % f)
    except Exception as e:  # a template outside the subset, or YAML broken by it
        check(False, "helm: templates/%s renders and parses" % f, repr(e))
hdocs = [d for f, docs in rendered.items() if f.endswith(".yaml") for d in docs]
image = "%s:%s" % (chart.values["image"]["repository"], chart.values["image"]["tag"] or chart.meta["appVersion"])
hsecret = chart.values["database"]
jobs = check_k8s("helm", hdocs, {hsecret["existingSecret"]: hsecret["secretKey"]})
check(all(p["containers"][0]["image"] == image for _, p, _ in jobs), "helm: the image is repository:appVersion")
for name, _, _ in jobs:
    job = next(d for d in hdocs if d["kind"] == "Job" and d["metadata"]["name"] == name)
    ann = job["metadata"].get("annotations", {})
    check(set(ann.get("helm.sh/hook", "").split(",")) == {"pre-install", "pre-upgrade"},
          "helm: the upgrade Job is a pre-install,pre-upgrade hook", ann)
    check({"before-hook-creation", "hook-succeeded"} <= set(ann.get("helm.sh/hook-delete-policy", "").split(",")),
          "helm: hook-delete-policy before-hook-creation,hook-succeeded (no 'job already exists')", ann)
check("--timeout" in open(os.path.join(ex, "helm", "README.md")).read(), "helm: the README covers --timeout")

# ---- maintenance ---------------------------------------------------------------------------
mdir = os.path.join(ex, "maintenance")
mdocs = load(os.path.join(mdir, "deployment.yaml"))
for kind, name, pod in pods(mdocs):
    c = pod["containers"][0]
    check("args" not in c and "command" not in c, "maintenance: runs the maintenance image's CMD")
    check_pod("maintenance %s" % name, pod, secrets, {"/run/slipway", "/tmp"})
mdockerfile = open(os.path.join(mdir, "Dockerfile")).read()
check('CMD ["--", "sleep", "infinity"]' in mdockerfile, "maintenance: the image runs slipway -- sleep infinity")
tasks = re.findall(r'^\[task "([^"]+)"\]', open(os.path.join(mdir, "tasks.ini")).read(), re.M)
readme = open(os.path.join(mdir, "README.md")).read()
execs = re.findall(r"kubectl exec deploy/(\S+) -- slipway task (\S+) --rerun", readme)
check(execs and all(d in [n for _, n, _ in pods(mdocs)] and t in tasks for d, t in execs),
      "maintenance: the README's kubectl exec names the Deployment and a configured task", execs)

# ---- every recipe -------------------------------------------------------------------------
all_args = [s.get("command") for s in svc.values() if s.get("image") == web.get("image")]
all_args += [c.get("args") for docs in (kdocs, hdocs, mdocs) for _, _, p in pods(docs) for c in p["containers"]]
check(all(slipway_args_ok(a) for a in all_args), "every args/command is one of slipway's", all_args)
# compose and maintenance run under tests/ship/docker.sh's Docker engine; the cluster ones cannot.
for d, says in (("compose", "tests/ship/docker.sh"), ("maintenance", "tests/ship/docker.sh"),
                ("kubernetes", "Not run here"), ("helm", "Not run here")):
    text = open(os.path.join(ex, d, "README.md")).read()
    check(says in text, "%s/README.md says how it is tested ('%s')" % (d, says))
PY
rc=$?
while IFS='|' read -r status desc detail; do
    ok "$status" "$desc"
    [ "$status" = 0 ] || [ -z "$detail" ] || echo "#   $detail"
done < <(grep -E '^[01][|]' "$TMP/results")
[ "$rc" = 0 ] || { sed 's/^/# /' "$TMP/results" | tail -n 20; bail "the checks crashed"; }

done_testing
