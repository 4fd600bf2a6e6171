#include "core/formats/format_registry.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/segmentation_output.h"

namespace mlexport {
namespace core {

const std::vector<FormatRow>& format_rows() {
  static const std::vector<FormatRow> rows = {
      {{"onnx",
        "ONNX",
        {".onnx"},
        true,
        "",
        "ONNX Runtime",
        "ONNX opsets 11-17; --precision fp16, --quantize int8"},
       write_onnx,
       validate_onnx,
       {FormatOption::kPrecision, FormatOption::kNamedDynamicAxes,
        FormatOption::kSegmentationOutput}},
      {{"openvino",
        "OpenVINO IR",
        {".xml"},
        true,
        "",
        "structural check of the IR, then the IR read back into ONNX Runtime",
        "OpenVINO IR v11 (.xml + .bin); --compress_to_fp16",
        "layers"},
       write_openvino,
       validate_openvino,
       {FormatOption::kSegmentationOutput, FormatOption::kCompressToFp16}},
      {{"torchscript",
        "TorchScript",
        {".ts", ".pt"},
        true,
        "",
        "LibTorch (torch::jit::load)",
        "frozen, eval-mode TorchScript with the export metadata inside"},
       write_torchscript,
       validate_torchscript,
       {},
       true},
      {{"torch",
        "PyTorch checkpoint",
        {".pth", ".ckpt"},
        true,
        "",
        "mlexport's checkpoint reader (the weights reloaded into the model)",
        "torch.save-compatible state dict and model configuration"},
       write_torch,
       validate_torch,
       {},
       true},
      {{"tensorrt",
        "TensorRT",
        {".engine", ".plan"},
        false,
        "needs NVIDIA's TensorRT SDK and a CUDA GPU; neither exists on this platform",
        "",
        ""},
       nullptr,
       nullptr},
      {{"torch_export_ir",
        "Torch Export IR",
        {".ptir", ".pt2"},
        false,
        "torch.export needs PyTorch 2.1 or newer; mlexport links LibTorch 1.13",
        "",
        ""},
       nullptr,
       nullptr},
  };
  return rows;
}

namespace {

// Whether a request uses a format-specific option, and what a format that does not take it says.
struct OptionRule {
  FormatOption option;
  bool (*used)(const ExportRequest& request);
  std::string (*refusal)(const FormatInfo& format);
};

const std::vector<OptionRule>& option_rules() {
  static const std::vector<OptionRule> rules = {
      {FormatOption::kPrecision,
       [](const ExportRequest& r) {
         return r.precision != Precision::kFp32 || r.quantize != Quantization::kNone;
       },
       [](const FormatInfo&) {
         return std::string("--precision and --quantize apply to ONNX exports only");
       }},
      {FormatOption::kNamedDynamicAxes,
       [](const ExportRequest& r) { return !r.dynamic_axes_spec.empty(); },
       [](const FormatInfo& f) {
         return "named --dynamic_axes apply to ONNX exports; " + f.display_name +
                " takes --dynamic_axes alone (a dynamic batch)";
       }},
      {FormatOption::kSegmentationOutput,
       [](const ExportRequest& r) {
         return !parse_segmentation_output(r.segmentation_output).is_logits();
       },
       [](const FormatInfo& f) {
         return "--segmentation_output applies to ONNX and OpenVINO exports; the " +
                f.display_name + " format keeps the model's logits";
       }},
      {FormatOption::kCompressToFp16, [](const ExportRequest& r) { return r.compress_to_fp16; },
       [](const FormatInfo&) {
         return std::string("--compress_to_fp16 applies to OpenVINO exports only");
       }},
  };
  return rules;
}

}  // namespace

bool FormatRow::accepts(FormatOption option) const {
  return std::find(options.begin(), options.end(), option) != options.end();
}

bool FormatRow::accepts(const ExportRequest& request, bool pytorch_source, std::string* why) const {
  for (const OptionRule& rule : option_rules())
    if (rule.used(request) && !accepts(rule.option)) {
      if (why) *why = rule.refusal(info);
      return false;
    }
  if (needs_pytorch_model && !pytorch_source && !request.validate_only) {
    if (why)
      *why = "format '" + info.name + "' needs a PyTorch model; an ONNX file cannot become " +
             info.display_name;
    return false;
  }
  return true;
}

const FormatRow* find_format_row(const std::string& name) {
  for (const auto& row : format_rows())
    if (row.info.name == name) return &row;
  return nullptr;
}

}  // namespace core

std::vector<FormatInfo> list_formats() {
  std::vector<FormatInfo> out;
  for (const auto& row : core::format_rows()) out.push_back(row.info);
  return out;
}

const FormatInfo* find_format(const std::string& name) {
  const core::FormatRow* row = core::find_format_row(name);
  return row ? &row->info : nullptr;
}

const FormatInfo* format_for_path(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext.empty()) return nullptr;
  // Rows are in priority order, so ".pt" finds TorchScript before anything else could claim it.
  for (const auto& row : core::format_rows())
    for (const auto& e : row.info.extensions)
      if (e == ext) return &row.info;
  return nullptr;
}

}  // namespace mlexport
