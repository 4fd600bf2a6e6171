#include "core/formats/format_registry.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

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
       validate_onnx},
      {{"openvino",
        "OpenVINO IR",
        {".xml"},
        true,
        "",
        "structural check of the IR, then the IR read back into ONNX Runtime",
        "OpenVINO IR v11 (.xml + .bin); --compress_to_fp16"},
       write_openvino,
       validate_openvino},
      {{"torchscript",
        "TorchScript",
        {".ts", ".pt"},
        true,
        "",
        "LibTorch (torch::jit::load)",
        "frozen, eval-mode TorchScript with the export metadata inside"},
       write_torchscript,
       validate_torchscript},
      {{"torch",
        "PyTorch checkpoint",
        {".pth", ".ckpt"},
        true,
        "",
        "mlexport's checkpoint reader (the weights reloaded into the model)",
        "torch.save-compatible state dict and model configuration"},
       write_torch,
       validate_torch},
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
