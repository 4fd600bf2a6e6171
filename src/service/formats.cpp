#include "service/formats.h"

#include <algorithm>
#include <stdexcept>

#include "service/child_process.h"
#include "store/errors.h"

namespace mlexport::service {

namespace {

using nlohmann::json;
using store::invalid;

constexpr int kMinOpset = 11, kMaxOpset = 17, kDefaultOpset = 17;
constexpr int64_t kMaxDim = 8192, kMaxElements = int64_t{1} << 28;

// Options every available format takes; the last column names the formats (empty: all).
struct OptionSpec {
  const char* name;
  const char* type;
  json default_value;
  json constraints;  // minimum/maximum or enum
  const char* description;
  std::vector<std::string> formats;
};

const std::vector<OptionSpec>& option_specs() {
  static const std::vector<OptionSpec> specs = {
      {"opset_version",
       "integer",
       kDefaultOpset,
       {{"minimum", kMinOpset}, {"maximum", kMaxOpset}},
       "ONNX opset (recorded for every format; used by ONNX and the ONNX step of OpenVINO)",
       {}},
      {"input_shape",
       "shape",
       nullptr,
       {{"minItems", 1}, {"maxItems", 6}, {"maximum", kMaxDim}},
       "input shape, e.g. [1, 3, 224, 224]; default: 1 + the experiment's input_size",
       {}},
      {"dynamic_axes",
       "dynamic_axes",
       nullptr,
       json::object(),
       "true, or {\"input\": {\"0\": \"batch_size\"}, \"output\": {\"0\": \"batch_size\"}}: dim 0 "
       "becomes the symbol batch_size",
       {"onnx", "openvino"}},
      {"simplify", "boolean", true, json::object(), "run the simplifying passes", {}},
      {"precision",
       "string",
       "fp32",
       {{"enum", {"fp32", "fp16"}}},
       "ONNX weights and compute",
       {"onnx"}},
      {"quantize",
       "string",
       "none",
       {{"enum", {"none", "int8"}}},
       "ONNX dynamic int8 quantization of MatMul/Gemm/Conv weights",
       {"onnx"}},
      {"external_data",
       "boolean",
       false,
       json::object(),
       "ONNX weights in a .data file beside the model",
       {"onnx"}},
      {"compress_to_fp16",
       "boolean",
       false,
       json::object(),
       "OpenVINO weights stored as float16",
       {"openvino"}},
      {"task",
       "string",
       "auto",
       {{"enum",
         {"auto", "classification", "detection", "instance_segmentation", "segmentation", "anomaly",
          "regression"}}},
       "the task written into the file's metadata; auto: the project's task (project.json), "
       "else the checkpoint's, else the architecture's (a task the architecture cannot do "
       "fails the export)",
       {}},
      {"segmentation_output",
       "string",
       "logits",
       {{"enum", {"logits", "probabilities", "argmax", "argmax:uint8"}}},
       "a segmentation model's output: logits, softmax probabilities, or an H x W class map "
       "(int64, or uint8)",
       {"onnx", "openvino"}},
  };
  return specs;
}

bool applies(const OptionSpec& spec, const std::string& format) {
  return spec.formats.empty() ||
         std::find(spec.formats.begin(), spec.formats.end(), format) != spec.formats.end();
}

json option_schema(const OptionSpec& spec) {
  json j = {{"name", spec.name},
            {"type", spec.type},
            {"default", spec.default_value},
            {"description", spec.description}};
  j.update(spec.constraints);
  return j;
}

json design_dynamic_axes() {
  return {{"input", {{"0", "batch_size"}}}, {"output", {{"0", "batch_size"}}}};
}

json check_shape(const json& value, const std::string& field) {
  if (!value.is_array() || value.empty() || value.size() > 6)
    throw invalid("input_shape must be a list of 1 to 6 positive integers", field);
  int64_t elements = 1;
  for (const auto& d : value) {
    if (!d.is_number_integer() || d.get<int64_t>() <= 0 || d.get<int64_t>() > kMaxDim)
      throw invalid("input_shape dimensions must be integers from 1 to " + std::to_string(kMaxDim),
                    field);
    elements *= d.get<int64_t>();
    if (elements > kMaxElements) throw invalid("input_shape is too large", field);
  }
  return value;
}

// Accepts true/false or the studio design's form; only dim 0 of "input" and "output" can be
// dynamic, because that is what the exporter supports.
json check_dynamic_axes(const json& value, const std::string& field) {
  if (value.is_null() || (value.is_boolean() && !value.get<bool>())) return nullptr;
  if (value.is_boolean()) return design_dynamic_axes();
  if (value.is_object()) {
    if (value.empty()) return nullptr;
    for (const auto& [name, axes] : value.items()) {
      if (name != "input" && name != "output")
        throw invalid("dynamic_axes names only \"input\" and \"output\"", field);
      if (!axes.is_object() || axes.size() != 1 || !axes.contains("0") || axes["0"] != "batch_size")
        throw invalid("dynamic_axes supports only {\"0\": \"batch_size\"} (dim 0)", field);
    }
    return design_dynamic_axes();
  }
  throw invalid("dynamic_axes must be true, false or {\"input\": {\"0\": \"batch_size\"}, ...}",
                field);
}

}  // namespace

FormatRegistry::FormatRegistry(json formats) : formats_(std::move(formats)) {
  for (auto& f : formats_) {
    json options = json::array();
    if (f.value("available", false))
      for (const auto& spec : option_specs())
        if (applies(spec, f.value("name", ""))) options.push_back(option_schema(spec));
    f["options"] = options;
    if (f.value("unavailable_reason", "").empty()) f["unavailable_reason"] = nullptr;
  }
}

FormatRegistry FormatRegistry::from_cli(const std::string& cli) {
  ChildResult r = run_child(
      {cli, "--list_formats", "--json"}, [](const std::string&) {}, nullptr);
  if (!r.started || r.exit_code != 0)
    throw std::runtime_error(cli + " --list_formats --json failed (is the CLI built?)");
  json formats = json::parse(r.out, nullptr, false);
  if (!formats.is_array()) throw std::runtime_error(cli + " --list_formats --json printed no list");
  return FormatRegistry(formats);
}

const json* FormatRegistry::find(const std::string& name) const {
  for (const auto& f : formats_)
    if (f.value("name", "") == name) return &f;
  return nullptr;
}

json FormatRegistry::normalize_options(const std::string& format, const json& options,
                                       const std::vector<int64_t>& default_shape) const {
  const json* entry = find(format);
  if (!entry)
    throw invalid("unknown format '" + format + "' (see GET /api/export/formats)", "format");
  if (!entry->value("available", false))
    throw store::RequestError(400, "format_unavailable",
                              "format '" + format + "' is not available: " +
                                  entry->value("unavailable_reason", std::string()),
                              "format");
  if (!options.is_null() && !options.is_object())
    throw invalid("options must be an object", "options");
  json out = json::object();
  const json given = options.is_object() ? options : json::object();
  for (const auto& item : given.items()) {
    const std::string& name = item.key();  // not a structured binding: clang 14 cannot capture one
    auto it = std::find_if(option_specs().begin(), option_specs().end(),
                           [&](const OptionSpec& s) { return name == s.name; });
    if (it == option_specs().end() || !applies(*it, format))
      throw invalid("option '" + name + "' is not accepted by format '" + format + "'",
                    "options." + name);
  }
  for (const auto& spec : option_specs()) {
    if (!applies(spec, format)) continue;
    const std::string field = std::string("options.") + spec.name;
    const json value = given.contains(spec.name) ? given[spec.name] : spec.default_value;
    const std::string type = spec.type;
    if (type == "shape") {
      out[spec.name] = value.is_null() ? json(default_shape) : check_shape(value, field);
    } else if (type == "dynamic_axes") {
      out[spec.name] = check_dynamic_axes(value, field);
    } else if (type == "boolean") {
      if (!value.is_boolean())
        throw invalid(std::string(spec.name) + " must be true or false", field);
      out[spec.name] = value;
    } else if (type == "integer") {
      if (!value.is_number_integer())
        throw invalid(std::string(spec.name) + " must be an integer", field);
      const int64_t v = value.get<int64_t>();
      if (v < spec.constraints["minimum"].get<int64_t>() ||
          v > spec.constraints["maximum"].get<int64_t>())
        throw invalid(std::string(spec.name) + " must be from " +
                          spec.constraints["minimum"].dump() + " to " +
                          spec.constraints["maximum"].dump(),
                      field);
      out[spec.name] = v;
    } else {  // string with an enum
      const json& allowed = spec.constraints["enum"];
      if (!value.is_string() || std::find(allowed.begin(), allowed.end(), value) == allowed.end())
        throw invalid(std::string(spec.name) + " must be one of " + allowed.dump(), field);
      out[spec.name] = value;
    }
  }
  // The studio design's record names dynamic_axes for every export; null where it cannot apply.
  if (!out.contains("dynamic_axes")) out["dynamic_axes"] = nullptr;
  if (out.contains("precision") && out["precision"] == "fp16" && out["quantize"] == "int8")
    throw invalid("precision fp16 and quantize int8 cannot be combined", "options.quantize");
  return out;
}

std::vector<std::string> FormatRegistry::cli_flags(const std::string& format, const json& o) {
  std::vector<std::string> flags = {"--format", format};
  flags.push_back("--opset_version");
  flags.push_back(std::to_string(o["opset_version"].get<int64_t>()));
  std::string shape;
  for (const auto& d : o["input_shape"]) shape += (shape.empty() ? "" : ",") + d.dump();
  flags.push_back("--input_shape");
  flags.push_back(shape);
  if (o.contains("dynamic_axes") && !o["dynamic_axes"].is_null()) flags.push_back("--dynamic_axes");
  flags.push_back(o["simplify"].get<bool>() ? "--simplify" : "--no-simplify");
  if (o.contains("precision") && o["precision"] == "fp16") {
    flags.push_back("--precision");
    flags.push_back("fp16");
  }
  if (o.contains("quantize") && o["quantize"] == "int8") {
    flags.push_back("--quantize");
    flags.push_back("int8");
  }
  if (o.value("external_data", false)) flags.push_back("--external_data");
  if (o.value("compress_to_fp16", false)) flags.push_back("--compress_to_fp16");
  if (o.contains("task") && o["task"] != "auto") {
    flags.push_back("--task");
    flags.push_back(o["task"].get<std::string>());
  }
  if (o.contains("segmentation_output") && o["segmentation_output"] != "logits") {
    flags.push_back("--segmentation_output");
    flags.push_back(o["segmentation_output"].get<std::string>());
  }
  return flags;
}

}  // namespace mlexport::service
