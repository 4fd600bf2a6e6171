#!/usr/bin/env bash
# End-to-end tests of localisation through the ml-export CLI.
#
# usage: localize_cli.sh setup   write the fixtures (make_fixtures.py) into $LOCALIZE_FIXTURES
#        localize_cli.sh CASE    run one case (each is its own ctest test, see CMakeLists.txt)
#
# MLEXPORT_TEST_PERTURB=<node> (test-only, see src/passes/test_perturbation.h) makes the export
# compute one node wrongly; the report must name exactly that node.
set -u

PYTHON=${PYTHON:-/usr/bin/python3}
FIX=$LOCALIZE_FIXTURES
FAILED=0

fail() {
  echo "FAIL: $*"
  FAILED=1
}

# run ARGS...: ml-export --json with ARGS; the JSON goes to $W/out.json, the log to $W/log.txt.
run() {
  echo "\$ ml-export $*"
  "$ML_EXPORT" "$@" --json >"$W/out.json" 2>"$W/log.txt"
  RC=$?
  sed 's/^/  | /' "$W/log.txt"
  echo "  exit code $RC"
}

# field PATH: a value of $W/out.json (python expression on `j`).
field() { "$PYTHON" -c "import json; j = json.load(open('$W/out.json')); print($1)"; }

expect_eq() {
  [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"
}

# The IR node names of an op type, in graph order, from the --verbose IR print (an intermediate
# value is named after the node that makes it: "%Tanh_3: f32[2,16] = Tanh(...)").
node_names() {
  "$ML_EXPORT" --checkpoint_path "$1" --input_shape 2,8 --output_path "$W/names.onnx" \
    --no-validate --verbose 2>&1 >/dev/null | sed -nE "s/^ *%($2_[0-9]+): .* = $2\\(.*/\\1/p"
}

setup() {
  mkdir -p "$FIX"
  "$PYTHON" "$LOCALIZE_SOURCE/make_fixtures.py" "$FIX"
}

# A wrong translation of one node of an MLP is named exactly, in ONNX and in OpenVINO.
perturbed_case() {
  local format=$1 ext=$2
  local target
  target=$(node_names "$FIX/mlp.pt" Tanh | head -1)
  [ -n "$target" ] || { fail "no Tanh node in the IR print"; return; }
  echo "perturbing $target"
  MLEXPORT_TEST_PERTURB=$target run --checkpoint_path "$FIX/mlp.pt" --input_shape 2,8 \
    --format "$format" --output_path "$W/mlp.$ext"
  expect_eq "exit code" "$RC" 1
  expect_eq "divergence found" "$(field "j['validation']['divergence']['found']")" True
  expect_eq "node" "$(field "j['validation']['divergence']['node']")" "$target"
  expect_eq "op" "$(field "j['validation']['divergence']['op']")" Tanh
  expect_eq "source op" "$(field "j['validation']['divergence']['source_op']")" aten::tanh
  expect_eq "inputs within" \
    "$(field "all(m['status'] == 'PASS' for m in j['validation']['divergence']['inputs'])")" True
  grep -q "First divergence: node $target (Tanh, from aten::tanh)" "$W/log.txt" ||
    fail "no 'First divergence' line naming $target"
  # Without the perturbation the same export passes, and --localize finds nothing.
  run --checkpoint_path "$FIX/mlp.pt" --input_shape 2,8 --format "$format" \
    --output_path "$W/mlp.$ext" --localize
  expect_eq "exit code" "$RC" 0
  expect_eq "divergence found" "$(field "j['validation']['divergence']['found']")" False
}

case_perturbed_onnx() { perturbed_case onnx onnx; }
case_perturbed_openvino() { perturbed_case openvino xml; }

# The same search bisecting with a budget of a few values per run names the same node.
case_perturbed_bisect() {
  local target
  target=$(node_names "$FIX/mlp.pt" Gemm | sed -n 2p)
  [ -n "$target" ] || { fail "no second Gemm node in the IR print"; return; }
  MLEXPORT_TEST_PERTURB=$target run --checkpoint_path "$FIX/mlp.pt" --input_shape 2,8 \
    --output_path "$W/mlp.onnx" --localize_budget 0.0003
  expect_eq "node" "$(field "j['validation']['divergence']['node']")" "$target"
  [ "$(field "j['validation']['divergence']['runs']")" -gt 1 ] || fail "expected several runs"
}

# fp16 overflows inside the module "energy": localisation names its pow, advises keeping the
# module in float32, and with that advice the export passes.
case_fp16_overflow() {
  run --checkpoint_path "$FIX/overflow.pt" --input_shape 2,8 --output_path "$W/o.onnx"
  expect_eq "fp32 exit code" "$RC" 0
  run --checkpoint_path "$FIX/overflow.pt" --input_shape 2,8 --output_path "$W/o16.onnx" \
    --precision fp16
  expect_eq "fp16 exit code" "$RC" 1
  # x.pow(2) is translated as Mul(x, x).
  expect_eq "op" "$(field "j['validation']['divergence']['op']")" Mul
  expect_eq "source op" "$(field "j['validation']['divergence']['source_op']")" aten::pow
  expect_eq "scope" "$(field "j['validation']['divergence']['scope']")" energy
  expect_eq "advice" "$(field "j['validation']['divergence']['keep_fp32'][0]")" energy
  grep -q -- "--keep_fp32 energy" "$W/log.txt" || fail "no advice line with --keep_fp32 energy"
  run --checkpoint_path "$FIX/overflow.pt" --input_shape 2,8 --output_path "$W/o16.onnx" \
    --precision fp16 --keep_fp32 energy
  expect_eq "fp16 + keep_fp32 exit code" "$RC" 0
  expect_eq "status" "$(field "j['validation']['status']")" PASS
}

# int8 WARNs on a model with an activation outlier; localisation names fc2, whose output is the
# first to leave the int8 bands (the quantization nodes before it have no reference value).
case_int8_outlier() {
  run --checkpoint_path "$FIX/outlier.pt" --input_shape 4,16 --output_path "$W/q.onnx" \
    --quantize int8
  expect_eq "exit code" "$RC" 0
  expect_eq "status" "$(field "j['validation']['status']")" WARN
  expect_eq "source op" "$(field "j['validation']['divergence']['source_op']")" aten::linear
  expect_eq "scope" "$(field "j['validation']['divergence']['scope']")" fc2
  expect_eq "quantization nodes listed" \
    "$(field "any(n.startswith('MatMulInteger') for n in j['validation']['divergence']['uncompared_nodes'])")" True
  run --checkpoint_path "$FIX/outlier.pt" --input_shape 4,16 --output_path "$W/f.onnx"
  expect_eq "float32 status" "$(field "j['validation']['status']")" PASS
}

# A value written in place through a view is compared as first computed, not after the write:
# an export that is right shows no divergence.
case_inplace_write() {
  run --checkpoint_path "$FIX/view_write.pt" --input_shape 2,8 --output_path "$W/v.onnx" \
    --localize
  expect_eq "exit code" "$RC" 0
  expect_eq "divergence found" "$(field "j['validation']['divergence']['found']")" False
  [ "$(field "j['validation']['divergence']['compared']")" -ge 3 ] || fail "too few values compared"
}

# A top-k whose cut falls among tied values: the export keeps other zeros than LibTorch, and the
# output, which gathers at the kept places, differs far past the bands. Validation replays the
# model with the export's choice there and judges the outputs after it: WARN, with the cut named.
tied_cut_case() {
  local format=$1 ext=$2
  run --checkpoint_path "$FIX/tied_cut.pt" --input_shape 2,64 --format "$format" \
    --output_path "$W/t.$ext"
  expect_eq "exit code" "$RC" 0
  expect_eq "status" "$(field "j['validation']['status']")" WARN
  expect_eq "line of the values taken" \
    "$(field "[m['status'] for m in j['validation']['outputs'] if m['name'] == 'values taken from the export']")" \
    "['WARN']"
  expect_eq "model output within after the replay" \
    "$(field "[m['status'] for m in j['validation']['outputs'] if m['name'] == 'output']")" \
    "['PASS']"
  grep -q "taken from the export: TopK_[0-9]* .*keeps other elements at" \
    "$W/log.txt" || fail "no note naming the cut"
  grep -q "the outputs differed by up to" "$W/log.txt" || fail "no note with the difference before"
}

case_tied_cut_onnx() { tied_cut_case onnx onnx; }
case_tied_cut_openvino() { tied_cut_case openvino xml; }

# A wrong translation before the cut (the ranked values shifted by 1) is not taken for a tie:
# FAIL, the replay refused with the reason, and localisation names the perturbed node.
case_tied_cut_perturbed() {
  local target
  target=$("$ML_EXPORT" --checkpoint_path "$FIX/tied_cut.pt" --input_shape 2,64 \
    --output_path "$W/names.onnx" --no-validate --verbose 2>&1 >/dev/null |
    sed -nE "s/^ *%(Relu_[0-9]+): .* = Relu\(.*/\1/p" | head -1)
  [ -n "$target" ] || { fail "no Relu node in the IR print"; return; }
  MLEXPORT_TEST_PERTURB=$target run --checkpoint_path "$FIX/tied_cut.pt" --input_shape 2,64 \
    --output_path "$W/t.onnx"
  expect_eq "exit code" "$RC" 1
  expect_eq "status" "$(field "j['validation']['status']")" FAIL
  grep -q "not replayed with the export's values: TopK_[0-9]*.*the values it ranks already differ" \
    "$W/log.txt" || fail "no note refusing the replay"
  expect_eq "node" "$(field "j['validation']['divergence']['node']")" "$target"
}

# RoiAlign at boxes that rounding moves by about a thousandth of a pixel, over features that
# alternate by 2000 per pixel: the pooled values differ past the bands. Validation runs the model
# again at the export's boxes (within the bands) and the outputs agree: WARN, the RoiAlign named.
# Where both runtimes round the boxes alike there is nothing to replay: skipped, saying so.
case_roi_drift() {
  run --checkpoint_path "$FIX/roi_drift.pt" --input_shape 1,512 --output_path "$W/r.onnx"
  if [ "$(field "j['validation']['status']")" = PASS ]; then
    echo "SKIP: ONNX Runtime and LibTorch computed the same boxes here; nothing to replay"
    exit 77
  fi
  expect_eq "exit code" "$RC" 0
  expect_eq "status" "$(field "j['validation']['status']")" WARN
  expect_eq "model output within after the replay" \
    "$(field "[m['status'] for m in j['validation']['outputs'] if m['name'] == 'output']")" \
    "['PASS']"
  grep -q "taken from the export: RoiAlign_[0-9]* .*samples the export's boxes, within" \
    "$W/log.txt" || fail "no note naming the RoiAlign"
}

# Bad input: one line, exit code 2.
case_keep_fp32_without_fp16() {
  run --checkpoint_path "$FIX/mlp.pt" --input_shape 2,8 --output_path "$W/m.onnx" \
    --keep_fp32 Tanh
  expect_eq "exit code" "$RC" 2
  grep -q "keep_fp32 needs --precision fp16" "$W/log.txt" || fail "no message about --keep_fp32"
}

case_keep_fp32_unknown() {
  run --checkpoint_path "$FIX/overflow.pt" --input_shape 2,8 --output_path "$W/m.onnx" \
    --precision fp16 --keep_fp32 no_such_module
  expect_eq "exit code" "$RC" 2
  grep -q "keep_fp32 no_such_module names no node" "$W/log.txt" || fail "no message naming it"
  [ ! -e "$W/m.onnx" ] || fail "a file was written"
}

case_localize_flags_refused() {
  run --checkpoint_path "$FIX/mlp.pt" --input_shape 2,8 --output_path "$W/m.onnx" \
    --localize_budget 0
  expect_eq "budget 0 exit code" "$RC" 2
  grep -q "localize_budget must be a positive number of MB" "$W/log.txt" || fail "no budget message"
  run --checkpoint_path "$FIX/mlp.pt" --input_shape 2,8 --output_path "$W/m.onnx" \
    --localize --no-localize
  expect_eq "both flags exit code" "$RC" 2
  grep -q "localize and --no-localize contradict each other" "$W/log.txt" || fail "no message about the two flags"
  [ ! -e "$W/m.onnx" ] || fail "a file was written"
}

case_perturb_unknown_node() {
  MLEXPORT_TEST_PERTURB=NoSuchNode_7 run --checkpoint_path "$FIX/mlp.pt" --input_shape 2,8 \
    --output_path "$W/m.onnx"
  expect_eq "exit code" "$RC" 2
  grep -q "no node named NoSuchNode_7" "$W/log.txt" || fail "no message naming the node"
}

if [ "$1" = setup ]; then
  setup
  exit $?
fi
W="$LOCALIZE_WORK/$1"
rm -rf "$W"
mkdir -p "$W"
"case_$1"
[ "$FAILED" -eq 0 ] && echo "PASS" || echo "FAILED"
exit "$FAILED"
