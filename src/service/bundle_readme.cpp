#include "service/bundle_readme.h"

namespace mlexport::service {

namespace {

std::string how_to_run(const std::string& format, const std::string& file,
                       const std::string& shape) {
  if (format == "onnx")
    return "```python\nimport numpy as np, onnxruntime as ort\n"
           "session = ort.InferenceSession(\"" +
           file +
           "\")\n"
           "x = np.random.randn(" +
           shape +
           ").astype(np.float32)\n"
           "print(session.run(None, {session.get_inputs()[0].name: x})[0])\n```\n";
  if (format == "openvino")
    return "```python\nimport numpy as np, openvino as ov\n"
           "model = ov.Core().compile_model(\"" +
           file +
           "\", \"CPU\")  # model.bin beside it\n"
           "x = np.random.randn(" +
           shape +
           ").astype(np.float32)\n"
           "print(model(x)[0])\n```\n";
  if (format == "torchscript")
    return "```python\nimport torch\nmodel = torch.jit.load(\"" + file +
           "\").eval()\n"
           "print(model(torch.randn(" +
           shape + ")))\n```\n\nC++: `torch::jit::load(\"" + file + "\")`.\n";
  if (format == "torch")
    return "```python\nimport torch\ncheckpoint = torch.load(\"" + file +
           "\", map_location=\"cpu\")\n"
           "state_dict = checkpoint[\"state_dict\"]  # config: checkpoint[\"config\"]\n```\n";
  return "";
}

}  // namespace

std::string bundle_readme(const nlohmann::json& record) {
  const std::string format = record.value("format", "");
  const std::string file = record.value("output_file", "");
  std::string shape;
  for (const auto& d : record["options"].value("input_shape", nlohmann::json::array()))
    shape += (shape.empty() ? "" : ", ") + d.dump();
  std::string text = "# " + record.value("id", std::string("export")) + "\n\n";
  text += "`" + file + "`: experiment `" + record.value("experiment_id", "") + "`, checkpoint `" +
          record.value("checkpoint", "") + "` (" + record.value("architecture", "") +
          "), exported to " + format + " by mlexport " + record.value("mlexport_version", "") +
          ".\n\n";
  text += "Input: float32 of shape [" + shape + "]";
  if (record["options"].contains("dynamic_axes") && !record["options"]["dynamic_axes"].is_null())
    text += ", dim 0 dynamic (batch_size)";
  text += ".\n\n";
  const auto& v = record["validation"];
  if (v.is_object() && !v["max_diff"].is_null())
    text += "Validated against the original model: " + v.value("status", std::string()) +
            ", max difference " + v["max_diff"].dump() + ".\n\n";
  text +=
      "`export.json` holds the full record: options, validation report, SHA-256 of every "
      "file and of the checkpoint.\n\n## Run it\n\n";
  text += how_to_run(format, file, shape);
  return text;
}

}  // namespace mlexport::service
