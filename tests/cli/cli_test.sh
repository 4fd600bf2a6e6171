#!/usr/bin/env bash
# End-to-end tests of the ml-export CLI (testing tier 4): runs the binary as a user would.
#
# usage: cli_test.sh setup        write the fixtures (small traced modules) into $CLI_FIXTURES
#        cli_test.sh list         print the case names
#        cli_test.sh CASE         run one case (each is its own ctest test, see CMakeLists.txt)
#
# Environment (set by CMakeLists.txt):
#   ML_EXPORT        the ml-export binary
#   CLI_FIXTURES     folder of the generated fixtures (build tree)
#   CLI_WORK         folder for per-case scratch space (build tree); $CLI_WORK/<case> is emptied first
#   PYTHON           Debian's python3 with torch and onnx (default /usr/bin/python3)
#   MLEXPORT_KNOWN_FAILURE  set for cases on the known-failure list: the reason. A failing known
#                    case exits 77 (ctest: skipped) after printing the reason; a passing one passes.
#
# Every error case checks: the exit code; exactly one line containing "ERROR" or "error:" on
# stdout+stderr; no stack trace or abort; and that no output file (nor a temporary one) was left.
set -u

PYTHON=${PYTHON:-/usr/bin/python3}
FIX=${CLI_FIXTURES:-}
FAILED=0
W=""
OUT=""

fail() {
  echo "FAIL: $*"
  FAILED=1
}

# run ARGS...: runs ml-export, keeps stdout/stderr/exit code; prints the command and its output.
run() {
  echo "\$ ml-export $*"
  (cd "$W" && "$ML_EXPORT" "$@") >"$W/stdout.txt" 2>"$W/stderr.txt"
  RC=$?
  cat "$W/stdout.txt" "$W/stderr.txt" >"$W/all.txt"
  sed 's/^/  | /' "$W/all.txt"
  echo "  exit code $RC"
}

expect_exit() {
  [ "$RC" -eq "$1" ] || fail "expected exit code $1, got $RC"
}

# expect_line REGEX: some line of stdout+stderr matches (extended regex).
expect_line() {
  grep -Eq -- "$1" "$W/all.txt" || fail "no output line matches /$1/"
}

expect_no_line() {
  if grep -Eq -- "$1" "$W/all.txt"; then fail "an output line matches /$1/: $(grep -E -- "$1" "$W/all.txt" | head -1)"; fi
}

# Exactly one error line, no stack trace, no crash.
expect_clean_error() {
  local n
  n=$(grep -Ec 'ERROR|error:' "$W/all.txt")
  [ "$n" -eq 1 ] || fail "expected exactly one line with ERROR or error:, got $n"
  expect_no_line 'terminate called|Exception raised from|frame #[0-9]|Traceback|Aborted|Segmentation fault|\.so\(|libc10|libtorch|c10::|std::'
  [ "$RC" -lt 128 ] || fail "the process died of a signal (exit $RC)"
}

# No file was written into the (initially empty) output folder.
expect_no_output() {
  local left
  left=$(ls -A "$OUT")
  [ -z "$left" ] || fail "files were left in the output folder: $left"
}

# error_case CODE ARGS...: the common shape of every error case.
error_case() {
  local code=$1
  shift
  run "$@"
  expect_exit "$code"
  expect_clean_error
  expect_no_output
}

py() { "$PYTHON" -c "$@"; }

# json_check EXPR: evaluates a Python expression on the JSON document in stdout.txt (as d).
json_check() {
  py "import json,sys
d = json.load(open(sys.argv[1]))
ok = bool($1)
if not ok: print('JSON check failed: $1'); sys.exit(1)" "$W/stdout.txt" || fail "JSON check failed: $1"
}

# onnx_check EXPR: evaluates a Python expression on an ONNX file (as m, graph only) and prints it.
onnx_check() {
  local file=$1 expr=$2
  py "import onnx,sys
m = onnx.load(sys.argv[1], load_external_data=False)
dims = lambda vi: [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
ok = bool($expr)
if not ok: print('ONNX check failed: $expr'); print([(v.name, dims(v)) for v in list(m.graph.input) + list(m.graph.output)]); sys.exit(1)" "$file" ||
    fail "ONNX check failed on $file: $expr"
}

SHAPE=(--input_shape "1,3,32,32")

# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------

GEN_PY='
import os, sys, zipfile
import numpy as np
import torch, torch.nn as nn
out = sys.argv[1]

def randomize(m):
    with torch.no_grad():
        for b in m.modules():
            if isinstance(b, nn.BatchNorm2d):
                b.running_mean.uniform_(-0.5, 0.5); b.running_var.uniform_(0.5, 2.0)
                b.weight.uniform_(0.5, 1.5); b.bias.uniform_(-0.5, 0.5)

class Small(nn.Module):  # resnet-like: stem, one basic block, pool, fc
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        self.c1 = nn.Conv2d(8, 8, 3, 1, 1, bias=False); self.b1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, 3, 1, 1, bias=False); self.b2 = nn.BatchNorm2d(8)
        self.pool = nn.AdaptiveAvgPool2d(1); self.fc = nn.Linear(8, 10)
    def forward(self, x):
        x = self.stem(x)
        y = torch.relu(self.b1(self.c1(x)))
        x = torch.relu(x + self.b2(self.c2(y)))
        return self.fc(torch.flatten(self.pool(x), 1))

class TwoInputs(nn.Module):
    def forward(self, a, b):
        return a + 2 * b

class Unsupported(nn.Module):  # ops with no conversion rule, returned directly
    def forward(self, x):
        return torch.erfinv(x), torch.erfinv(x * 0.5), torch.linalg.det(x)

class Cascade(nn.Module):  # one op with no rule feeding ops that have rules
    def forward(self, x):
        return torch.relu(torch.erfinv(x * 0.5)) + 1

class EyeInv(nn.Module):  # aten::eye of a size computed from the input feeds aten::linalg_inv
    def forward(self, x):
        return torch.linalg.inv(x + torch.eye(x.shape[-1]))

class Refused(nn.Module):  # a rule that refuses its variant, next to an op with no rule
    def forward(self, x):
        p = x.shape[-1] % 3
        return torch.nn.functional.pad(x, (0, p), mode="circular") + 1, torch.linalg.det(x)

class Branchy(nn.Module):  # scripted, branches on the data
    def forward(self, x):
        if bool(x.sum() > 0):
            return x * 2
        return x - 1

class IntOutput(nn.Module):  # scripted, returns an int
    def forward(self, x):
        return x.shape[0]

class Flat(nn.Module):  # flattens to a fixed size: cannot be dynamic in height or width
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, 2, 1); self.fc = nn.Linear(4 * 16 * 16, 5)
    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))

class Pool4(nn.Module):  # eager runs at any size; the export fixes the pooling windows
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, 1, 1); self.fc = nn.Linear(4 * 4 * 4, 5)
    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.conv(x), 4), 1))

class Upsample(nn.Module):  # bilinear by a fractional scale and to a size, both corner modes
    def forward(self, x):
        f = nn.functional.interpolate
        return (f(x * 50, scale_factor=2.5, mode="bilinear", recompute_scale_factor=True),
                f(x * 50, size=(45, 70), mode="bilinear", align_corners=True))

class Scaled(nn.Module):  # large outputs: float32 rounding is large in absolute terms only
    def __init__(self):
        super().__init__()
        self.body = Small()
    def forward(self, x):
        return self.body(x) * 5000.0

class Spectrogram(nn.Module):  # stft magnitudes: ONNX DFT, opset 17 only
    def __init__(self):
        super().__init__()
        self.register_buffer("window", torch.hann_window(16))
    def forward(self, x):
        return torch.stft(x, 16, hop_length=4, window=self.window, return_complex=True).abs()

class ComplexIn(nn.Module):  # takes a complex tensor (given to the file as real pairs)
    def forward(self, z):
        return torch.view_as_real(torch.fft.ifft(z * z.conj(), norm="ortho") + z)

@torch.jit.interface
class TensorToTensor(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pass

class AddOne(nn.Module):
    def forward(self, x):
        return x + 1

class PicksSubmodule(nn.Module):  # a ModuleDict indexed by a computed key: LibTorch cannot freeze it
    def __init__(self):
        super().__init__()
        self.branches = nn.ModuleDict({"up": AddOne(), "down": AddOne()})

    def forward(self, x):
        key = "up" if bool(x.sum() > 0) else "down"
        branch: TensorToTensor = self.branches[key]
        return branch.forward(x)

class ShiftedEmbedding(nn.Module):  # token ids 5..14; the ids 0 and 1 random inputs give fail
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
    def forward(self, ids):
        return self.emb(ids - 5)

def trace(m, *shapes):
    with torch.no_grad():
        return torch.jit.trace(m.eval(), tuple(torch.randn(*s) for s in shapes))

def save(module, name):
    module.save(os.path.join(out, name + ".tmp"))
    os.replace(os.path.join(out, name + ".tmp"), os.path.join(out, name))

torch.manual_seed(1); a = Small(); randomize(a)
torch.manual_seed(2); b = Small(); randomize(b)
save(trace(a, (1, 3, 32, 32)), "small.pt")
save(trace(b, (1, 3, 32, 32)), "small_other.pt")  # same interface, other weights
save(trace(TwoInputs(), (1, 4), (1, 4)), "two_inputs.pt")
save(trace(Unsupported(), (1, 4, 4)), "unsupported.pt")
save(trace(Cascade(), (1, 4, 4)), "cascade.pt")
save(trace(EyeInv(), (1, 4, 4)), "eye_inv.pt")
save(trace(Refused(), (1, 4, 4)), "refused.pt")
save(trace(Spectrogram(), (1, 64)), "spectrogram.pt")
save(torch.jit.trace(ComplexIn(), (torch.randn(1, 16, dtype=torch.cfloat),)), "complex_in.pt")
save(torch.jit.script(Branchy()), "branchy.pt")
save(torch.jit.script(PicksSubmodule().eval()), "unfreezable.pt")
save(torch.jit.script(IntOutput()), "int_output.pt")
torch.manual_seed(6); save(trace(Flat(), (1, 3, 32, 32)), "flat.pt")
torch.manual_seed(8); save(trace(Pool4(), (1, 3, 32, 32)), "pool4.pt")
save(trace(Upsample(), (1, 3, 32, 32)), "upsample.pt")
torch.manual_seed(9)
ids = torch.randint(5, 15, (1, 6))
save(torch.jit.trace(ShiftedEmbedding().eval(), (ids,)), "shifted_embedding.pt")
np.save(os.path.join(out, "token_ids.npy"), ids.numpy())
torch.manual_seed(7); sc = Scaled(); randomize(sc); save(trace(sc, (1, 3, 32, 32)), "scaled.pt")

data = open(os.path.join(out, "small.pt"), "rb").read()
open(os.path.join(out, "truncated.pt"), "wb").write(data[: len(data) // 2])
open(os.path.join(out, "random.pt"), "wb").write(np.random.RandomState(0).bytes(4096))
open(os.path.join(out, "text.pt"), "w").write("this is a text file, not a TorchScript archive\n")
open(os.path.join(out, "empty.pt"), "wb").close()
with zipfile.ZipFile(os.path.join(out, "plain_zip.pt"), "w") as z:  # a zip, but not TorchScript
    z.writestr("archive/data.pkl", b"not a pickle")
open(os.path.join(out, "not_onnx.onnx"), "w").write("this is not a protobuf\n")
rng = np.random.RandomState(3)
np.save(os.path.join(out, "sample.npy"), rng.randn(1, 3, 32, 32).astype(np.float32))
np.save(os.path.join(out, "sample_8x8.npy"), rng.randn(1, 3, 8, 8).astype(np.float32))

# Checkpoints (state dict + architecture), as training scripts and Lightning write them.
import argparse, json, struct, torchvision
torch.manual_seed(4)
net = torchvision.models.resnet18(num_classes=3).eval(); randomize(net)
sd = net.state_dict()
torch.save({"model_name": "resnet18", "num_classes": 3, "epoch": 5, "state_dict": sd},
           os.path.join(out, "ckpt_guide.pt"))
torch.save({"epoch": 2, "pytorch-lightning_version": "1.9.0",
            "hyper_parameters": argparse.Namespace(model_name="resnet18", num_classes=3, lr=0.1),
            "state_dict": {"model." + k: v for k, v in sd.items()}},
           os.path.join(out, "lightning.ckpt"))
torch.save(sd, os.path.join(out, "bare_state.pt"))
broken = dict(sd); del broken["fc.weight"]; broken["extra.weight"] = torch.zeros(1)
torch.save({"model_name": "resnet18", "num_classes": 3, "state_dict": broken},
           os.path.join(out, "wrong_keys.pt"))
torch.save({"model_name": "resnet999", "state_dict": sd}, os.path.join(out, "unknown_arch.pt"))
data = open(os.path.join(out, "ckpt_guide.pt"), "rb").read()
open(os.path.join(out, "ckpt_truncated.pt"), "wb").write(data[: len(data) // 3])
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + os.path.join(out, "CANARY"),))
torch.save({"model_name": "resnet18", "state_dict": sd, "payload": Evil()},
           os.path.join(out, "evil.pt"))
os.makedirs(os.path.join(out, "st"), exist_ok=True)
header, blobs, offset = {}, [], 0
for k, v in sd.items():
    if v.dtype == torch.int64:
        continue  # num_batches_tracked: safetensors exports often leave it out
    b = v.contiguous().numpy().tobytes()
    header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [offset, offset + len(b)]}
    blobs.append(b); offset += len(b)
hjson = json.dumps(header).encode()
with open(os.path.join(out, "st", "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(hjson))); f.write(hjson); f.write(b"".join(blobs))
json.dump({"architecture": "resnet18", "num_classes": 3}, open(os.path.join(out, "st", "config.json"), "w"))

class Tokens(nn.Module):  # int64 token ids in, as text models take them
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 8); self.fc = nn.Linear(8, 3)
    def forward(self, ids):
        return self.fc(self.emb(ids).mean(1))
torch.manual_seed(5)
torch.onnx.export(Tokens().eval(), (torch.randint(0, 50, (1, 6)),), os.path.join(out, "tokens.onnx"),
                  input_names=["ids"], output_names=["logits"], opset_version=13)
'

do_setup() {
  [ -n "$FIX" ] || { echo "CLI_FIXTURES is not set"; exit 2; }
  mkdir -p "$FIX"
  local stamp
  stamp=$(printf '%s' "$GEN_PY" | sha1sum | cut -c1-40)
  if [ -f "$FIX/.stamp" ] && [ "$(cat "$FIX/.stamp")" = "$stamp" ]; then
    echo "fixtures up to date in $FIX"
    return 0
  fi
  rm -f "$FIX/.stamp"
  # torch.jit.script needs the source in a file.
  printf '%s\n' "$GEN_PY" >"$FIX/make_fixtures.py"
  "$PYTHON" "$FIX/make_fixtures.py" "$FIX" || { echo "fixture generation failed"; exit 1; }
  echo "$stamp" >"$FIX/.stamp"
  ls -l "$FIX"
}

# ---------------------------------------------------------------------------------------------
# Error cases: bad input (exit 2)
# ---------------------------------------------------------------------------------------------

case_missing_file() {
  error_case 2 --checkpoint_path "$FIX/no_such_model.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
  expect_line 'no such file'
}
case_checkpoint_is_directory() {
  error_case 2 --checkpoint_path "$FIX" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
}
case_random_bytes() {
  error_case 2 --checkpoint_path "$FIX/random.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
  expect_line 'random.pt'
}
case_text_file() {
  error_case 2 --checkpoint_path "$FIX/text.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
}
case_empty_file() {
  error_case 2 --checkpoint_path "$FIX/empty.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
}
case_truncated_archive() {
  error_case 2 --checkpoint_path "$FIX/truncated.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
}
case_zip_not_torchscript() {
  error_case 2 --checkpoint_path "$FIX/plain_zip.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
}
case_too_few_input_shapes() {
  error_case 2 --checkpoint_path "$FIX/two_inputs.pt" --input_shape 1,4 --output_path "$OUT/m.onnx"
  expect_line 'takes 2 input'
}
case_too_many_input_shapes() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
}
case_dtype_count_mismatch() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --input_dtype float32 \
    --input_dtype float32 --output_path "$OUT/m.onnx"
}
case_unknown_dtype() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --input_dtype float33 \
    --output_path "$OUT/m.onnx"
  expect_line 'float33'
}
case_opset_10() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --opset_version 10 \
    --output_path "$OUT/m.onnx"
  expect_line 'opset'
}
case_opset_18() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --opset_version 18 \
    --output_path "$OUT/m.onnx"
  expect_line 'opset'
}
case_opset_not_a_number() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --opset_version abc \
    --output_path "$OUT/m.onnx"
}
# The guide's `--output_path models/x.onnx`: missing folders are created; an export that fails
# takes the folders it created away again.
case_output_folder_created() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/models/new/m.onnx"
  expect_exit 0
  no_errors
  [ -s "$OUT/models/new/m.onnx" ] || fail "the output was not written into the new folders"
  rm -rf "$OUT/models"
  error_case 2 --checkpoint_path "$FIX/small.pt" --input_shape 1,3 --output_path "$OUT/models/new/m.onnx"
}
case_output_folder_unwritable() {
  chmod 555 "$OUT"
  if [ "$(id -u)" -eq 0 ]; then
    # root writes anywhere: run as nobody (the build tree is world-readable).
    command -v setpriv >/dev/null || { echo "SKIP: running as root without setpriv"; exit 77; }
    local real=$ML_EXPORT
    ML_EXPORT=$W/as_nobody.sh
    printf '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups "%s" "$@"\n' "$real" >"$ML_EXPORT"
    chmod 755 "$ML_EXPORT"
  fi
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
  expect_line 'not writable'
  chmod 755 "$OUT"
}
case_output_path_is_directory() {
  mkdir "$OUT/m.onnx"
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
  expect_exit 2
  expect_clean_error
  [ -z "$(ls -A "$OUT/m.onnx")" ] || fail "files were written into $OUT/m.onnx"
  [ "$(ls -A "$OUT")" = "m.onnx" ] || fail "files were left in the output folder: $(ls -A "$OUT")"
}
case_shape_not_integers() {
  error_case 2 --checkpoint_path "$FIX/small.pt" --input_shape 1,x,3 --output_path "$OUT/m.onnx"
  expect_line '1,x,3'
}
case_shape_zero_dim() {
  error_case 2 --checkpoint_path "$FIX/small.pt" --input_shape 0,3 --output_path "$OUT/m.onnx"
}
case_shape_negative_dim() {
  error_case 2 --checkpoint_path "$FIX/small.pt" --input_shape -1,3,32,32 --output_path "$OUT/m.onnx"
}
case_shape_empty() {
  error_case 2 --checkpoint_path "$FIX/small.pt" --input_shape "" --output_path "$OUT/m.onnx"
}
case_shape_too_large() {
  error_case 2 --checkpoint_path "$FIX/small.pt" --input_shape 1,3,99999999,99999999 \
    --output_path "$OUT/m.onnx"
}
# A shape of the wrong rank for the model: the model cannot run on it, which is the user's input.
case_shape_wrong_rank() {
  error_case 2 --checkpoint_path "$FIX/small.pt" --input_shape 1,3 --output_path "$OUT/m.onnx"
  expect_no_line 'No conversion rule'
}
# An integer input for a float convolution: the model cannot run on it.
case_dtype_wrong_for_model() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --input_dtype int64 \
    --output_path "$OUT/m.onnx"
  expect_no_line 'No conversion rule'
}
# Without --onnx_path, --validate_only checks the file the export would have written.
case_validate_only_without_onnx_path() {
  cp "$FIX/small.pt" "$W/model.pt"
  error_case 2 --checkpoint_path "$W/model.pt" "${SHAPE[@]}" --validate_only
  expect_line 'model\.onnx: no such file'
  run --checkpoint_path "$W/model.pt" "${SHAPE[@]}"
  expect_exit 0
  run --checkpoint_path "$W/model.pt" "${SHAPE[@]}" --validate_only
  expect_exit 0
  no_errors
  expect_line 'Validating .*model\.onnx'
  expect_line '✓ PASS - ONNX export validation successful'
}
# --onnx_path with a model names the file --validate_only checks; an export refuses it rather
# than writing elsewhere.
case_onnx_path_without_validate_only() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --onnx_path "$OUT/m.onnx"
  expect_line 'use --output_path'
}
case_validate_only_missing_onnx() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --validate_only \
    --onnx_path "$OUT/none.onnx"
}
case_validate_only_not_onnx() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --validate_only \
    --onnx_path "$FIX/not_onnx.onnx"
}
case_batch_size_zero() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --batch_size 0 --output_path "$OUT/m.onnx"
  expect_line 'batch_size must be at least 1'
}
case_flag_typo() {
  error_case 2 --checkpont_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
  expect_line '^did you mean --checkpoint_path\?$'
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --opset 14 --output_path "$OUT/m.onnx"
  expect_line '^did you mean --opset_version\?$'
}
case_batch_size_negative() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --batch_size -1 --output_path "$OUT/m.onnx"
}
case_num_samples_zero() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --num_samples 0 --output_path "$OUT/m.onnx"
}
case_unknown_runtime() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --runtime tensorrt --output_path "$OUT/m.onnx"
}
case_unknown_flag() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --no_such_flag --output_path "$OUT/m.onnx"
}
case_missing_checkpoint_flag() {
  error_case 2 "${SHAPE[@]}" --output_path "$OUT/m.onnx"
}
case_unknown_format() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --format caffe --output_path "$OUT/m.onnx"
}
case_sample_input_missing() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --sample_input "$FIX/none.npy" \
    --output_path "$OUT/m.onnx"
}
case_sample_input_not_npy() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --sample_input "$FIX/text.pt" \
    --output_path "$OUT/m.onnx"
}
# The sample's shape disagrees with --input_shape: the export must not silently use another shape.
case_sample_input_shape_mismatch() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --sample_input "$FIX/sample_8x8.npy" \
    --output_path "$OUT/m.onnx"
}
case_too_many_input_names() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --input_names a,b --output_path "$OUT/m.onnx"
}
case_too_many_output_names() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_names a,b --output_path "$OUT/m.onnx"
}
case_unknown_disabled_pass() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --disable_pass no-such-pass \
    --output_path "$OUT/m.onnx"
}
case_negative_tolerance() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --atol -1 --output_path "$OUT/m.onnx"
}

# ---------------------------------------------------------------------------------------------
# Unsupported ops (exit 3)
# ---------------------------------------------------------------------------------------------

case_unsupported_ops() {
  error_case 3 --checkpoint_path "$FIX/unsupported.pt" --input_shape 1,4,4 --output_path "$OUT/m.onnx"
  expect_line 'aten::erfinv \(x2'
  expect_line 'aten::linalg_det \(x1'
}
# The report lists only ops with no rule, not the ops downstream of them.
case_unsupported_report_only_missing() {
  error_case 3 --checkpoint_path "$FIX/cascade.pt" --input_shape 1,4,4 --output_path "$OUT/m.onnx"
  expect_line 'aten::erfinv \(x1'
  expect_no_line 'aten::relu|aten::add'
}
# An op downstream of one with no rule is listed too when it has no rule of its own. (With
# --dynamic_axes the sizes stay computed; fixed shapes would fold eye's size to a constant.)
case_unsupported_downstream_listed() {
  error_case 3 --checkpoint_path "$FIX/eye_inv.pt" --input_shape 1,4,4 --dynamic_axes \
    --output_path "$OUT/m.onnx"
  expect_line 'aten::eye \(x1'
  expect_line 'aten::linalg_inv \(x1'
}
# A rule that refuses a variant goes into the same report, with its reason.
case_unsupported_variant_reported() {
  error_case 3 --checkpoint_path "$FIX/refused.pt" --input_shape 1,4,4 --dynamic_axes \
    --output_path "$OUT/m.onnx"
  expect_line 'aten::pad \(circular padding by amounts computed from the input.*\(x1'
  expect_line 'aten::linalg_det \(x1'
  expect_no_line 'aten::add'
}
# Fourier transforms are ONNX DFT, which opset 17 introduced: older opsets refuse them with the
# reason. OpenVINO IR writes them as RDFT-9 (stft's one-sided transform of a real signal).
case_spectral_opset17() {
  run --checkpoint_path "$FIX/spectrogram.pt" --input_shape 1,64 --opset_version 17 \
    --output_path "$OUT/m.onnx"
  expect_exit 0
  expect_line 'PASS'
}
case_spectral_below_opset17_refused() {
  error_case 3 --checkpoint_path "$FIX/spectrogram.pt" --input_shape 1,64 --opset_version 16 \
    --output_path "$OUT/m.onnx"
  expect_line 'DFT needs opset 17 \(requested 16\)'
}
case_spectral_openvino() {
  run --checkpoint_path "$FIX/spectrogram.pt" --input_shape 1,64 --format openvino \
    --output_path "$OUT/m.xml"
  expect_exit 0
  expect_line 'PASS'
  grep -q 'type="RDFT" version="opset9"' "$OUT/m.xml" || fail "no RDFT-9 layer in the .xml"
}
# A complex input: the model gets a complex tensor, the file its (real, imag) pairs.
case_complex_input_pairs() {
  run --checkpoint_path "$FIX/complex_in.pt" --input_shape 1,16 --input_dtype complex64 \
    --opset_version 17 --dynamic_axes --output_path "$OUT/m.onnx"
  expect_exit 0
  expect_line 'PASS'
  onnx_check "$OUT/m.onnx" 'dims(m.graph.input[0]) == ["batch_size", 16, 2]'
}
# An if on the data becomes ONNX If, and OpenVINO If-8; validation takes both branches in each.
# fp16 refuses it.
case_data_dependent_control_flow() {
  run --checkpoint_path "$FIX/branchy.pt" --input_shape 1,4,4 --output_path "$OUT/m.onnx"
  expect_exit 0
  expect_line 'Control flow validated: If at .* both branches'
  rm -f "$OUT/m.onnx"
  run --checkpoint_path "$FIX/branchy.pt" --input_shape 1,4,4 --format openvino \
    --output_path "$OUT/m.xml"
  expect_exit 0
  expect_line 'Control flow validated: If at .* both branches'
  grep -q 'type="If" version="opset8"' "$OUT/m.xml" || fail "no If-8 layer in the IR"
  rm -f "$OUT/m.xml" "$OUT/m.bin"
  error_case 3 --checkpoint_path "$FIX/branchy.pt" --input_shape 1,4,4 --precision fp16 \
    --output_path "$OUT/m.onnx"
  expect_line 'control flow'
}
# A model that returns an int: a clean error (2 or 3), never a crash.
case_non_tensor_output() {
  run --checkpoint_path "$FIX/int_output.pt" --input_shape 1,4 --output_path "$OUT/m.onnx"
  [ "$RC" -eq 2 ] || [ "$RC" -eq 3 ] || fail "expected exit code 2 or 3, got $RC"
  expect_clean_error
  expect_no_output
}

# ---------------------------------------------------------------------------------------------
# Validation failure (exit 1)
# ---------------------------------------------------------------------------------------------

# Export model A, then validate model B (same interface, other weights) against A's file.
case_validation_fail() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/a.onnx"
  expect_exit 0
  local before
  before=$(sha1sum <"$OUT/a.onnx")
  run --checkpoint_path "$FIX/small_other.pt" "${SHAPE[@]}" --validate_only --onnx_path "$OUT/a.onnx"
  expect_exit 1
  expect_line '✗ FAIL'
  expect_line 'Max difference:'
  expect_clean_error
  [ "$(sha1sum <"$OUT/a.onnx")" = "$before" ] || fail "--validate_only modified $OUT/a.onnx"
  [ "$(ls -A "$OUT")" = "a.onnx" ] || fail "--validate_only wrote files: $(ls -A "$OUT")"
}
case_validation_fail_json() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/a.onnx"
  run --checkpoint_path "$FIX/small_other.pt" "${SHAPE[@]}" --validate_only --onnx_path "$OUT/a.onnx" --json
  expect_exit 1
  json_check 'd["validation"]["passed"] is False and d["validation"]["status"] == "FAIL"'
  json_check 'd["validation"]["outputs"][0]["status"] == "FAIL"'
}

# ---------------------------------------------------------------------------------------------
# Success (exit 0)
# ---------------------------------------------------------------------------------------------

no_errors() {
  expect_no_line 'ERROR|error:|terminate called|Exception raised from'
}

# ---------------------------------------------------------------------------------------------
# Checkpoints (state dict + architecture name) through the C++ zoo
# ---------------------------------------------------------------------------------------------

case_checkpoint_guide_flow() {
  mkdir -p "$OUT/runs/fold_0/weights"
  cp "$FIX/ckpt_guide.pt" "$OUT/runs/fold_0/weights/best.pt"
  run --checkpoint_path "$OUT/runs/fold_0/weights/best.pt"
  expect_exit 0
  no_errors
  expect_line 'Loading checkpoint from .*best\.pt'
  expect_line 'Creating model: resnet18 \(base, 3 classes\)'
  expect_line 'Model loaded successfully'
  expect_line 'Model exported to: .*runs/fold_0/weights/best\.onnx'
  expect_line '✓ PASS'
  [ -s "$OUT/runs/fold_0/weights/best.onnx" ] || fail "best.onnx was not written beside the checkpoint"
}
case_checkpoint_lightning() {
  run --checkpoint_path "$FIX/lightning.ckpt" --output_path "$OUT/m.onnx"
  expect_exit 0
  no_errors
  expect_line "Stripped the key prefix 'model\.'"
  expect_line 'Creating model: resnet18 \(base, 3 classes\)'
  expect_line '✓ PASS'
}
case_checkpoint_safetensors() {
  cp "$FIX/st/model.safetensors" "$FIX/st/config.json" "$OUT/"
  run --checkpoint_path "$OUT/model.safetensors" --input_shape 1,3,64,64
  expect_exit 0
  no_errors
  expect_line 'Creating model: resnet18'
  [ -s "$OUT/model.onnx" ] || fail "model.onnx was not written"
}
case_checkpoint_bare_needs_model() {
  error_case 2 --checkpoint_path "$FIX/bare_state.pt" --output_path "$OUT/m.onnx"
  expect_line 'give --model'
}
case_checkpoint_bare_with_model() {
  run --checkpoint_path "$FIX/bare_state.pt" --model resnet18 --output_path "$OUT/m.onnx" \
    --input_shape 1,3,64,64
  expect_exit 0
  no_errors
  expect_line 'Creating model: resnet18 \(base, 3 classes\)'
}
case_checkpoint_model_override() {
  error_case 2 --checkpoint_path "$FIX/ckpt_guide.pt" --model resnet34 --output_path "$OUT/m.onnx"
  expect_line 'WARNING.*overrides the checkpoint'
  expect_line 'missing keys'
}
case_checkpoint_key_mismatch() {
  error_case 2 --checkpoint_path "$FIX/wrong_keys.pt" --output_path "$OUT/m.onnx"
  expect_line '1 missing keys \(fc\.weight\)'
  expect_line 'unexpected keys \(extra\.weight\)'
}
case_checkpoint_non_strict() {
  run --checkpoint_path "$FIX/wrong_keys.pt" --non_strict --output_path "$OUT/m.onnx" \
    --input_shape 1,3,64,64
  expect_exit 0
  expect_line 'WARNING.*1 missing, 1 unexpected'
}
case_checkpoint_malicious() {
  rm -f "$FIX/CANARY"
  error_case 2 --checkpoint_path "$FIX/evil.pt" --output_path "$OUT/m.onnx"
  expect_line 'refuses to load.*(os|posix)\.system'
  [ ! -e "$FIX/CANARY" ] || fail "the pickle payload ran (CANARY exists)"
}
case_checkpoint_truncated() {
  error_case 2 --checkpoint_path "$FIX/ckpt_truncated.pt" --output_path "$OUT/m.onnx"
}
case_checkpoint_unknown_arch() {
  error_case 2 --checkpoint_path "$FIX/unknown_arch.pt" --output_path "$OUT/m.onnx"
  expect_line "unknown architecture 'resnet999'"
}
case_pattern_batch() {
  for k in 0 1 2; do
    mkdir -p "$OUT/runs/fold_$k/weights"
    cp "$FIX/ckpt_guide.pt" "$OUT/runs/fold_$k/weights/best.pt"
  done
  run --pattern "out/runs/**/best.pt" --jobs 2 --input_shape 1,3,64,64
  expect_exit 0
  no_errors
  expect_line 'Found 3 checkpoints matching pattern'
  expect_line '✓ Successfully exported 3/3 models'
  for k in 0 1 2; do
    [ -s "$OUT/runs/fold_$k/weights/best.onnx" ] || fail "fold_$k was not exported"
  done
}
case_pattern_partial_failure() {
  mkdir -p "$OUT/runs/a" "$OUT/runs/b"
  cp "$FIX/ckpt_guide.pt" "$OUT/runs/a/best.pt"
  cp "$FIX/ckpt_truncated.pt" "$OUT/runs/b/best.pt"
  run --pattern "out/runs/*/best.pt" --input_shape 1,3,64,64
  expect_exit 2
  expect_line 'Successfully exported 1/2 models'
  [ -s "$OUT/runs/a/best.onnx" ] || fail "the good checkpoint was not exported"
  [ ! -e "$OUT/runs/b/best.onnx" ] || fail "the broken checkpoint left an output"
}
case_pattern_no_match() {
  run --pattern "out/nothing/*.pt"
  expect_exit 2
  expect_clean_error
  expect_line 'no files match'
}

case_export_pass() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
  expect_exit 0
  no_errors
  expect_line 'Model exported to: .*m\.onnx'
  expect_line 'Max difference: [0-9.e+-]+'
  expect_line 'MSE: [0-9.e+-]+'
  expect_line 'Cosine similarity: [0-9.]+'
  expect_line '✓ PASS'
  expect_line 'onnxruntime'
  [ -s "$OUT/m.onnx" ] || fail "$OUT/m.onnx was not written"
  [ "$(ls -A "$OUT")" = "m.onnx" ] || fail "unexpected files in the output folder: $(ls -A "$OUT")"
  onnx_check "$OUT/m.onnx" 'onnx.checker.check_model(m) is None'
}
case_default_output_path() {
  cp "$FIX/small.pt" "$OUT/model.pt"
  run --checkpoint_path "$OUT/model.pt" "${SHAPE[@]}"
  expect_exit 0
  no_errors
  [ -s "$OUT/model.onnx" ] || fail "the default output $OUT/model.onnx was not written"
}
case_json_output() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --json
  expect_exit 0
  py 'import json,sys; json.load(sys.stdin)' <"$W/stdout.txt" || fail "stdout is not one JSON document"
  json_check 'd["validation"]["passed"] is True and d["validation"]["status"] == "PASS"'
  json_check 'd["validation"]["ran"] is True and "onnxruntime" in d["validation"]["runtime"]'
  json_check 'all(k in d["validation"] for k in ("max_diff", "mse", "cosine_similarity"))'
  json_check 'len(d["validation"]["outputs"]) == 1 and d["validation"]["outputs"][0]["shape"] == [1, 10]'
  json_check 'd["validation"]["outputs"][0]["scaled_max_diff"] <= 1e-4'
  json_check 'd["output_path"].endswith("m.onnx") and d["opset_version"] == 14'
  grep -q 'Max difference' "$W/stderr.txt" || fail "the log did not go to stderr"
  [ -s "$OUT/m.onnx" ] || fail "$OUT/m.onnx was not written"
}
case_dynamic_axes() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --dynamic_axes --json
  expect_exit 0
  json_check 'd["validation"]["passed"] is True'
  json_check 'any(o["shape"][0] != 1 for o in d["validation"]["outputs"])'
  onnx_check "$OUT/m.onnx" 'dims(m.graph.input[0]) == ["batch_size", 3, 32, 32]'
  onnx_check "$OUT/m.onnx" 'dims(m.graph.output[0]) == ["batch_size", 10]'
}
case_io_names() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" \
    --input_names images --output_names logits --json
  expect_exit 0
  json_check 'd["input_names"] == ["images"] and d["output_names"] == ["logits"]'
  json_check 'd["validation"]["outputs"][0]["name"] == "logits"'
  onnx_check "$OUT/m.onnx" '[v.name for v in m.graph.input] == ["images"]'
  onnx_check "$OUT/m.onnx" '[v.name for v in m.graph.output] == ["logits"]'
}
case_io_names_two_inputs() {
  run --checkpoint_path "$FIX/two_inputs.pt" --input_shape 2,4 --input_shape 2,4 \
    --output_path "$OUT/m.onnx" --input_names a,b --output_names sum
  expect_exit 0
  no_errors
  onnx_check "$OUT/m.onnx" '[v.name for v in m.graph.input] == ["a", "b"]'
  onnx_check "$OUT/m.onnx" '[v.name for v in m.graph.output] == ["sum"]'
}
case_external_data() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --external_data --json
  expect_exit 0
  json_check 'd["validation"]["passed"] is True'
  local data=("$OUT"/*.data)
  [ -f "${data[0]}" ] || fail "no .data file beside the model: $(ls -A "$OUT")"
  [ "$(stat -c %s "$OUT/m.onnx")" -lt 4096 ] || fail "the weights are still inside m.onnx"
  onnx_check "$OUT/m.onnx" 'any(t.data_location == onnx.TensorProto.EXTERNAL for t in m.graph.initializer)'
  py "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]))" "$OUT/m.onnx" ||
    fail "the model with its external data does not load or check"
}
case_opset_11() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --opset_version 11 --json
  expect_exit 0
  json_check 'd["validation"]["passed"] is True and d["opset_version"] == 11'
  onnx_check "$OUT/m.onnx" '[o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] == [11]'
}
case_validate_only_pass() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/a.onnx" --no-validate
  expect_exit 0
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --validate_only --onnx_path "$OUT/a.onnx"
  expect_exit 0
  no_errors
  expect_line '✓ PASS'
  expect_line 'Cosine similarity:'
  [ "$(ls -A "$OUT")" = "a.onnx" ] || fail "--validate_only wrote files: $(ls -A "$OUT")"
}
case_no_validate() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --no-validate --json
  expect_exit 0
  json_check 'd["validation"]["ran"] is False'
  expect_no_line 'Max difference'
  [ -s "$OUT/m.onnx" ] || fail "$OUT/m.onnx was not written"
}
case_batch_size() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --batch_size 3 --output_path "$OUT/m.onnx" --json
  expect_exit 0
  json_check 'd["validation"]["passed"] is True and d["validation"]["outputs"][0]["shape"] == [3, 10]'
  onnx_check "$OUT/m.onnx" 'dims(m.graph.input[0]) == [3, 3, 32, 32]'
}
case_two_inputs() {
  run --checkpoint_path "$FIX/two_inputs.pt" --input_shape 2,4 --input_shape 2,4 --output_path "$OUT/m.onnx" --json
  expect_exit 0
  json_check 'd["validation"]["passed"] is True and len(d["input_names"]) == 2'
}
case_sample_input() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --sample_input "$FIX/sample.npy" \
    --output_path "$OUT/m.onnx" --json
  expect_exit 0
  json_check 'd["validation"]["passed"] is True'
}
case_seed_and_samples() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --seed 7 --num_samples 3 --output_path "$OUT/m.onnx" --json
  expect_exit 0
  json_check 'd["validation"]["passed"] is True and len(d["validation"]["outputs"]) == 3'
}
# OpenCV DNN validation was removed (OpenCV 4.6 cannot load ordinary exports): a clear refusal.
case_opencv_runtime_removed() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --runtime opencv --output_path "$OUT/m.onnx"
  expect_line 'runtime opencv was removed'
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --runtime onnxruntime --output_path "$OUT/m.onnx"
  expect_exit 0
}
case_verbose() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --verbose
  expect_exit 0
  no_errors
  expect_line 'pass '
}
# The precision passes are steps of the pipeline: logged with their counts, and checked by the
# verifier after each step with --verify_each.
case_precision_passes_in_the_pipeline() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --verbose \
    --precision fp16 --verify_each
  expect_exit 0
  no_errors
  expect_line 'pass convert-fp16: changed, .* constants, [0-9]+ casts'
  expect_no_line 'pass quantize-dynamic-int8'
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/q.onnx" --verbose \
    --quantize int8 --verify_each
  expect_exit 0
  expect_line 'pass quantize-dynamic-int8: .* quantized'
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.xml" --verbose
  expect_exit 0
  expect_no_line 'pass (legalize-onnx-opset|convert-fp16)'
}
case_help() {
  run --help
  expect_exit 0
  expect_line '--checkpoint_path'
  expect_line '--input_shape'
}

# ---------------------------------------------------------------------------------------------
# Formats: the registry, TorchScript, torch checkpoints, OpenVINO IR, fp16 and int8 ONNX
# ---------------------------------------------------------------------------------------------

case_list_formats() {
  run --list_formats
  expect_exit 0
  expect_line '^onnx +ONNX +\.onnx +available; validated by ONNX Runtime'
  expect_line '^openvino +OpenVINO IR +\.xml +available'
  expect_line '^torchscript +TorchScript +\.ts \.pt +available; validated by LibTorch'
  expect_line '^torch +PyTorch checkpoint +\.pth \.ckpt +available'
  expect_line '^tensorrt +TensorRT .*coming soon: needs NVIDIA'
  expect_line '^torch_export_ir .*coming soon: torch\.export needs PyTorch 2\.1'
  run --list_formats --json
  expect_exit 0
  json_check '[f["name"] for f in d if f["available"]] == ["onnx", "openvino", "torchscript", "torch"]'
  json_check 'all(f["unavailable_reason"] for f in d if not f["available"])'
}
case_unavailable_format() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --format tensorrt --output_path "$OUT/m.engine"
  expect_line 'not available: needs NVIDIA'
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.ptir"
  expect_line "torch_export_ir' is not available"
}
case_unknown_extension() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.foo"
  expect_line 'cannot tell the format from .*m\.foo'
}
case_format_option_for_other_format() {
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --precision fp16 --output_path "$OUT/m.xml"
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --compress_to_fp16 --output_path "$OUT/m.onnx"
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --quantize int4 --output_path "$OUT/m.onnx"
}

# TorchScript out: stock PyTorch loads it, it computes what the source does, and its metadata
# spares the next export the --input_shape.
case_torchscript_from_torchscript() {
  run --checkpoint_path "$FIX/two_inputs.pt" --input_shape 1,4 --input_shape 1,4 --output_path "$OUT/m.ts"
  expect_exit 0
  no_errors
  expect_line 'Exporting to TorchScript format'
  expect_line 'Validated by: the written archive reloaded with torch::jit::load'
  expect_line '✓ PASS'
  py "import torch, json, sys
files = {'mlexport.json': ''}
m = torch.jit.load(sys.argv[1], _extra_files=files)
meta = json.loads(files['mlexport.json'])
assert [i['shape'] for i in meta['inputs']] == [[1, 4], [1, 4]], meta
assert len(meta['source']['sha256']) == 64, meta
a, b = torch.randn(3, 4), torch.randn(3, 4)
ref = torch.jit.load(sys.argv[2])
assert torch.allclose(m(a, b), ref(a, b)), 'outputs differ'
m.eval(); m.train(False)" "$OUT/m.ts" "$FIX/two_inputs.pt" || fail "stock torch.jit.load check failed"
  run --checkpoint_path "$OUT/m.ts" --output_path "$OUT/again.onnx"
  expect_exit 0
  expect_line '✓ PASS'
}
case_torchscript_from_checkpoint() {
  run --checkpoint_path "$FIX/ckpt_guide.pt" --format torchscript --output_path "$OUT/r.pt" --input_shape 1,3,64,64
  expect_exit 0
  no_errors
  expect_line '✓ PASS'
  py "import torch, torchvision, sys, json
ck = torch.load(sys.argv[2])
net = torchvision.models.resnet18(num_classes=3).eval(); net.load_state_dict(ck['state_dict'])
files = {'mlexport.json': ''}
m = torch.jit.load(sys.argv[1], _extra_files=files)
meta = json.loads(files['mlexport.json'])
assert meta['architecture'] == 'resnet18' and meta['preprocessing']['mean'][0] == 0.485, meta
x = torch.randn(2, 3, 64, 64)
with torch.no_grad(): d = (m(x) - net(x)).abs().max().item()
print('max diff vs torchvision', d)
assert d < 1e-4, d" "$OUT/r.pt" "$FIX/ckpt_guide.pt" || fail "torchvision comparison failed"
}

# torch format out: stock torch.load reads it (also weights_only), the config names the
# torchvision builder, and torchvision loads the state dict strictly.
case_torch_from_checkpoint() {
  run --checkpoint_path "$FIX/ckpt_guide.pt" --format torch --output_path "$OUT/r.pth" --input_shape 1,3,64,64
  expect_exit 0
  no_errors
  expect_line 'Validated by: every tensor re-read bit-identical; resnet18 rebuilt'
  expect_line '✓ PASS'
  py "import torch, torchvision, sys
ck = torch.load(sys.argv[1])
assert ck['config'] == {'class_path': 'torchvision.models.resnet18', 'init_args': {'num_classes': 3}}, ck['config']
assert ck['model_name'] == 'resnet18' and ck['num_classes'] == 3
src = torch.load(sys.argv[2])['state_dict']
assert list(ck['state_dict'].keys()) == list(src.keys())
for k, v in src.items(): assert torch.equal(ck['state_dict'][k], v), k
net = torchvision.models.resnet18(**ck['config']['init_args']); net.load_state_dict(ck['state_dict'])
w = torch.load(sys.argv[1], weights_only=True)
assert torch.equal(w['state_dict']['fc.weight'], src['fc.weight'])" "$OUT/r.pth" "$FIX/ckpt_guide.pt" ||
    fail "stock torch.load check failed"
  # and it exports again, as any guide checkpoint does
  run --checkpoint_path "$OUT/r.pth" --output_path "$OUT/r.onnx" --input_shape 1,3,64,64
  expect_exit 0
  expect_line 'Creating model: resnet18 \(base, 3 classes\)'
  expect_line '✓ PASS'
}
case_torch_from_torchscript() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --format torch --output_path "$OUT/s.pth"
  expect_exit 0
  expect_line '✓ PASS'
  py "import torch, sys
ck = torch.load(sys.argv[1]); ref = torch.jit.load(sys.argv[2]).state_dict()
assert list(ck['state_dict'].keys()) == list(ref.keys()), (list(ck['state_dict'])[:5], list(ref)[:5])
for k, v in ref.items(): assert torch.equal(ck['state_dict'][k], v), k" "$OUT/s.pth" "$FIX/small.pt" ||
    fail "state dict differs from the TorchScript module's"
}

# OpenVINO IR out: structural check plus the IR read back into ONNX Runtime.
case_openvino_from_torchscript() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.xml" --json
  expect_exit 0
  expect_line 'structural check passed; the IR read back into ONNX'
  json_check 'd["format"] == "openvino" and d["validation"]["status"] == "PASS"'
  json_check 'd["extra_paths"][0].endswith("m.bin")'
  [ -s "$OUT/m.bin" ] || fail "m.bin was not written"
  py "import xml.etree.ElementTree as ET, sys
r = ET.parse(sys.argv[1]).getroot()
assert r.tag == 'net' and r.get('version') == '11', r.attrib
types = {l.get('type') for l in r.iter('layer')}
assert {'Parameter', 'Result', 'Convolution'} <= types, types" "$OUT/m.xml" || fail "not an IR v11 net"
}
case_openvino_compressed() {
  run --checkpoint_path "$FIX/ckpt_guide.pt" --output_path "$OUT/full.xml" --input_shape 1,3,64,64
  expect_exit 0
  run --checkpoint_path "$FIX/ckpt_guide.pt" --output_path "$OUT/half.xml" --input_shape 1,3,64,64 --compress_to_fp16
  expect_exit 0
  expect_line '✓ PASS'
  local full half
  full=$(stat -c %s "$OUT/full.bin"); half=$(stat -c %s "$OUT/half.bin")
  [ $((half * 100 / full)) -le 55 ] || fail "fp16 weights take $half of $full bytes"
}
case_onnx_to_openvino() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --no-validate
  expect_exit 0
  run --onnx_path "$OUT/m.onnx" --format openvino --output_path "$OUT/m.xml"
  expect_exit 0
  no_errors
  expect_line 'Loading ONNX model from'
  expect_line '✓ PASS'
  [ -s "$OUT/m.bin" ] || fail "m.bin was not written"
}
case_onnx_int64_inputs_to_openvino() {
  run --onnx_path "$FIX/tokens.onnx" --format openvino --output_path "$OUT/t.xml" --json
  expect_exit 0
  json_check 'd["source_kind"] == "onnx" and d["validation"]["status"] == "PASS"'
  py "import xml.etree.ElementTree as ET, sys
r = ET.parse(sys.argv[1]).getroot()
p = [l for l in r.iter('layer') if l.get('type') == 'Parameter'][0]
assert p.find('data').get('element_type') == 'i64', p.find('data').attrib" "$OUT/t.xml" ||
    fail "the token input is not int64 in the IR"
}
case_onnx_to_torch_refused() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --no-validate
  rm -f "$W/all.txt"
  mkdir -p "$W/o2"; OUT=$W/o2
  error_case 2 --onnx_path "$W/out/m.onnx" --format torch --output_path "$OUT/m.pth"
  expect_line 'needs a PyTorch model'
}

# ONNX precision: fp16 halves the file and passes the fp16 bands; int8 shrinks it to about a
# quarter and passes by cosine similarity.
case_onnx_fp16() {
  run --checkpoint_path "$FIX/ckpt_guide.pt" --output_path "$OUT/f32.onnx" --input_shape 1,3,64,64 --no-validate
  run --checkpoint_path "$FIX/ckpt_guide.pt" --output_path "$OUT/f16.onnx" --input_shape 1,3,64,64 --precision fp16
  expect_exit 0
  expect_line '✓ PASS'
  onnx_check "$OUT/f16.onnx" 'm.graph.input[0].type.tensor_type.elem_type == 1 and any(t.data_type == 10 for t in m.graph.initializer)'
  local a b
  a=$(stat -c %s "$OUT/f32.onnx"); b=$(stat -c %s "$OUT/f16.onnx")
  [ $((b * 100 / a)) -le 55 ] || fail "fp16 file is $b bytes against $a"
  run --checkpoint_path "$FIX/ckpt_guide.pt" --output_path "$OUT/io16.onnx" --input_shape 1,3,64,64 --precision fp16 --fp16_io
  expect_exit 0
  expect_line '✓ PASS'
  onnx_check "$OUT/io16.onnx" 'm.graph.input[0].type.tensor_type.elem_type == 10 and m.graph.output[0].type.tensor_type.elem_type == 10'
}
case_onnx_int8() {
  run --checkpoint_path "$FIX/ckpt_guide.pt" --output_path "$OUT/f32.onnx" --input_shape 1,3,64,64 --no-validate
  run --checkpoint_path "$FIX/ckpt_guide.pt" --output_path "$OUT/q.onnx" --input_shape 1,3,64,64 --quantize int8 --json
  expect_exit 0
  json_check 'd["validation"]["status"] == "PASS" and d["validation"]["cosine_similarity"] >= 0.99'
  onnx_check "$OUT/q.onnx" 'any(n.op_type in ("DynamicQuantizeLinear", "DequantizeLinear") for n in m.graph.node)'
  local a b
  a=$(stat -c %s "$OUT/f32.onnx"); b=$(stat -c %s "$OUT/q.onnx")
  [ $((b * 100 / a)) -le 35 ] || fail "int8 file is $b bytes against $a"
}


# ---------------------------------------------------------------------------------------------
# The export guide, section by section (issue 16)
# ---------------------------------------------------------------------------------------------

# The guide's metric block, exactly: the verdict follows the three metric lines.
case_guide_metric_lines() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx"
  expect_exit 0
  local stamp='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} '
  grep -Eq "${stamp}\| INFO     \| Validation metrics:$" "$W/stdout.txt" || fail "no 'Validation metrics:' line"
  grep -A4 -E '\| Validation metrics:$' "$W/stdout.txt" | sed -E 's/^[^|]*\| //' >"$W/block.txt"
  py "import re, sys
lines = open(sys.argv[1]).read().splitlines()
pattern = [r'INFO     \| Validation metrics:$', r'INFO     \|   Max difference: [0-9]\.[0-9]{2}e[-+][0-9]{2}$',
           r'INFO     \|   MSE: [0-9]\.[0-9]{2}e[-+][0-9]{2}$', r'INFO     \|   Cosine similarity: [01]\.[0-9]{6}$',
           r'SUCCESS  \| ✓ PASS - ONNX export validation successful$']
assert len(lines) == 5, lines
for line, p in zip(lines, pattern): assert re.match(p, line), (line, p)" "$W/block.txt" ||
    fail "the metric block is not the guide's"
  # two outputs: the same block (worst of the outputs), then one line per output
  run --checkpoint_path "$FIX/two_inputs.pt" --input_shape 1,4 --input_shape 1,4 --output_path "$OUT/t.onnx" --dynamic_axes
  expect_exit 0
  [ "$(grep -c '|   Max difference:' "$W/stdout.txt")" -eq 1 ] || fail "more than one guide metric line"
  expect_line 'Output output \(batch_size=2\) \[2x4\]: max difference'
}

# ERROR lines go to stderr; with --json a failure is still one JSON document on stdout.
case_errors_stderr_and_json() {
  run --checkpoint_path "$FIX/no_such_model.pt" --output_path "$OUT/m.onnx"
  expect_exit 2
  grep -q 'ERROR' "$W/stderr.txt" || fail "the ERROR line is not on stderr"
  ! grep -q 'ERROR' "$W/stdout.txt" || fail "an ERROR line went to stdout"
  run --checkpoint_path "$FIX/no_such_model.pt" --output_path "$OUT/m.onnx" --json
  expect_exit 2
  json_check 'd["error"]["code"] == "bad_input" and d["error"]["exit_code"] == 2 and "no_such_model" in d["error"]["message"]'
  run --checkpoint_path "$FIX/unsupported.pt" --input_shape 1,4,4 --output_path "$OUT/m.onnx" --json
  expect_exit 3
  json_check 'd["error"]["code"] == "unsupported_ops" and d["error"]["exit_code"] == 3'
  run --checkpont_path "$FIX/small.pt" --json
  expect_exit 2
  json_check 'd["error"]["code"] == "bad_input"'
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/a.onnx" --no-validate
  run --checkpoint_path "$FIX/small_other.pt" "${SHAPE[@]}" --validate_only --onnx_path "$OUT/a.onnx" --json
  expect_exit 1
  json_check 'd["error"]["code"] == "validation_failed" and d["validation"]["status"] == "FAIL"'
}

# A module LibTorch cannot freeze is its own failure (5), not an unsupported op.
case_freeze_failure_has_its_own_exit_code() {
  error_case 5 --checkpoint_path "$FIX/unfreezable.pt" --input_shape 2,3 --output_path "$OUT/m.onnx"
  expect_line 'freezing the module failed: .*ModuleContainerIndex'
  run --checkpoint_path "$FIX/unfreezable.pt" --input_shape 2,3 --output_path "$OUT/m.onnx" --json
  json_check 'd["error"]["code"] == "trace_failed" and d["error"]["exit_code"] == 5'
}

# A shape the model rejects while tracing is bad input (2), with the model's own message.
case_input_shape_rejected_by_model() {
  error_case 2 --checkpoint_path "$FIX/flat.pt" --input_shape 1,3,64,64 --output_path "$OUT/m.onnx"
  expect_line 'mat1 and mat2 shapes cannot be multiplied'
}

# Verdicts are judged on the scaled difference; when the guide's absolute bands would say
# otherwise, one line says so, and --absolute_bands judges as the guide does.
case_absolute_bands() {
  run --checkpoint_path "$FIX/scaled.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --json
  expect_exit 0
  json_check 'd["validation"]["max_diff"] >= 1e-5 and d["validation"]["scaled_max_diff"] < 1e-5'
  json_check 'd["validation"]["status"] == "PASS" and d["validation"]["absolute_status"] != "PASS"'
  expect_line "Verdict PASS judged on the difference scaled by the output's magnitude: .* the guide's absolute bands .* give (WARN|FAIL)"
  run --checkpoint_path "$FIX/scaled.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --absolute_bands --json
  json_check 'd["validation"]["absolute_bands"] is True and d["validation"]["status"] == d["validation"]["absolute_status"] != "PASS"'
  expect_no_line 'judged on the difference scaled'
}

# --validate_only reads inputs (fixed and dynamic dims, dtypes) and precision from the file.
case_validate_only_reads_the_file() {
  run --checkpoint_path "$FIX/ckpt_guide.pt" --input_shape 4,3,64,64 --output_path "$OUT/b4.onnx" --no-validate
  run --checkpoint_path "$FIX/ckpt_guide.pt" --onnx_path "$OUT/b4.onnx" --validate_only --json
  expect_exit 0
  expect_line 'Inputs from the file: input \[4,3,64,64\] float32; precision fp32'
  json_check 'd["validation"]["status"] == "PASS" and d["validation"]["outputs"][0]["shape"] == [4, 3]'
  run --checkpoint_path "$FIX/ckpt_guide.pt" --onnx_path "$OUT/b4.onnx" --validate_only --batch_size 2
  expect_exit 2
  expect_clean_error
  expect_line 'fixed at 4 on axis 0'
  run --checkpoint_path "$FIX/ckpt_guide.pt" --input_shape 1,3,64,64 --output_path "$OUT/dyn.onnx" --dynamic_axes --no-validate
  run --checkpoint_path "$FIX/ckpt_guide.pt" --input_shape 1,3,64,64 --onnx_path "$OUT/dyn.onnx" --validate_only --json
  expect_exit 0
  json_check 'any("batch_size=2" in o["name"] and o["shape"][0] == 2 for o in d["validation"]["outputs"])'
}
case_validate_only_fp16_int8() {
  run --checkpoint_path "$FIX/ckpt_guide.pt" --input_shape 1,3,64,64 --output_path "$OUT/h.onnx" --precision fp16
  expect_exit 0
  run --checkpoint_path "$FIX/ckpt_guide.pt" --onnx_path "$OUT/h.onnx" --validate_only --json
  expect_exit 0
  expect_line 'precision fp16'
  json_check 'd["validation"]["precision"] == "fp16" and d["validation"]["passed"] is True'
  run --checkpoint_path "$FIX/ckpt_guide.pt" --input_shape 1,3,64,64 --output_path "$OUT/h16.onnx" --precision fp16 --fp16_io
  expect_exit 0
  run --checkpoint_path "$FIX/ckpt_guide.pt" --onnx_path "$OUT/h16.onnx" --validate_only
  expect_exit 0
  expect_line 'input \[1,3,64,64\] float16; precision fp16'
  run --checkpoint_path "$FIX/ckpt_guide.pt" --input_shape 1,3,64,64 --output_path "$OUT/q.onnx" --quantize int8
  expect_exit 0
  run --checkpoint_path "$FIX/ckpt_guide.pt" --onnx_path "$OUT/q.onnx" --validate_only --json
  expect_exit 0
  json_check 'd["validation"]["precision"] == "int8" and d["validation"]["passed"] is True'
}

# Named dynamic axes: every axis named becomes symbolic, each is validated at a second size.
case_dynamic_axes_spec() {
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --json \
    --dynamic_axes '{"input": {"0": "batch", "2": "height", "3": "width"}}'
  expect_exit 0
  onnx_check "$OUT/m.onnx" 'dims(m.graph.input[0]) == ["batch", 3, "height", "width"]'
  onnx_check "$OUT/m.onnx" 'dims(m.graph.output[0]) == ["batch", 10]'
  json_check 'sorted(o["name"] for o in d["validation"]["outputs"]) == ["output", "output (batch=2)", "output (height=64)", "output (width=64)"]'
  json_check 'd["validation"]["status"] == "PASS"'
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/s.onnx" --dynamic_axes input:0,2,3
  expect_exit 0
  onnx_check "$OUT/s.onnx" 'dims(m.graph.input[0]) == ["batch_size", 3, "input_dim2", "input_dim3"]'
  # the guide's bare flag keeps its meaning
  run --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/b.onnx" --dynamic_axes --batch_size 1
  expect_exit 0
  onnx_check "$OUT/b.onnx" 'dims(m.graph.input[0]) == ["batch_size", 3, 32, 32]'
}
# With a sample input, the second size of a dynamic axis is validated on that sample, extended
# by wrapping: token ids stay ids the model takes (random inputs would give ids 0 and 1, which
# this model cannot look up).
case_dynamic_axes_wrap_sample() {
  run --checkpoint_path "$FIX/shifted_embedding.pt" --sample_input "$FIX/token_ids.npy" \
    --output_path "$OUT/e.onnx" --json --dynamic_axes input:0,1
  expect_exit 0
  json_check 'd["validation"]["status"] == "PASS"'
  json_check 'sorted(o["name"] for o in d["validation"]["outputs"]) == ["output", "output (batch_size=2)", "output (input_dim1=7)"]'
}
# Bilinear resizing matches PyTorch to float rounding (ONNX Resize's own coordinate arithmetic
# differs by ~2e-4 on values of this size), at the fixed size (weights as constants) and with the
# image size free (weights computed in the graph), at every validated size.
case_bilinear_matches_pytorch() {
  for spec in "" "input:0,2,3"; do
    run --checkpoint_path "$FIX/upsample.pt" "${SHAPE[@]}" --output_path "$OUT/u${spec:+_dyn}.onnx" --json \
      --atol 0.00005 --rtol 0 ${spec:+--dynamic_axes $spec}
    expect_exit 0
    json_check 'd["validation"]["status"] == "PASS"'
    json_check 'all(o["max_diff"] <= 5e-5 for o in d["validation"]["outputs"])'
    [ -z "$spec" ] || json_check 'any("input_dim2=" in o["name"] for o in d["validation"]["outputs"])'
  done
  onnx_check "$OUT/u.onnx" 'not any(n.op_type == "Resize" for n in m.graph.node)'
  onnx_check "$OUT/u_dyn.onnx" 'not any(n.op_type == "Resize" for n in m.graph.node)'
}
case_dynamic_axes_refused() {
  error_case 2 --checkpoint_path "$FIX/flat.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --dynamic_axes input:0,2
  expect_line "axis 2 of 'input' \('input_dim2'\) cannot be dynamic: the model fails at size 64 instead of 32: .*mat1 and mat2 shapes cannot be multiplied"
  # the model runs at 64, the exported file does not: refused, no file, also without validation
  error_case 2 --checkpoint_path "$FIX/pool4.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --dynamic_axes input:0,2,3
  expect_line "the export is not dynamic on 'input_dim2' at input_dim2=64: .*; no file written"
  error_case 2 --checkpoint_path "$FIX/pool4.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --dynamic_axes input:0,2,3 --no-validate
  expect_line "the export is not dynamic on 'input_dim2'"
  run --checkpoint_path "$FIX/pool4.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --dynamic_axes input:0
  expect_exit 0
  rm -f "$OUT/m.onnx"
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --dynamic_axes input:7
  expect_line 'has 4 axes'
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --dynamic_axes '{"image": [0]}'
  expect_line "names 'image', which is not an input"
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --dynamic_axes '{"input": '
  expect_line 'not valid JSON'
  error_case 2 --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" --output_path "$OUT/m.onnx" --dynamic_axes '{"output": {"1": "classes"}}'
  expect_line 'cannot be dynamic'
}

# ---------------------------------------------------------------------------------------------
# Interruptions: SIGINT/SIGTERM leave no partial or temporary file; exit 130 / 143
# ---------------------------------------------------------------------------------------------

# start_bg ARGS...: runs ml-export in the background (PID in BG).
start_bg() {
  echo "\$ ml-export $* &"
  (cd "$W" && exec "$ML_EXPORT" "$@") >"$W/stdout.txt" 2>"$W/stderr.txt" &
  BG=$!
}
# wait_bg: waits for the background run, keeps its exit code and output like run does.
wait_bg() {
  wait "$BG"
  RC=$?
  cat "$W/stdout.txt" "$W/stderr.txt" >"$W/all.txt"
  sed 's/^/  | /' "$W/all.txt"
  echo "  exit code $RC"
}
# wait_for_line REGEX SECONDS: until the background run prints a matching line.
wait_for_line() {
  local k
  for ((k = 0; k < $2 * 20; k++)); do
    cat "$W/stdout.txt" "$W/stderr.txt" 2>/dev/null | grep -Eq -- "$1" && return 0
    kill -0 "$BG" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

case_interrupt_export() {
  "$MLEXPORT_DEMO" "$W/big.pt" resnet50 10 >/dev/null || fail "mlexport-demo failed"
  # SIGINT while the file is being written: its temporary file must go too.
  start_bg --checkpoint_path "$W/big.pt" --output_path "$OUT/x_0.6.onnx"
  wait_for_line 'Exporting to ONNX format' 120 || fail "the export never started"
  local k
  for ((k = 0; k < 2000; k++)); do
    ls -A "$OUT" | grep -q . && break
    sleep 0.01
  done
  echo "interrupting with files present: $(ls -A "$OUT")"
  kill -INT "$BG"
  wait_bg
  expect_exit 130
  expect_line 'interrupted by SIGINT'
  expect_no_line 'internal error|terminate called'
  expect_no_output
  # SIGTERM during validation (the file complete, not validated): removed as well.
  start_bg --checkpoint_path "$W/big.pt" --output_path "$OUT/x.onnx"
  for ((k = 0; k < 12000; k++)); do
    [ -e "$OUT/x.onnx" ] && break
    sleep 0.01
  done
  [ -e "$OUT/x.onnx" ] || fail "the file was never written"
  kill -TERM "$BG"
  wait_bg
  expect_exit 143
  expect_line 'interrupted by SIGTERM'
  expect_no_output
}
case_interrupt_pattern() {
  for k in 0 1 2 3; do
    mkdir -p "$OUT/runs/fold_$k/weights"
    cp "$FIX/ckpt_guide.pt" "$OUT/runs/fold_$k/weights/best.pt"
  done
  start_bg --pattern "out/runs/fold_*/weights/best.pt" --input_shape 1,3,64,64
  wait_for_line 'Exported to .*fold_0' 120 || fail "the first model never finished"
  wait_for_line 'Exporting checkpoint 2/4' 60
  kill -TERM "$BG"
  wait_bg
  expect_exit 143
  expect_line 'interrupted by SIGTERM: successfully exported [1-3]/4 models before the interruption'
  [ -s "$OUT/runs/fold_0/weights/best.onnx" ] || fail "the finished export was removed"
  local n exported
  n=$(grep -Eo 'exported [0-9]/4' "$W/all.txt" | grep -Eo '[0-9]' | head -1)
  exported=$(find "$OUT/runs" -name 'best.onnx' | wc -l)
  [ "$exported" -eq "$n" ] || fail "$exported files left but the summary says $n finished"
  [ -z "$(find "$OUT/runs" -name '.*tmp-*')" ] || fail "temporary files left: $(find "$OUT/runs" -name '.*tmp-*')"
}

# ---------------------------------------------------------------------------------------------
# The guide's "Complete Example" workflow, unchanged except for paths, with zoo checkpoints
# written at test time by mlexport-demo. Its Python deployment snippet runs as the equivalent
# Node program (tests/cli/deploy_snippet.js) in onnxruntime-node: this machine has no Python
# onnxruntime.
# ---------------------------------------------------------------------------------------------

guide() {
  echo "\$ $*"
  (cd "$W/project" && "$@") >"$W/stdout.txt" 2>"$W/stderr.txt"
  RC=$?
  cat "$W/stdout.txt" "$W/stderr.txt" >"$W/all.txt"
  sed 's/^/  | /' "$W/all.txt"
  echo "  exit code $RC"
}

case_guide_workflow() {
  mkdir -p "$W/project/runs/hymenoptera_base_fold_0/weights"
  cd "$W/project" || return
  "$MLEXPORT_DEMO" runs/hymenoptera_base_fold_0/weights/best.pt resnet18 2 || fail "mlexport-demo failed"
  printf 'model: resnet18\nnum_classes: 2\n' >runs/hymenoptera_base_fold_0/config.yaml
  local ml_export=$ML_EXPORT
  # 3. Export to ONNX
  guide "$ml_export" \
    --checkpoint_path runs/hymenoptera_base_fold_0/weights/best.pt \
    --batch_size 4 \
    --verbose
  expect_exit 0
  expect_line 'Loading checkpoint from runs/hymenoptera_base_fold_0/weights/best.pt'
  expect_line 'Creating model: resnet18 \(base'
  expect_line 'SUCCESS  \| ✓ Model exported to: runs/hymenoptera_base_fold_0/weights/best.onnx'
  expect_line 'SUCCESS  \| ✓ PASS - ONNX export validation successful'
  expect_line 'pass '
  # 4. Verify export
  guide "$ml_export" \
    --checkpoint_path runs/hymenoptera_base_fold_0/weights/best.pt \
    --onnx_path runs/hymenoptera_base_fold_0/weights/best.onnx \
    --validate_only
  expect_exit 0
  expect_line 'input \[4,3,224,224\] float32'
  expect_line 'SUCCESS  \| ✓ PASS - ONNX export validation successful'
  # 5. Copy to deployment location
  guide mkdir -p deployment/models
  guide cp runs/hymenoptera_base_fold_0/weights/best.onnx deployment/models/hymenoptera_v1.onnx
  expect_exit 0
  guide cp runs/hymenoptera_base_fold_0/config.yaml deployment/models/hymenoptera_v1_config.yaml
  expect_exit 0
  # 6. Document deployment
  echo "Model: ResNet18" > deployment/models/README.txt
  echo "Trained: 2025-10-06" >> deployment/models/README.txt
  echo "Test Accuracy: 91.5%" >> deployment/models/README.txt
  echo "ONNX Opset: 14" >> deployment/models/README.txt
  onnx_check deployment/models/hymenoptera_v1.onnx '[o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] == [14]'
  # The deployment snippet, at the exported batch size.
  guide node "$CLI_SOURCE/deploy_snippet.js" deployment/models/hymenoptera_v1.onnx
  expect_exit 0
  expect_line '^Predicted class: [01]$'
  expect_line '^Confidence: -?[0-9]+\.[0-9]{4}$'
  expect_line '^Output shape: 4,2$'
  cd "$W" || return
}

case_guide_cross_validation() {
  mkdir -p "$W/project"
  cd "$W/project" || return
  for fold in {0..4}; do
    mkdir -p runs/hymenoptera_base_fold_$fold/weights
    "$MLEXPORT_DEMO" runs/hymenoptera_base_fold_$fold/weights/best.pt simple_cnn 2 >/dev/null || fail "mlexport-demo failed"
  done
  mkdir -p deployment
  local ml_export=$ML_EXPORT
  # Export all folds
  for fold in {0..4}; do
    guide "$ml_export" --checkpoint_path runs/hymenoptera_base_fold_$fold/weights/best.pt
    expect_exit 0
    expect_line '✓ PASS - ONNX export validation successful'
  done
  # Or use batch export
  guide "$ml_export" --pattern "runs/hymenoptera_base_fold_*/weights/best.pt"
  expect_exit 0
  expect_line 'INFO     \| Found 5 checkpoints matching pattern'
  expect_line 'INFO     \| Exporting checkpoint 1/5: runs/hymenoptera_base_fold_0/weights/best.pt'
  expect_line 'SUCCESS  \| ✓ Exported to runs/hymenoptera_base_fold_4/weights/best.onnx'
  expect_line 'SUCCESS  \| ✓ Successfully exported 5/5 models'
  guide cp runs/hymenoptera_base_fold_2/weights/best.onnx deployment/production_model.onnx
  expect_exit 0
  # The summary's two commands ("Ready to export?")
  mkdir -p runs/my_model_fold_0/weights
  "$MLEXPORT_DEMO" runs/my_model_fold_0/weights/best.pt simple_cnn 2 >/dev/null || fail "mlexport-demo failed"
  guide "$ml_export" --checkpoint_path runs/my_model_fold_0/weights/best.pt
  expect_exit 0
  guide "$ml_export" \
    --checkpoint_path runs/my_model_fold_0/weights/best.pt \
    --validate_only
  expect_exit 0
  expect_line 'Validating runs/my_model_fold_0/weights/best\.onnx'
  expect_line '✓ PASS - ONNX export validation successful'
  cd "$W" || return
}

# ---------------------------------------------------------------------------------------------
# Operator libraries (--ops_library) and torchvision's operators
# ---------------------------------------------------------------------------------------------

case_ops_library_missing() {
  error_case 2 --ops_library "$W/no_such_ops.so" --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" \
    --output_path "$OUT/m.onnx"
  expect_line 'operator library .*no_such_ops\.so does not load'
}
case_ops_library_not_a_library() {
  error_case 2 --ops_library "$FIX/text.pt" --checkpoint_path "$FIX/small.pt" "${SHAPE[@]}" \
    --output_path "$OUT/m.onnx"
  expect_line 'text\.pt does not load'
}
# A user's own TORCH_LIBRARY op: without --ops_library the archive does not load (exit 2); with it
# the archive loads and the op is reported as having no conversion rule (exit 3).
case_ops_library_own_op() {
  [ -f "${TEST_OPS_LIBRARY:-}" ] || { fail "TEST_OPS_LIBRARY is not set"; return; }
  py "
import torch
torch.ops.load_library('$TEST_OPS_LIBRARY')
class M(torch.nn.Module):
    def forward(self, x):
        return torch.ops.mlexport_test.twice(x) + 1
torch.jit.trace(M(), torch.rand(2, 3)).save('$W/own.pt')
" || { fail "fixture"; return; }
  error_case 2 --checkpoint_path "$W/own.pt" --input_shape 2,3 --output_path "$OUT/own.onnx"
  expect_line 'not a readable TorchScript archive \(Unknown builtin op: mlexport_test::twice.*--ops_library'
  error_case 3 --ops_library "$TEST_OPS_LIBRARY" --checkpoint_path "$W/own.pt" --input_shape 2,3 \
    --output_path "$OUT/own.onnx"
  expect_line 'No conversion rule found for operations: mlexport_test::twice'
}
# An archive calling torchvision::nms loads (torchvision's library is loaded when installed),
# exports to NonMaxSuppression and validates on boxes given as a sample input.
case_torchvision_nms() {
  local lib
  lib=$(ls /usr/lib/python3/dist-packages/torchvision/_C.*.so 2>/dev/null | head -1)
  if [ -z "$lib" ]; then echo "SKIP: python3-torchvision's operator library is not installed"; exit 77; fi
  py "
import numpy as np, torch, torchvision
class M(torch.nn.Module):
    def forward(self, boxes, scores):
        return torchvision.ops.nms(boxes, scores, 0.5)
g = torch.Generator().manual_seed(3)
xy = torch.rand(16, 2, generator=g) * 10
boxes = torch.cat([xy, xy + 1 + 4 * torch.rand(16, 2, generator=g)], 1)
scores = torch.rand(16, generator=g)
torch.jit.trace(M(), (boxes, scores)).save('$W/nms.pt')
np.savez('$W/boxes.npz', boxes=boxes.numpy(), scores=scores.numpy())
" || { fail "fixture"; return; }
  run --ops_library "$lib" --checkpoint_path "$W/nms.pt" --input_shape 16,4 --input_shape 16 \
    --sample_input "$W/boxes.npz" --output_path "$OUT/nms.onnx"
  expect_exit 0
  expect_line 'PASS'
  # The kept count is known at run time only: the output's dim is not a fixed number.
  onnx_check "$OUT/nms.onnx" "any(n.op_type == \"NonMaxSuppression\" for n in m.graph.node) and not m.graph.output[0].type.tensor_type.shape.dim[0].HasField(\"dim_value\")"
}
# Ops without a translation are all reported at once, each with the reason (exit 3).
case_torchvision_unsupported_ops() {
  if ! ls /usr/lib/python3/dist-packages/torchvision/_C.*.so >/dev/null 2>&1; then
    echo "SKIP: python3-torchvision's operator library is not installed"; exit 77
  fi
  py "
import torch, torchvision.ops as ops
class M(torch.nn.Module):
    def forward(self, x, rois, offset, w):
        a = ops.ps_roi_align(x, rois, 2, 1.0, 2)
        b = ops.ps_roi_pool(x, rois, 2, 1.0)
        c = ops.deform_conv2d(x, offset, w, padding=1)
        return a, b, c
x = torch.rand(1, 8, 6, 6)
rois = torch.tensor([[0.0, 0.0, 0.0, 4.0, 4.0]])
torch.jit.trace(M(), (x, rois, torch.zeros(1, 18, 6, 6), torch.rand(2, 8, 3, 3))).save('$W/ps.pt')
" || { fail "fixture"; return; }
  error_case 3 --checkpoint_path "$W/ps.pt" --input_shape 1,8,6,6 --input_shape 1,5 \
    --input_shape 1,18,6,6 --input_shape 2,8,3,3 --output_path "$OUT/ps.onnx"
  expect_line 'torchvision::ps_roi_align \(position-sensitive RoI align has no ONNX operator'
  expect_line 'torchvision::ps_roi_pool'
  expect_line 'torchvision::deform_conv2d \(ONNX DeformConv needs opset 19'
}

# ---------------------------------------------------------------------------------------------

list_cases() { declare -F | sed -n 's/^declare -f case_//p'; }

main() {
  local name=${1:-}
  case "$name" in
    "") echo "usage: $0 setup|list|CASE"; exit 2 ;;
    setup) do_setup; exit $? ;;
    list) list_cases; exit 0 ;;
  esac
  declare -F "case_$name" >/dev/null || { echo "unknown case '$name' (see: $0 list)"; exit 2; }
  [ -n "${ML_EXPORT:-}" ] && [ -x "$ML_EXPORT" ] || { echo "ML_EXPORT is not an executable: ${ML_EXPORT:-}"; exit 2; }
  [ -n "$FIX" ] && [ -f "$FIX/.stamp" ] || { echo "fixtures missing in '$FIX' (run: $0 setup)"; exit 2; }
  W=${CLI_WORK:-$(mktemp -d)}/$name
  rm -rf "$W"
  mkdir -p "$W/out"
  OUT=$W/out
  "case_$name"
  if [ "$FAILED" -ne 0 ]; then
    if [ -n "${MLEXPORT_KNOWN_FAILURE:-}" ]; then
      echo "KNOWN FAILURE (on the list in tests/cli/CMakeLists.txt): $MLEXPORT_KNOWN_FAILURE"
      exit 77
    fi
    echo "case $name FAILED"
    exit 1
  fi
  if [ -n "${MLEXPORT_KNOWN_FAILURE:-}" ]; then
    echo "NOTE: case $name is on the known-failure list but passes now; remove it from the list."
  fi
  rm -rf "$W"
  echo "case $name passed"
}

main "$@"
