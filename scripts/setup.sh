#!/usr/bin/env bash
# Brings a fresh clone to a runnable state: system packages the tests need (with --test),
# npm dependencies, and the TypeScript build. Each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test_packages=false
[ "${1:-}" = "--test" ] && want_test_packages=true

install_debian_packages() {
  local missing=()
  command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
  # The end-to-end tests drive JupyterLab and the views in Debian's Chromium.
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # The offline test records every socket connect of the local flow with strace.
  command -v strace >/dev/null 2>&1 || missing+=(strace)
  # code-server's npm install builds its kerberos module against these headers, and takes ripgrep
  # from Debian (its own postinstall would fetch it from GitHub).
  [ -f /usr/include/krb5.h ] || missing+=(libkrb5-dev)
  command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: please install: ${missing[*]} (the tests use them)" >&2
    return 0
  fi
  echo "setup: installing ${missing[*]} (Debian packages)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# One Python environment, .venv: JupyterLab and the kernel package `winnow` for the demo notebook;
# with --test also what the tests use (the reference `pacmap` beside the native one, `onnx` to write
# a tiny text tower, pytest for the kernel package, and `ray` for the two-node Ray cluster of the
# distributed embedding tests and core/ray/driver.py: plain ray, whose `ray start` needs no extra).
PYTHON_VENV=.venv
NOTEBOOK_PACKAGES=(jupyterlab==4.5.11 notebook==7.5.0 ipywidgets==8.1.9 anywidget==0.11.0 nbclient==0.11.0 nbformat==5.11.1 ipykernel==7.4.0
  PyYAML==6.0.4 pandas==3.1.1 hatchling==1.27.0)
NOTEBOOK_IMPORTS='jupyterlab, notebook, ipywidgets, anywidget, nbclient, nbformat, ipykernel, yaml, pandas, hatchling'
TEST_PACKAGES=(numpy pacmap==0.9.1 onnx==1.23.2 pytest==9.2.0 ray==2.60.0)
TEST_IMPORTS='numpy, pacmap, onnx, pytest, ray'
install_python_packages() {
  local packages=("${NOTEBOOK_PACKAGES[@]}") imports=$NOTEBOOK_IMPORTS
  if $want_test_packages; then
    packages+=("${TEST_PACKAGES[@]}")
    imports="$imports, $TEST_IMPORTS"
  fi
  if [ -x "$PYTHON_VENV/bin/python" ] && "$PYTHON_VENV/bin/python" -c "import $imports" >/dev/null 2>&1; then
    return 0
  fi
  local python=${PYTHON:-python3}
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "setup: the notebook needs Python 3 (3.9 or newer): please install python3" >&2
    exit 1
  fi
  echo "setup: installing Python packages into $PYTHON_VENV (${packages[*]})" >&2
  [ -x "$PYTHON_VENV/bin/python" ] || "$python" -m venv "$PYTHON_VENV"
  "$PYTHON_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"
}
# JupyterLab runs Node scripts from .venv (node-version-check.js, CommonJS); Node takes their module
# type from the nearest package.json, which would be the repository's ("type": "module").
mark_python_env_commonjs() {
  echo '{ "type": "commonjs" }' >"$PYTHON_VENV/package.json"
}

# The storage tests run real servers on loopback: versitygw (S3, checks signatures and bucket
# policies), MinIO and its mc client (STS roles, IAM users) and fake-gcs-server, built with Go into
# .test-servers/bin (Azurite comes from npm). MinIO tags no Go module versions: pseudo-versions.
TEST_SERVERS=.test-servers/bin
TEST_SERVER_MODULES=(
  "versitygw github.com/versity/versitygw/cmd/versitygw@v1.8.0"
  "minio github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
  "mc github.com/minio/mc@v0.0.0-20250313080218-cf909e1063a9"
  "fake-gcs-server github.com/fsouza/fake-gcs-server@v1.55.1"
)
build_test_servers() {
  local entry name module
  for entry in "${TEST_SERVER_MODULES[@]}"; do
    name=${entry%% *}
    module=${entry#* }
    if [ -x "$TEST_SERVERS/$name" ] && [ "$(cat "$TEST_SERVERS/$name.module" 2>/dev/null)" = "$module" ]; then
      continue
    fi
    if ! command -v go >/dev/null 2>&1; then
      echo "setup: the storage tests need Go to build $name: install Go (golang.org/dl or your package manager)" >&2
      exit 1
    fi
    echo "setup: building $name ($module) with go install" >&2
    GOBIN="$PWD/$TEST_SERVERS" GOFLAGS=-trimpath go install "$module"
    echo "$module" >"$TEST_SERVERS/$name.module"
  done
}

# The VS Code end-to-end test runs the .vsix in code-server from npm, installed into
# .test-servers/code-server. Its install must not reach GitHub or nodejs.org (CI cannot): ripgrep is
# Debian's, handed to @vscode/ripgrep's postinstall through the download cache it looks in first;
# node-gyp builds node-pty, kerberos and argon2 against Node's own headers; npx may fetch node-gyp
# from the npm registry without asking.
CODE_SERVER_VERSION=4.100.3
CODE_SERVER_DIR=.test-servers/code-server
# Pinned by code-server 4.100.3's lock file: the cache folder and asset name its postinstall expects.
CODE_SERVER_RIPGREP_CACHE=vscode-ripgrep-cache-1.15.11
CODE_SERVER_RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
install_code_server() {
  local stamp=$CODE_SERVER_DIR/.version
  if [ -x "$CODE_SERVER_DIR/node_modules/.bin/code-server" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$CODE_SERVER_VERSION" ]; then
    return 0
  fi
  local node_dir
  node_dir=$(dirname "$(dirname "$(command -v node)")")
  if [ "$(uname -sm)" != "Linux x86_64" ] || ! command -v rg >/dev/null 2>&1 || [ ! -f "$node_dir/include/node/common.gypi" ]; then
    echo "setup: the VS Code test needs code-server $CODE_SERVER_VERSION: on Linux x86_64 with ripgrep and Node's headers ($node_dir/include/node)" >&2
    exit 1
  fi
  echo "setup: installing code-server $CODE_SERVER_VERSION into $CODE_SERVER_DIR (npm, builds native modules)" >&2
  local scratch
  scratch=$(mktemp -d)
  mkdir -p "$scratch/$CODE_SERVER_RIPGREP_CACHE"
  cp "$(command -v rg)" "$scratch/rg"
  tar czf "$scratch/$CODE_SERVER_RIPGREP_CACHE/$CODE_SERVER_RIPGREP_ASSET" -C "$scratch" rg
  rm -rf "$CODE_SERVER_DIR"
  TMPDIR=$scratch npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=$node_dir \
    npm install --prefix "$CODE_SERVER_DIR" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
  rm -rf "$scratch"
  echo "$CODE_SERVER_VERSION" >"$stamp"
}

install_npm_packages() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing npm packages" >&2
    # onnxruntime-node's install script would fetch its CUDA providers from NuGet, which CI cannot
    # reach (docs/embedding.md says how to add them). An environment variable, as npm 11 warns
    # about package settings in .npmrc.
    ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error
  fi
}

# The views' ES module (esbuild, the anywidget `_esm`), the JupyterLab extension (the side panel,
# bundled by @jupyterlab/builder), and the platform wheel of the kernel package that carries both and
# the engine (scripts/build-wheel.mjs: core bundled, its native parts, dist/wheel), installed into
# .venv as a user would install it: rebuilt when a source changed.
build_notebook_wheel() {
  local stamp=$PYTHON_VENV/.winnow-wheel
  if [ -f "$stamp" ] && [ -z "$(find widgets/src extension-jupyter/src extension-jupyter/winnow extension-jupyter/pyproject.toml \
    extension-jupyter/hatch_build.py core/src core/ray core/package.json native/*.node package-lock.json scripts/build-wheel.mjs \
    -newer "$stamp" -not -path '*/labextension/*' -not -path '*/winnow/static/*' -not -name '*.pyc' 2>/dev/null | head -1)" ]; then
    return 0
  fi
  echo "setup: building the views, the JupyterLab extension and the platform wheel; installing it into $PYTHON_VENV" >&2
  npm run build --silent -w @winnow-curate/jupyterlab >/dev/null
  node scripts/build-wheel.mjs >/dev/null
  # `winnow` was this package's name before winnow-curate: an older checkout's .venv may hold it.
  "$PYTHON_VENV/bin/python" -m pip uninstall --quiet --yes winnow winnow-curate 2>/dev/null || true
  "$PYTHON_VENV/bin/python" -m pip install --quiet --disable-pip-version-check dist/wheel/winnow_curate-*.whl
  touch "$stamp"
}

# The VS Code extension's .vsix (extension-vscode/dist): rebuilt when the sources it bundles
# or LICENSE changed (the views, the extension, core's client, contract, runtime file and errors).
build_vscode_extension() {
  local vsix stamp=extension-vscode/dist/.winnow-vsix
  vsix="extension-vscode/dist/winnow-vscode-$(node -p "require('./extension-vscode/package.json').version").vsix"
  if [ -f "$stamp" ] && [ -f "$vsix" ] && [ -z "$(find widgets/src extension-vscode/src extension-vscode/media \
    extension-vscode/package.json extension-vscode/scripts LICENSE core/src/client core/src/contract core/src/server/runtime.ts \
    core/src/server/origin.ts core/src/errors.ts core/src/settings.ts core/src/embed/model-names.ts core/package.json \
    -newer "$stamp" 2>/dev/null | head -1)" ]; then
    return 0
  fi
  echo "setup: building the VS Code extension ($vsix)" >&2
  npm run build --silent -w winnow-vscode >/dev/null
  touch "$stamp"
}

# The native core (Rust, napi-rs): rebuilt when its binary is missing or older than its sources.
build_native() {
  local binaries=(native/*.node)
  local binary=${binaries[0]}
  if [ -e "$binary" ] && [ -z "$(find native/src native/Cargo.toml native/Cargo.lock -newer "$binary")" ]; then
    return 0
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: the native core needs Rust (cargo): install it from rustup.rs or your package manager" >&2
    exit 1
  fi
  echo "setup: building native/ (cargo, release)" >&2
  npm run build --silent -w @winnow-curate/native >/dev/null
}

$want_test_packages && install_debian_packages
install_python_packages
mark_python_env_commonjs
$want_test_packages && build_test_servers
$want_test_packages && install_code_server
install_npm_packages
build_native
npx tsc -b
# The job options as JSON Schema for the kernel package: committed, and rewritten here so that
# the wheel built next carries the contract of this source tree.
node scripts/contract-json.mjs
build_notebook_wheel
build_vscode_extension
