// The one library entry point every front end (CLI, C++ API, batch, service) calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mlexport/diagnostics.h"
#include "mlexport/option_values.h"

namespace mlexport {

struct InputSpec {
  std::vector<int64_t> shape;  // includes the batch dimension
  std::string dtype = "float32";
};

struct ValidationOptions {
  bool enabled = true;
  uint64_t seed = 0;
  int num_samples = 1;
  std::string sample_input;  // .npy / .npz with the inputs to use instead of random ones
  std::vector<std::string> more_sample_inputs;  // further inputs that validation also compares on
  std::string runtime = "onnxruntime";          // the only one (OpenCV DNN was removed)
  std::optional<double> atol;                   // with rtol: element-wise |a-b| <= atol + rtol*|a|
  std::optional<double> rtol;
  // Judge by the export guide's absolute bands on the raw max difference, not on the difference
  // scaled by the output's magnitude.
  bool absolute_bands = false;
  // How outputs are compared: elementwise; detections (boxes/scores/labels matched as sets,
  // other per-detection outputs through the match); unordered (each output's rows as a
  // multiset). kAuto: detections when the outputs look like detections, else elementwise.
  Compare compare = Compare::kAuto;
  // Where the export first diverges (see Divergence): after a WARN or FAIL, always, or never.
  Localize localize = Localize::kAuto;
  // Bytes of intermediate values exposed per run while localising; more are found by bisection.
  uint64_t localize_budget_bytes = 64ull << 20;
};

// Progress messages for front ends ("Creating model: resnet18 (base)"); level is INFO or WARNING.
using EventCallback = std::function<void(const std::string& level, const std::string& message)>;

struct ExportRequest {
  std::string model_path;    // TorchScript archive, torch.save checkpoint or .safetensors
  std::string model;         // architecture for checkpoints; wins over the file's, with a warning
  int64_t num_classes = -1;  // for checkpoints; -1: from the file or its classifier weights
  bool non_strict = false;   // load checkpoints whose keys do not all match
  int batch_size = 0;        // dim 0 of default input shapes (0: 1)
  std::string output_path;   // default: beside the input with the format's extension
  std::string format;  // a name from list_formats(); empty: from output_path's extension, else onnx
  std::vector<InputSpec> inputs;  // empty: taken from the archive's metadata if present
  int opset_version = 17;
  bool dynamic_axes = false;
  // Named dynamic axes (ONNX): input or output name -> axis -> symbol, as torch.onnx.export's
  // dynamic_axes. Every axis given becomes symbolic; validation runs a second size on each.
  std::map<std::string, std::map<int64_t, std::string>> dynamic_axes_spec;
  bool simplify = true;
  std::vector<std::string> disabled_passes;
  bool verify_each = false;  // check the IR after every pass (a conversion's debugging aid)
  bool external_data = false;
  Precision precision = Precision::kFp32;  // onnx: kFp16 stores weights and computes in float16
  bool fp16_io = false;  // with fp16: inputs and outputs in float16 too (else float32)
  Quantization quantize = Quantization::kNone;  // onnx: kInt8, dynamic quantization of weights
  bool compress_to_fp16 = false;                // openvino: float32 weights stored as float16
  // With fp16: ops kept in float32, each an IR op type ("Pow"), a source op ("aten::pow") or a
  // module scope ("encoder.layers.3", matching that module and everything inside it).
  std::vector<std::string> keep_fp32;
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;
  ValidationOptions validation;
  bool validate_only = false;  // validate `onnx_path` against the model, write nothing
  std::string onnx_path;   // with validate_only: the file to check; without model_path: the input
  bool verbose = false;    // keep the IR text and pass log in the result
  EventCallback on_event;  // optional
  // TORCH_LIBRARY operator libraries to load (dlopen) before the model; torchvision's is loaded
  // automatically when Debian's python3-torchvision is installed.
  std::vector<std::string> ops_libraries;
  // Segmentation models: "logits" (default), "probabilities" (softmax over the class axis),
  // "argmax" (int64 class map [N, H, W]) or "argmax:uint8". Appended to the IR (ONNX, OpenVINO)
  // and applied to the reference for validation.
  std::string segmentation_output = "logits";
  // What the model does, recorded in every format's metadata: classification, detection,
  // instance_segmentation, segmentation, anomaly or regression. Empty: from the checkpoint or
  // the zoo architecture.
  std::string task;
};

struct OutputMetrics {
  std::string name;
  std::vector<int64_t> shape;
  double max_diff = 0;         // max |a - b|
  double scaled_max_diff = 0;  // max |a - b| / max(1, max |a|)
  double mse = 0;
  double cosine_similarity = 1;
  double max_abs_reference = 0;
  bool within_tolerance = true;  // only meaningful with atol/rtol
  std::string status;            // PASS / WARN / FAIL
  std::string absolute_status;   // the verdict of the guide's absolute bands on max_diff
  // Class maps (--segmentation_output argmax): "pixels equal 4094/4096 (99.95%); 2 flipped
  // where the reference scores differ by <= 3e-07". max_diff is then that largest score gap,
  // mse the fraction of differing pixels.
  std::string class_map;
};

// The first node of the exported graph whose output exceeds the tolerance while its inputs are
// within it, found by comparing intermediate values with the reference's on the example input.
struct Divergence {
  bool ran = false;
  bool found = false;
  std::string node;       // IR node name, as in the ONNX file
  std::string op;         // IR (ONNX) op type
  std::string source_op;  // the op it was translated from ("aten::conv2d")
  std::string scope;      // module scope ("layer1.0.conv1")
  std::string location;   // source line ("model.py:12")
  std::string value;      // the value compared (the node's output)
  OutputMetrics metrics;
  std::vector<OutputMetrics> inputs;  // the values it reads that were compared, all within
  // Nodes between those inputs and it whose outputs have no reference value (a pass made them,
  // or an op's translation needs several nodes): the divergence may lie in any of them.
  std::vector<std::string> uncompared_nodes;
  std::vector<OutputMetrics> worst_downstream;  // largest differences after it, worst first
  // Every compared node that exceeds while its compared inputs are within, this one first: the
  // places where the error starts, as far as the values compared show.
  std::vector<std::string> origins;
  std::vector<std::string> keep_fp32;  // with fp16: --keep_fp32 values that fix it
  int candidates = 0;                  // values that have a reference value
  int compared = 0;                    // values compared
  int runs = 0;                        // runs of the exported graph
  double seconds = 0;
  std::string note;  // why nothing was found, or what limited the search
};

struct ValidationResult {
  bool ran = false;
  std::string runtime;  // "onnxruntime 1.30.0", ...
  std::string method;  // how the file was checked ("structural check; read back into ONNX Runtime")
  std::string status;  // PASS / WARN / FAIL (worst of the outputs)
  bool passed = false;  // PASS or WARN
  double max_diff = 0, scaled_max_diff = 0, mse = 0, cosine_similarity = 1;
  std::vector<OutputMetrics> outputs;
  std::vector<std::string> notes;  // e.g. "axis 0 of output stayed fixed at 1"
  // What the validation inputs took at the model's data-dependent control flow ("If at
  // model.py:12 both branches; Loop at model.py:18 with 1, 3, 7 iterations"); empty if none.
  std::string control_flow;
  // Compared as detections: "matched n/m" over every sample (m counts the larger side).
  std::string detections;
  std::string compare;  // the comparison used: elementwise, detections or unordered
  double seconds = 0;
  std::string absolute_status;  // the verdict of the guide's absolute bands (differs from status
                                // only when judging on the scaled difference changed it)
  std::string precision;        // bands applied: "fp32", "fp16" or "int8"
  bool absolute_bands = false;  // status was judged on the raw max difference
  Divergence divergence;
};

struct ExportResult {
  std::string source_kind;   // "torchscript", "checkpoint", "safetensors", "onnx", "module"
  std::string architecture;  // zoo architecture for checkpoints
  std::string task;          // --task, the checkpoint's or the architecture's; "" when unknown
  std::vector<std::string> class_names;         // from the checkpoint, when it has them
  std::map<std::string, std::string> metadata;  // from the checkpoint (epoch, ...)
  std::string output_path;
  std::vector<std::string> extra_paths;  // files written beside output_path (OpenVINO's .bin)
  std::string format;
  uint64_t output_bytes = 0;
  int node_count = 0;
  std::map<std::string, double> timings;  // seconds per stage
  std::vector<std::string> input_names, output_names;
  ValidationResult validation;
  std::string ir_text;                // with verbose
  std::vector<std::string> pass_log;  // "constant-folding: changed", ...
};

// Exports (or, with validate_only, validates) one model. Throws mlexport::Error on failure.
ExportResult export_model(const ExportRequest& request);

}  // namespace mlexport
