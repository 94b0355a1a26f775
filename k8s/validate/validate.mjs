// Validates Peregrine's Kubernetes manifests offline (run by k8s/validate.sh, which installs the packages).
//
//   node k8s/validate/validate.mjs [K8S_DIR]     (default: the k8s/ directory beside this file)
//
// Every document of every manifest (the kustomization's resources, the ConfigMap its configMapGenerator
// makes, and *.example.yaml) is checked twice against the Kubernetes API schemas of kubernetes-models
// (Kubernetes 1.32's OpenAPI): its JSON-schema validator (types, enums, formats, required fields), and the
// TypeScript compiler with the same models' types, which rejects a field the API does not have (the JSON
// schemas allow unknown fields, so a misspelt `readinessProbe` would pass them). Then the relay's
// configuration: every key of k8s/peregrine.yaml and k8s/image/peregrine.yaml exists in config/peregrine.yaml,
// and the StatefulSet agrees with k8s/peregrine.yaml (ports, probes, mounts, grace period).
// Prints one line per document and per check; exits 1 on any failure.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const tools = path.join(here, "..", ".validate");
const require = createRequire(path.join(tools, "package.json"));
const YAML = require("yaml");
const ts = require("typescript");

const k8s = path.resolve(process.argv[2] ?? path.join(here, ".."));
const repo = path.resolve(here, "..", "..");
let failures = 0;
const report = (ok, what, why) => {
  if (!ok) failures++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${why ? ": " + why : ""}`);
};

// Kubernetes reads YAML 1.1 (0440 is octal, as in a Secret's defaultMode).
const parseAll = (file) => YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { version: "1.1" })
  .map((d) => {
    if (d.errors.length) throw new Error(d.errors.map((e) => e.message).join("; "));
    return d.toJS();
  }).filter((d) => d != null);

// ---- the documents ----
const docs = [];   // {where, doc}
const kustomization = YAML.parse(fs.readFileSync(path.join(k8s, "kustomization.yaml"), "utf8"));
const generated = new Set(["kustomization.yaml"]);
for (const g of kustomization.configMapGenerator ?? []) {
  const data = {};
  for (const f of g.files ?? []) {
    const [key, file] = f.includes("=") ? f.split("=", 2) : [path.basename(f), f];
    data[key] = fs.readFileSync(path.join(k8s, file), "utf8");
    generated.add(file);
  }
  docs.push({ where: `kustomization.yaml configMapGenerator`, doc: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: g.name }, data } });
}
const files = [...(kustomization.resources ?? [])];
for (const f of fs.readdirSync(k8s).sort()) {
  if (!f.endsWith(".yaml") || generated.has(f) || files.includes(f)) continue;
  if (f.endsWith(".example.yaml")) files.push(f);
  else report(false, f, "a manifest that kustomization.yaml does not list (list it, or name it *.example.yaml)");
}
for (const f of files) {
  try {
    parseAll(path.join(k8s, f)).forEach((doc, i) => docs.push({ where: `${f}#${i + 1}`, doc }));
  } catch (e) {
    report(false, f, e.message);
  }
}

// ---- the API schemas ----
const checkDir = path.join(tools, "check");
fs.rmSync(checkDir, { recursive: true, force: true });
fs.mkdirSync(checkDir);
const typed = new Map();   // generated .ts file -> entry
for (const [i, entry] of docs.entries()) {
  const { apiVersion, kind, metadata } = entry.doc;
  entry.name = `${entry.where}: ${apiVersion} ${kind} ${metadata?.name ?? "(no name)"}`;
  entry.errors = [];
  if (!/^([a-z0-9.-]+\/)?v\d+\w*$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) {
    entry.errors.push("no apiVersion and kind");
    continue;
  }
  if (!metadata?.name) entry.errors.push("metadata.name is missing");
  const module = `kubernetes-models/${apiVersion}/${kind}`;
  let Model;
  try {
    Model = require(module)[kind];
  } catch {
    entry.errors.push(`${apiVersion} ${kind} is not a Kubernetes API type`);
    continue;
  }
  try {
    new Model(entry.doc).validate();
  } catch (e) {
    entry.errors.push(e.message);
  }
  const file = path.join(checkDir, `doc${i}.ts`);
  fs.writeFileSync(file, `import type { I${kind} } from "${module}";\n`
    + `export const doc: I${kind} = ${JSON.stringify(entry.doc, null, 2)};\n`);
  typed.set(file, entry);
}
const program = ts.createProgram([...typed.keys()], {
  strict: true, noEmit: true, skipLibCheck: true, types: [],
  module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, target: ts.ScriptTarget.ES2020,
});
for (const d of ts.getPreEmitDiagnostics(program)) {
  const entry = d.file && typed.get(path.resolve(d.file.fileName));
  const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
  if (!entry) {
    report(false, "typescript", text);
    continue;
  }
  const line = d.file.text.split("\n")[d.file.getLineAndCharacterOfPosition(d.start).line].trim();
  entry.errors.push(`${text} (at ${line})`);
}
for (const e of docs) report(e.errors.length === 0, e.name, e.errors.join("; "));

// ---- the relay's configuration ----
const defaults = YAML.parse(fs.readFileSync(path.join(repo, "config", "peregrine.yaml"), "utf8"));
const isMap = (v) => v != null && typeof v === "object" && !Array.isArray(v);
function unknownKeys(site, def, prefix, out) {
  for (const [k, v] of Object.entries(site ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (prefix === "listeners") {
      // Any name: a listener takes every server key, plus its role and enabled (PeregrineConfig.listeners).
      unknownKeys(v, { ...defaults.server, role: "", enabled: true }, key, out);
    } else if (!(k in def)) {
      out.push(key);
    } else if (isMap(def[k]) && Object.keys(def[k]).length > 0) {
      if (isMap(v)) unknownKeys(v, def[k], key, out);
      else out.push(`${key} (a section, not a value)`);
    }   // a value, a list or an open map ({} such as mailer.dns.routes): anything beneath is the user's
  }
  return out;
}
const configs = {};
for (const f of ["peregrine.yaml", "image/peregrine.yaml"]) {
  const file = path.join(k8s, f);
  if (!fs.existsSync(file)) continue;
  configs[f] = YAML.parse(fs.readFileSync(file, "utf8"));
  const bad = unknownKeys(configs[f], defaults, "", []);
  report(bad.length === 0, `${f}: keys exist in config/peregrine.yaml`, bad.length ? "unknown: " + bad.join(", ") : "");
}

const cfg = configs["peregrine.yaml"];
const sts = docs.find((e) => e.doc.kind === "StatefulSet")?.doc;
if (cfg && sts) {
  const pod = sts.spec?.template?.spec ?? {};
  const c = (pod.containers ?? []).find((x) => x.name === "peregrine") ?? {};
  const problems = [];
  const get = (o, p) => p.split(".").reduce((a, k) => a?.[k], o);
  const val = (p) => get(cfg, p) ?? get(defaults, p);
  const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
  const want = [["smtp", val("server.port")], ["http", val("http.port")]];
  for (const name of Object.keys({ ...defaults.listeners, ...cfg.listeners })) {
    const merged = { ...defaults.listeners?.[name], ...cfg.listeners?.[name] };
    if (merged.enabled !== false) want.push([name, merged.port ?? val("server.port")]);
  }
  for (const [name, port] of want) {
    if (ports.get(name) !== port) problems.push(`container port ${name} is ${ports.get(name)}, the config says ${port}`);
  }
  for (const host of ["server.host", "http.host"]) {
    if (val(host) !== "0.0.0.0" && val(host) !== "::") problems.push(`${host} is ${val(host)}: unreachable for the Services and probes`);
  }
  const probe = (p, pathWanted) => {
    const g = c[p]?.httpGet;
    if (!g || g.path !== pathWanted || (g.port !== "http" && g.port !== val("http.port"))) problems.push(`${p} is not GET ${pathWanted} on the http port`);
  };
  probe("readinessProbe", "/ready");
  probe("livenessProbe", "/health");
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
  const mounts = (c.volumeMounts ?? []).map((m) => ({ ...m, volume: (pod.volumes ?? []).find((v) => v.name === m.name) }));
  const mountOf = (file) => mounts.filter((m) => file.startsWith(m.mountPath.replace(/\/?$/, "/")))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  const cm = mountOf(env.PEREGRINE_CONFIG ?? "");
  if (!cm?.volume?.configMap || path.basename(env.PEREGRINE_CONFIG) !== "peregrine.yaml") {
    problems.push(`PEREGRINE_CONFIG (${env.PEREGRINE_CONFIG}) is not peregrine.yaml of a mounted ConfigMap`);
  }
  const claims = new Set((sts.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name));
  for (const p of ["spool.dir", "maildir.dir"]) {
    const m = mountOf(val(p));
    if (!m || m.readOnly || !claims.has(m.name)) problems.push(`${p} (${val(p)}) is not on a writable volumeClaimTemplate`);
  }
  for (const p of ["server.tls-cert-path", "server.tls-key-path", "auth.password-file"]) {
    if (!val(p)) continue;
    const m = mountOf(val(p));
    const secret = m?.volume?.secret;
    const key = path.basename(val(p));
    if (!secret || (secret.items && !secret.items.some((i) => i.path === key))) problems.push(`${p} (${val(p)}) is not a file of a mounted Secret`);
  }
  if (!mountOf("/tmp/x") && c.securityContext?.readOnlyRootFilesystem) problems.push("read-only root file system without a /tmp volume");
  const seconds = (d) => {
    const m = /^(\d+)(ms|s|m|h|d)?$/.exec(String(d));
    if (!m) return NaN;
    return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? "s"];
  };
  const grace = seconds(val("server.shutdown-grace-period"));
  const preStop = (c.lifecycle?.preStop?.exec?.command ?? []).join(" ");
  const drains = /\bqueue drain\b/.test(preStop);
  const drain = drains ? seconds(val("cluster.drain.deliver-for")) + seconds(val("cluster.drain.hand-off-for")) : 0;
  if (!(pod.terminationGracePeriodSeconds >= grace + drain + 15)) {
    problems.push(`terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} is not shutdown-grace-period (${grace} s)`
      + (drains ? ` plus cluster.drain's deliver-for and hand-off-for (${drain} s)` : "") + " plus at least 15 s");
  }
  if (val("cluster.drain.peer") && !drains) {
    problems.push(`cluster.drain.peer is set but the container has no preStop "peregrine queue drain"`);
  }
  if (drains && !val("cluster.drain.peer")) {
    problems.push(`the preStop drain has no cluster.drain.peer to hand the queue to: it would strand it on the claim`);
  }
  report(problems.length === 0, "statefulset.yaml agrees with peregrine.yaml (ports, hosts, probes, mounts, grace)", problems.join("; "));
}

console.log(failures ? `validate: ${failures} failed` : `validate: ${docs.length} documents and the relay's configuration are valid`);
process.exit(failures ? 1 : 0);
