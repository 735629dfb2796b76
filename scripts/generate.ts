/**
 * `npm run generate`: regenerates every piece of code generated from proto/ — the server's gen/ and
 * the three clients (clients/typescript/src/gen, clients/python/memoric/_proto, clients/go/gen).
 *
 * The TypeScript outputs need only this repository's devDependencies. Python needs protoc and
 * grpc_python_plugin, Go needs protoc-gen-go and protoc-gen-go-grpc (Debian packages, named in the
 * message). Without them that language is skipped with a warning, unless MEMORIC_REQUIRE_INTEROP=1
 * (CI), where a missing tool fails: CI checks that no generated file is stale.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BUF = path.join(ROOT, "node_modules/.bin/buf");
const PY_OUT = path.join(ROOT, "clients/python/memoric/_proto");

interface Target {
  name: string;
  template?: string;
  tools: [binary: string, debianPackage: string][];
  after?: () => void;
}

const TARGETS: Target[] = [
  { name: "server (gen/)", tools: [] },
  { name: "TypeScript client", template: "clients/typescript/buf.gen.yaml", tools: [] },
  {
    name: "Python client",
    template: "clients/python/buf.gen.yaml",
    tools: [
      ["protoc", "protobuf-compiler"],
      ["grpc_python_plugin", "protobuf-compiler-grpc"],
    ],
    after: packagePythonStubs,
  },
  {
    name: "Go client",
    template: "clients/go/buf.gen.yaml",
    tools: [
      ["protoc-gen-go", "protoc-gen-go"],
      ["protoc-gen-go-grpc", "protoc-gen-go-grpc"],
    ],
  },
];

function onPath(binary: string): boolean {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .some((dir) => dir !== "" && fs.existsSync(path.join(dir, binary)));
}

/**
 * protoc names Python modules after proto paths (`from memoric.v1 import options_pb2`); the stubs
 * live under memoric._proto so they can never shadow another distribution's top-level package.
 */
function packagePythonStubs(): void {
  const walk = (dir: string): void => {
    fs.writeFileSync(path.join(dir, "__init__.py"), "");
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.pyi?$/.test(entry.name)) {
        const text = fs.readFileSync(file, "utf8");
        const fixed = text.replace(/^from (memoric\.v1|google\.rpc) import /gm, "from memoric._proto.$1 import ");
        if (fixed !== text) fs.writeFileSync(file, fixed);
      }
    }
  };
  walk(PY_OUT);
}

const strict = process.env.MEMORIC_REQUIRE_INTEROP === "1";
let failed = false;
for (const target of TARGETS) {
  const missing = target.tools.filter(([binary]) => !onPath(binary));
  if (missing.length > 0) {
    const hint = `apt-get install ${missing.map(([, pkg]) => pkg).join(" ")}`;
    const message = `${target.name}: ${missing.map(([b]) => b).join(", ")} not found (${hint})`;
    if (strict) {
      console.error(`error: ${message}`);
      failed = true;
    } else console.warn(`warning: skipped ${message}`);
    continue;
  }
  const args = ["generate", ...(target.template ? ["--template", target.template] : [])];
  execFileSync(BUF, args, { cwd: ROOT, stdio: "inherit" });
  target.after?.();
  console.log(`generated: ${target.name}`);
}
if (failed) process.exit(1);
