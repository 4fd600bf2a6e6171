#include "emit/openvino/openvino_check.h"

#include <charconv>
#include <filesystem>
#include <map>
#include <optional>
#include <pugixml.hpp>
#include <set>
#include <string_view>
#include <vector>

#include "mlexport/diagnostics.h"

namespace mlexport::emit {

namespace {

constexpr int kMany = 1 << 20;

// What the opset specifications say of one versioned layer type.
struct LayerSpec {
  std::vector<const char*> required;  // attributes of <data> that must be present
  int min_in, max_in, min_out, max_out;
};

using SpecTable = std::map<std::pair<std::string, std::string>, LayerSpec>;

void add_all(SpecTable& t, std::initializer_list<const char*> types, const char* version,
             const LayerSpec& spec) {
  for (const char* type : types) t[{type, version}] = spec;
}

const SpecTable& spec_table() {
  static const SpecTable table = [] {
    SpecTable t;
    const LayerSpec unary{{}, 1, 1, 1, 1};
    const LayerSpec binary{{}, 2, 2, 1, 1};
    const std::vector<const char*> window = {"strides", "pads_begin", "pads_end"};
    t[{"Parameter", "opset1"}] = {{"shape", "element_type"}, 0, 0, 1, 1};
    t[{"Result", "opset1"}] = {{}, 1, 1, 0, 0};
    t[{"Const", "opset1"}] = {{"element_type", "shape", "offset", "size"}, 0, 0, 1, 1};
    add_all(t, {"Convolution", "GroupConvolution"}, "opset1",
            {{"strides", "dilations", "pads_begin", "pads_end"}, 2, 2, 1, 1});
    add_all(t, {"ConvolutionBackpropData", "GroupConvolutionBackpropData"}, "opset1",
            {{"strides", "dilations", "pads_begin", "pads_end"}, 2, 3, 1, 1});
    t[{"MaxPool", "opset1"}] = {{"strides", "pads_begin", "pads_end", "kernel"}, 1, 1, 1, 1};
    for (const char* v : {"opset8", "opset14"})
      t[{"MaxPool", v}] = {
          {"strides", "dilations", "pads_begin", "pads_end", "kernel"}, 1, 1, 2, 2};
    for (const char* v : {"opset1", "opset14"})
      t[{"AvgPool", v}] = {
          {"strides", "pads_begin", "pads_end", "kernel", "exclude-pad"}, 1, 1, 1, 1};
    add_all(t, {"ReLU", "Sigmoid",  "Tanh",  "Exp",     "Log",  "Sqrt", "Abs",
                "Erf",  "Negative", "Floor", "Ceiling", "Sin",  "Cos",  "Tan",
                "Asin", "Acos",     "Atan",  "Sinh",    "Cosh", "Sign", "LogicalNot"},
            "opset1", unary);
    for (const char* v : {"opset3", "opset4"}) add_all(t, {"Asinh", "Acosh", "Atanh"}, v, unary);
    add_all(t, {"SoftPlus", "Mish", "HSwish"}, "opset4", unary);
    t[{"Swish", "opset4"}] = {{}, 1, 2, 1, 1};
    t[{"HSigmoid", "opset5"}] = unary;
    t[{"SoftSign", "opset9"}] = unary;
    t[{"Gelu", "opset2"}] = unary;
    t[{"Gelu", "opset7"}] = unary;
    t[{"Round", "opset5"}] = {{"mode"}, 1, 1, 1, 1};
    add_all(t, {"IsNaN", "IsInf", "IsFinite"}, "opset10", unary);
    add_all(t, {"Add",        "Subtract",  "Multiply",   "Divide",
                "Power",      "Maximum",   "Minimum",    "SquaredDifference",
                "FloorMod",   "Mod",       "Equal",      "NotEqual",
                "Less",       "LessEqual", "Greater",    "GreaterEqual",
                "LogicalAnd", "LogicalOr", "LogicalXor", "PRelu"},
            "opset1", binary);
    t[{"Select", "opset1"}] = {{}, 3, 3, 1, 1};
    t[{"Convert", "opset1"}] = {{"destination_type"}, 1, 1, 1, 1};
    t[{"Clamp", "opset1"}] = {{"min", "max"}, 1, 1, 1, 1};
    t[{"HardSigmoid", "opset1"}] = {{}, 3, 3, 1, 1};
    t[{"Selu", "opset1"}] = {{}, 3, 3, 1, 1};
    t[{"Elu", "opset1"}] = {{"alpha"}, 1, 1, 1, 1};
    t[{"Softmax", "opset1"}] = {{"axis"}, 1, 1, 1, 1};
    t[{"Softmax", "opset8"}] = {{"axis"}, 1, 1, 1, 1};
    t[{"Interpolate", "opset11"}] = {{"mode", "shape_calculation_mode"}, 2, 3, 1, 1};
    t[{"LogSoftmax", "opset5"}] = {{"axis"}, 1, 1, 1, 1};
    t[{"MatMul", "opset1"}] = binary;
    t[{"BatchNormInference", "opset1"}] = {{"epsilon"}, 5, 5, 1, 1};
    t[{"BatchNormInference", "opset5"}] = {{"epsilon"}, 5, 5, 1, 1};
    t[{"MVN", "opset6"}] = {{"eps", "normalize_variance", "eps_mode"}, 2, 2, 1, 1};
    t[{"Reshape", "opset1"}] = {{"special_zero"}, 2, 2, 1, 1};
    t[{"Concat", "opset1"}] = {{"axis"}, 1, kMany, 1, 1};
    t[{"Transpose", "opset1"}] = binary;
    t[{"Squeeze", "opset1"}] = {{}, 1, 2, 1, 1};
    t[{"Unsqueeze", "opset1"}] = binary;
    t[{"ShapeOf", "opset1"}] = unary;
    t[{"ShapeOf", "opset3"}] = unary;
    for (const char* v : {"opset1", "opset7", "opset8"}) t[{"Gather", v}] = {{}, 3, 3, 1, 1};
    t[{"GatherElements", "opset6"}] = {{"axis"}, 2, 2, 1, 1};
    t[{"GatherND", "opset5"}] = binary;
    t[{"GatherND", "opset8"}] = binary;
    t[{"Slice", "opset8"}] = {{}, 4, 5, 1, 1};
    t[{"StridedSlice", "opset1"}] = {{"begin_mask", "end_mask"}, 3, 4, 1, 1};
    t[{"Broadcast", "opset1"}] = {{}, 2, 3, 1, 1};
    t[{"Broadcast", "opset3"}] = {{}, 2, 3, 1, 1};
    t[{"VariadicSplit", "opset1"}] = {{}, 3, 3, 1, kMany};
    t[{"Split", "opset1"}] = {{"num_splits"}, 2, 2, 1, kMany};
    t[{"Pad", "opset1"}] = {{"pad_mode"}, 3, 4, 1, 1};
    t[{"Pad", "opset12"}] = {{"pad_mode"}, 3, 4, 1, 1};
    t[{"Tile", "opset1"}] = binary;
    t[{"DepthToSpace", "opset1"}] = {{"block_size", "mode"}, 1, 1, 1, 1};
    t[{"Range", "opset1"}] = {{}, 3, 3, 1, 1};
    t[{"Range", "opset4"}] = {{"output_type"}, 3, 3, 1, 1};
    add_all(t,
            {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceLogicalAnd",
             "ReduceLogicalOr"},
            "opset1", binary);
    add_all(t, {"ReduceL1", "ReduceL2"}, "opset4", binary);
    for (const char* v : {"opset1", "opset3", "opset11"})
      t[{"TopK", v}] = {{"axis", "mode", "sort"}, 2, 2, 2, 2};
    t[{"CumSum", "opset3"}] = {{}, 2, 3, 1, 1};
    t[{"Einsum", "opset7"}] = {{"equation"}, 1, kMany, 1, 1};
    t[{"ScatterNDUpdate", "opset3"}] = {{}, 3, 3, 1, 1};
    t[{"ScatterNDUpdate", "opset15"}] = {{}, 3, 3, 1, 1};
    t[{"ScatterElementsUpdate", "opset3"}] = {{}, 4, 4, 1, 1};
    t[{"ScatterElementsUpdate", "opset12"}] = {{}, 4, 4, 1, 1};
    t[{"NonZero", "opset3"}] = unary;
    t[{"GridSample", "opset9"}] = binary;
    t[{"ROIAlign", "opset3"}] = {
        {"pooled_h", "pooled_w", "sampling_ratio", "spatial_scale", "mode"}, 3, 3, 1, 1};
    t[{"ROIAlign", "opset9"}] = {
        {"pooled_h", "pooled_w", "sampling_ratio", "spatial_scale", "mode"}, 3, 3, 1, 1};
    t[{"ROIPooling", "opset2"}] = {{"pooled_h", "pooled_w", "spatial_scale"}, 2, 2, 1, 1};
    for (const char* v : {"opset5", "opset9"}) t[{"NonMaxSuppression", v}] = {{}, 2, 6, 3, 3};
    add_all(t, {"DFT", "IDFT"}, "opset7", {{}, 2, 3, 1, 1});
    t[{"RDFT", "opset9"}] = {{}, 2, 3, 1, 1};
    add_all(t, {"BitwiseLeftShift", "BitwiseRightShift"}, "opset15", binary);
    // Control flow: its bodies and port maps are checked by check_bodies().
    t[{"If", "opset8"}] = {{}, 1, kMany, 1, kMany};
    t[{"Loop", "opset5"}] = {{}, 2, kMany, 1, kMany};
    t[{"LSTMSequence", "opset5"}] = {{"hidden_size", "direction"}, 7, 7, 3, 3};
    add_all(t, {"GRUSequence", "RNNSequence"}, "opset5",
            {{"hidden_size", "direction"}, 6, 6, 2, 2});
    return t;
  }();
  return table;
}

struct ElementType {
  const char* element_type;  // as in <data element_type=...>
  const char* precision;     // as in <port precision=...>
  size_t size;
};

constexpr ElementType kElementTypes[] = {
    {"f32", "FP32", 4},    {"f16", "FP16", 2}, {"bf16", "BF16", 2}, {"f64", "FP64", 8},
    {"i8", "I8", 1},       {"u8", "U8", 1},    {"i16", "I16", 2},   {"u16", "U16", 2},
    {"i32", "I32", 4},     {"u32", "U32", 4},  {"i64", "I64", 8},   {"u64", "U64", 8},
    {"boolean", "BOOL", 1}};

const ElementType* by_element_type(std::string_view name) {
  for (const auto& e : kElementTypes)
    if (name == e.element_type) return &e;
  return nullptr;
}

const ElementType* by_precision(std::string_view name) {
  if (name == "BOOLEAN") name = "BOOL";
  for (const auto& e : kElementTypes)
    if (name == e.precision) return &e;
  return nullptr;
}

Error problem(const std::string& where, const std::string& what) {
  return Error(ExitCode::kInternal, "OpenVINO IR check: " + where + ": " + what);
}

std::optional<int64_t> parse_int(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "1, 3, 224" -> {1, 3, 224}; "?" stands for a dynamic dim (-1). Empty text is a scalar.
std::optional<std::vector<int64_t>> parse_shape(std::string_view s) {
  std::vector<int64_t> out;
  if (s.find_first_not_of(' ') == std::string_view::npos) return out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string_view part =
        s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part == "?" || part == "-1") {
      out.push_back(-1);
    } else {
      auto v = parse_int(part);
      if (!v || *v < 0) return std::nullopt;
      out.push_back(*v);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

struct Port {
  const ElementType* type = nullptr;
  std::vector<int64_t> dims;
  bool is_input = false;
  int edges_in = 0;
};

struct LayerInfo {
  std::string name, type, version;
  std::map<int, Port> ports;
  std::vector<int> successors;
};

std::string layer_where(int id, const LayerInfo& l) {
  return "layer " + std::to_string(id) + " (" + l.name + ", " + l.type + ")";
}

bool dims_compatible(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k)
    if (a[k] >= 0 && b[k] >= 0 && a[k] != b[k]) return false;
  return true;
}

std::string dims_text(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t k = 0; k < d.size(); ++k) s += (k ? "," : "") + std::to_string(d[k]);
  return s + "]";
}

void read_ports(pugi::xml_node group, bool is_input, int id, LayerInfo& l) {
  for (pugi::xml_node p : group.children("port")) {
    auto pid = parse_int(p.attribute("id").value());
    if (!pid) throw problem(layer_where(id, l), "a port without a numeric id");
    if (l.ports.count(static_cast<int>(*pid)))
      throw problem(layer_where(id, l), "port id " + std::to_string(*pid) + " is used twice");
    Port port;
    port.is_input = is_input;
    std::string precision = p.attribute("precision").value();
    if (precision.empty())
      throw problem(layer_where(id, l), "port " + std::to_string(*pid) + " has no precision");
    port.type = by_precision(precision);
    if (!port.type)
      throw problem(layer_where(id, l),
                    "port " + std::to_string(*pid) + " has unknown precision " + precision);
    for (pugi::xml_node d : p.children("dim")) {
      auto v = parse_int(d.text().get());
      if (!v || *v < -1)
        throw problem(layer_where(id, l),
                      "port " + std::to_string(*pid) + " has a bad dim '" + d.text().get() + "'");
      port.dims.push_back(*v);
    }
    l.ports[static_cast<int>(*pid)] = port;
  }
}

void check_layer_data(pugi::xml_node x, int id, LayerInfo& l, const std::string& bin_path,
                      uint64_t bin_size) {
  auto key = std::make_pair(l.type, l.version);
  auto it = spec_table().find(key);
  if (it == spec_table().end())
    throw problem(layer_where(id, l), "type " + l.type + " is not known in " + l.version);
  const LayerSpec& spec = it->second;
  pugi::xml_node data = x.child("data");
  for (const char* attr : spec.required)
    if (!data.attribute(attr))
      throw problem(layer_where(id, l),
                    "required attribute '" + std::string(attr) + "' is missing");
  int ins = 0, outs = 0;
  for (const auto& [pid, p] : l.ports) (p.is_input ? ins : outs)++;
  if (ins < spec.min_in || ins > spec.max_in)
    throw problem(layer_where(id, l), "has " + std::to_string(ins) + " input ports");
  if (outs < spec.min_out || outs > spec.max_out)
    throw problem(layer_where(id, l), "has " + std::to_string(outs) + " output ports");

  if (l.type != "Const" && l.type != "Parameter") return;
  const ElementType* et = by_element_type(data.attribute("element_type").value());
  if (!et)
    throw problem(
        layer_where(id, l),
        "unknown element_type '" + std::string(data.attribute("element_type").value()) + "'");
  auto shape = parse_shape(data.attribute("shape").value());
  if (!shape)
    throw problem(layer_where(id, l),
                  "bad shape '" + std::string(data.attribute("shape").value()) + "'");
  const Port& out = l.ports.begin()->second;
  if (out.type != et)
    throw problem(layer_where(id, l), "element_type " + std::string(et->element_type) +
                                          " but port precision " + out.type->precision);
  if (!dims_compatible(out.dims, *shape))
    throw problem(layer_where(id, l),
                  "shape " + dims_text(*shape) + " but port dims " + dims_text(out.dims));
  if (l.type != "Const") return;
  auto offset = parse_int(data.attribute("offset").value());
  auto size = parse_int(data.attribute("size").value());
  if (!offset || !size || *offset < 0 || *size < 0)
    throw problem(layer_where(id, l), "offset/size are not non-negative integers");
  uint64_t count = 1;
  for (int64_t d : *shape) {
    if (d < 0) throw problem(layer_where(id, l), "a Const with a dynamic shape");
    count *= static_cast<uint64_t>(d);
  }
  if (static_cast<uint64_t>(*size) != count * et->size)
    throw problem(layer_where(id, l), "size " + std::to_string(*size) + " but " +
                                          std::to_string(count) + " elements of " +
                                          et->element_type + " need " +
                                          std::to_string(count * et->size));
  if (static_cast<uint64_t>(*offset) + static_cast<uint64_t>(*size) > bin_size)
    throw problem(layer_where(id, l), "data at offset " + std::to_string(*offset) + " size " +
                                          std::to_string(*size) + " is outside " + bin_path + " (" +
                                          std::to_string(bin_size) + " bytes)");
}

void check_bodies(pugi::xml_node x, int id, const LayerInfo& l, const std::string& where,
                  const std::string& bin_path, uint64_t bin_size);

// One network (the model, or a body of If or Loop): layers, ports, edges, no cycle.
std::map<int, LayerInfo> check_network(pugi::xml_node net, const std::string& where,
                                       const std::string& bin_path, uint64_t bin_size,
                                       bool is_body) {
  std::map<int, LayerInfo> layers;
  int parameters = 0, results = 0;
  for (pugi::xml_node x : net.child("layers").children("layer")) {
    auto id = parse_int(x.attribute("id").value());
    if (!id) throw problem(where, "a layer without a numeric id");
    int lid = static_cast<int>(*id);
    if (layers.count(lid))
      throw problem(where, "layer id " + std::to_string(lid) + " is used twice");
    LayerInfo& l = layers[lid];
    l.name = x.attribute("name").value();
    l.type = x.attribute("type").value();
    l.version = x.attribute("version").value();
    if (l.type.empty() || l.version.empty())
      throw problem(layer_where(lid, l), "no type or version attribute");
    read_ports(x.child("input"), true, lid, l);
    read_ports(x.child("output"), false, lid, l);
    check_layer_data(x, lid, l, bin_path, bin_size);
    if (l.type == "If" || l.type == "Loop") check_bodies(x, lid, l, where, bin_path, bin_size);
    parameters += l.type == "Parameter";
    results += l.type == "Result";
  }
  if (parameters == 0 && !is_body) throw problem(where, "no Parameter layer");
  if (results == 0) throw problem(where, "no Result layer");

  for (pugi::xml_node e : net.child("edges").children("edge")) {
    auto fl = parse_int(e.attribute("from-layer").value());
    auto fp = parse_int(e.attribute("from-port").value());
    auto tl = parse_int(e.attribute("to-layer").value());
    auto tp = parse_int(e.attribute("to-port").value());
    if (!fl || !fp || !tl || !tp) throw problem(where, "an edge with a non-numeric end");
    std::string edge = "edge " + std::to_string(*fl) + ":" + std::to_string(*fp) + " -> " +
                       std::to_string(*tl) + ":" + std::to_string(*tp);
    auto from = layers.find(static_cast<int>(*fl));
    auto to = layers.find(static_cast<int>(*tl));
    if (from == layers.end() || to == layers.end())
      throw problem(where,
                    "dangling: no layer " + std::to_string(from == layers.end() ? *fl : *tl));
    auto src = from->second.ports.find(static_cast<int>(*fp));
    auto dst = to->second.ports.find(static_cast<int>(*tp));
    if (src == from->second.ports.end() || src->second.is_input)
      throw problem(edge, "dangling: " + layer_where(from->first, from->second) +
                              " has no output port " + std::to_string(*fp));
    if (dst == to->second.ports.end() || !dst->second.is_input)
      throw problem(edge, "dangling: " + layer_where(to->first, to->second) +
                              " has no input port " + std::to_string(*tp));
    if (src->second.type != dst->second.type)
      throw problem(edge, std::string("precision ") + src->second.type->precision + " flows into " +
                              dst->second.type->precision);
    if (!dims_compatible(src->second.dims, dst->second.dims))
      throw problem(edge, "dims " + dims_text(src->second.dims) + " flow into " +
                              dims_text(dst->second.dims));
    ++dst->second.edges_in;
    from->second.successors.push_back(to->first);
  }

  std::map<int, int> indegree;
  for (auto& [id, l] : layers) {
    indegree[id];
    for (const auto& [pid, p] : l.ports)
      if (p.is_input && p.edges_in != 1)
        throw problem(layer_where(id, l), "input port " + std::to_string(pid) + " has " +
                                              std::to_string(p.edges_in) + " incoming edges");
    for (int s : l.successors) ++indegree[s];
  }
  // Kahn's algorithm: every layer is reached only if there is no cycle.
  std::vector<int> ready;
  for (const auto& [id, d] : indegree)
    if (d == 0) ready.push_back(id);
  size_t visited = 0;
  while (!ready.empty()) {
    int id = ready.back();
    ready.pop_back();
    ++visited;
    for (int s : layers[id].successors)
      if (--indegree[s] == 0) ready.push_back(s);
  }
  if (visited != layers.size()) throw problem(where, "the graph has a cycle");
  return layers;
}

std::optional<int64_t> int_attr(pugi::xml_node x, const char* key) {
  return parse_int(x.attribute(key).value());
}

const Port* port_at(const LayerInfo& l, int id, bool is_input) {
  auto it = l.ports.find(id);
  return it == l.ports.end() || it->second.is_input != is_input ? nullptr : &it->second;
}

// The id of output port `index` (outputs counted from 0).
std::optional<int> output_port_id(const LayerInfo& l, int64_t index) {
  int64_t k = 0;
  for (const auto& [pid, p] : l.ports)
    if (!p.is_input && k++ == index) return pid;
  return std::nullopt;
}

// If-8 (then_body/else_body) and Loop-5 (body, back_edges): each body is a network of its own,
// and every port-map entry ties an outer port to a Parameter or Result of the same precision.
// If's output entries count outputs from 0; Loop's name output port ids, as in the opset
// specifications' examples.
void check_bodies(pugi::xml_node x, int id, const LayerInfo& l, const std::string& where,
                  const std::string& bin_path, uint64_t bin_size) {
  const bool is_if = l.type == "If";
  const std::vector<std::pair<const char*, const char*>> bodies =
      is_if ? std::vector<std::pair<const char*, const char*>>{{"then_body", "then_port_map"},
                                                               {"else_body", "else_port_map"}}
            : std::vector<std::pair<const char*, const char*>>{{"body", "port_map"}};
  const std::string here = where + ": " + layer_where(id, l);
  for (const auto& [body_tag, map_tag] : bodies) {
    pugi::xml_node body = x.child(body_tag);
    pugi::xml_node map = x.child(map_tag);
    if (!body || !map)
      throw problem(here, std::string("has no <") + (body ? map_tag : body_tag) + ">");
    const std::string in_body = here + " " + body_tag;
    const std::map<int, LayerInfo> inner = check_network(body, in_body, bin_path, bin_size, true);
    std::map<int, int> parameter_uses, result_uses;
    std::set<int> outputs_mapped;
    bool condition = false;
    auto inner_layer = [&](pugi::xml_node e, const char* type) -> const LayerInfo& {
      auto internal = int_attr(e, "internal_layer_id");
      auto it = internal ? inner.find(static_cast<int>(*internal)) : inner.end();
      if (it == inner.end() || it->second.type != type)
        throw problem(in_body, std::string(map_tag) + " names layer " +
                                   e.attribute("internal_layer_id").value() + ", not a " + type);
      return it->second;
    };
    for (pugi::xml_node e : map.children("input")) {
      const LayerInfo& p = inner_layer(e, "Parameter");
      ++parameter_uses[static_cast<int>(*int_attr(e, "internal_layer_id"))];
      auto external = int_attr(e, "external_port_id");
      if (!external) throw problem(in_body, "a port-map input without external_port_id");
      if (*external == -1 && !is_if &&
          std::string(e.attribute("purpose").value()) == "current_iteration") {
        const Port& it = p.ports.begin()->second;
        if (it.type->precision != std::string("I64") && it.type->precision != std::string("I32"))
          throw problem(in_body, "the current iteration is not an integer");
        continue;
      }
      const Port* outer = port_at(l, static_cast<int>(*external), true);
      if (!outer || (is_if && *external == 0))
        throw problem(in_body, "port-map input names outer port " + std::to_string(*external) +
                                   ", not a data input");
      const Port& param = p.ports.begin()->second;
      if (outer->type != param.type || outer->dims.size() != param.dims.size())
        throw problem(in_body, "outer port " + std::to_string(*external) + " (" +
                                   outer->type->precision + dims_text(outer->dims) +
                                   ") flows into Parameter " + p.name + " (" +
                                   param.type->precision + dims_text(param.dims) + ")");
    }
    for (pugi::xml_node e : map.children("output")) {
      const LayerInfo& r = inner_layer(e, "Result");
      ++result_uses[static_cast<int>(*int_attr(e, "internal_layer_id"))];
      auto external = int_attr(e, "external_port_id");
      if (!external) throw problem(in_body, "a port-map output without external_port_id");
      const Port& value = r.ports.begin()->second;
      if (*external == -1 && !is_if &&
          std::string(e.attribute("purpose").value()) == "execution_condition") {
        if (value.type->precision != std::string("BOOL"))
          throw problem(in_body, "the execution condition is not boolean");
        condition = true;
        continue;
      }
      auto pid =
          is_if ? output_port_id(l, *external) : std::optional<int>(static_cast<int>(*external));
      const Port* outer = pid ? port_at(l, *pid, false) : nullptr;
      if (!outer || !outputs_mapped.insert(*pid).second)
        throw problem(in_body, "port-map output names outer output " + std::to_string(*external) +
                                   (outer ? " twice" : ", which does not exist"));
      const bool concatenated = e.attribute("axis");
      if (outer->type != value.type || (!concatenated && outer->dims.size() != value.dims.size()))
        throw problem(in_body, "Result " + r.name + " (" + value.type->precision +
                                   dims_text(value.dims) + ") flows out as " +
                                   outer->type->precision + dims_text(outer->dims));
    }
    for (pugi::xml_node e : x.child("back_edges").children("edge")) {
      auto from = int_attr(e, "from-layer"), to = int_attr(e, "to-layer");
      auto r = from ? inner.find(static_cast<int>(*from)) : inner.end();
      auto p = to ? inner.find(static_cast<int>(*to)) : inner.end();
      if (r == inner.end() || p == inner.end() || r->second.type != "Result" ||
          p->second.type != "Parameter")
        throw problem(in_body, "a back edge that does not run from a Result to a Parameter");
      if (r->second.ports.begin()->second.type != p->second.ports.begin()->second.type)
        throw problem(in_body, "back edge " + r->second.name + " -> " + p->second.name +
                                   " changes precision");
      ++result_uses[r->first];
    }
    for (const auto& [lid, inner_l] : inner) {
      if (inner_l.type == "Parameter" && parameter_uses[lid] != 1)
        throw problem(in_body, "Parameter " + inner_l.name + " is mapped " +
                                   std::to_string(parameter_uses[lid]) + " times");
      if (inner_l.type == "Result" && result_uses[lid] == 0)
        throw problem(in_body, "Result " + inner_l.name + " goes nowhere");
    }
    int outs = 0;
    for (const auto& [pid, p] : l.ports) outs += !p.is_input;
    if (static_cast<int>(outputs_mapped.size()) != outs)
      throw problem(in_body, "maps " + std::to_string(outputs_mapped.size()) + " of " +
                                 std::to_string(outs) + " outputs");
    if (!is_if && !condition)
      throw problem(in_body, "no Result is marked purpose=\"execution_condition\"");
  }
}

}  // namespace

void check_openvino_ir(const std::string& xml_path) {
  namespace fs = std::filesystem;
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_file(xml_path.c_str());
  if (!parsed)
    throw problem(xml_path, std::string("not well-formed XML: ") + parsed.description() +
                                " at offset " + std::to_string(parsed.offset));
  pugi::xml_node net = doc.child("net");
  if (!net) throw problem(xml_path, "no <net> root element");
  if (std::string(net.attribute("version").value()) != "11")
    throw problem(xml_path,
                  "IR version is '" + std::string(net.attribute("version").value()) + "', not 11");
  fs::path bin = fs::path(xml_path).replace_extension(".bin");
  std::error_code ec;
  uint64_t bin_size = fs::exists(bin, ec) ? fs::file_size(bin, ec) : 0;
  if (ec) bin_size = 0;

  check_network(net, xml_path, bin.string(), bin_size, false);
}

}  // namespace mlexport::emit
