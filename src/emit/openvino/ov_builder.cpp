#include "emit/openvino/ov_builder.h"

#include <charconv>
#include <pugixml.hpp>
#include <sstream>

#include "mlexport/diagnostics.h"

namespace mlexport::emit::openvino {

Error internal_error(const std::string& message) {
  return Error(ExitCode::kInternal, "OpenVINO emitter: " + message);
}

namespace {

constexpr size_t kBlobAlign = 64;  // so a runtime can map weights without copying

void add_dims(pugi::xml_node port, const Dims& dims) {
  for (int64_t d : dims) port.append_child("dim").text().set(std::to_string(d).c_str());
}

}  // namespace

std::string ints_attr(const std::vector<int64_t>& values) {
  std::string out;
  for (size_t k = 0; k < values.size(); ++k) {
    if (k) out += ", ";
    out += std::to_string(values[k]);
  }
  return out;
}

std::string float_attr(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) throw internal_error("cannot format a float attribute");
  return std::string(buf, end);
}

std::string bool_attr(bool value) {
  return value ? "true" : "false";
}

std::string element_type_name(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::Float32:
      return "f32";
    case ir::DType::Float16:
      return "f16";
    case ir::DType::Float64:
      return "f64";
    case ir::DType::BFloat16:
      return "bf16";
    case ir::DType::Int8:
      return "i8";
    case ir::DType::UInt8:
      return "u8";
    case ir::DType::Int16:
      return "i16";
    case ir::DType::Int32:
      return "i32";
    case ir::DType::Int64:
      return "i64";
    case ir::DType::Bool:
      return "boolean";
  }
  throw internal_error("unknown element type");
}

std::string precision_name(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::Float32:
      return "FP32";
    case ir::DType::Float16:
      return "FP16";
    case ir::DType::Float64:
      return "FP64";
    case ir::DType::BFloat16:
      return "BF16";
    case ir::DType::Int8:
      return "I8";
    case ir::DType::UInt8:
      return "U8";
    case ir::DType::Int16:
      return "I16";
    case ir::DType::Int32:
      return "I32";
    case ir::DType::Int64:
      return "I64";
    case ir::DType::Bool:
      return "BOOL";
  }
  throw internal_error("unknown element type");
}

std::string Builder::unique_name(const std::string& hint) {
  std::string base = hint.empty() ? "layer" : hint;
  std::string name = base;
  for (int k = 1; used_names_.count(name); ++k) name = base + "_" + std::to_string(k);
  used_names_.insert(name);
  return name;
}

OutRef Builder::parameter(const std::string& name, ir::DType dtype, const Dims& dims) {
  std::string shape;
  for (size_t k = 0; k < dims.size(); ++k) {
    if (k) shape += ",";
    shape += dims[k] < 0 ? "?" : std::to_string(dims[k]);
  }
  return add("Parameter", "opset1", name, {},
             {{"shape", shape}, {"element_type", element_type_name(dtype)}}, {{dtype, dims, ""}})
      .front();
}

OutRef Builder::constant(const ir::Tensor& tensor, const std::string& name) {
  size_t expected = static_cast<size_t>(tensor.numel()) * ir::dtype_size(tensor.dtype);
  if (tensor.nbytes() != expected)
    throw internal_error("constant " + name + " holds " + std::to_string(tensor.nbytes()) +
                         " bytes, its shape " + ir::shape_to_string(tensor.shape) + " needs " +
                         std::to_string(expected));
  blob_->resize((blob_->size() + kBlobAlign - 1) / kBlobAlign * kBlobAlign, '\0');
  uint64_t offset = blob_->size();
  blob_->append(reinterpret_cast<const char*>(tensor.raw()), expected);
  return add("Const", "opset1", name, {},
             {{"element_type", element_type_name(tensor.dtype)},
              {"shape", ints_attr(tensor.shape)},
              {"offset", std::to_string(offset)},
              {"size", std::to_string(expected)}},
             {{tensor.dtype, tensor.shape, ""}})
      .front();
}

std::vector<OutRef> Builder::add(const std::string& type, const std::string& version,
                                 const std::string& name, std::vector<OutRef> inputs, Attrs data,
                                 std::vector<PortInfo> outputs) {
  for (const OutRef& in : inputs) info(in);  // throws on a dangling reference
  Layer l;
  l.id = static_cast<int>(layers_.size());
  l.name = unique_name(name);
  l.type = type;
  l.version = version;
  l.data = std::move(data);
  l.inputs = std::move(inputs);
  l.outputs = std::move(outputs);
  layers_.push_back(std::move(l));
  std::vector<OutRef> refs;
  for (size_t k = 0; k < layers_.back().outputs.size(); ++k)
    refs.push_back({layers_.back().id, static_cast<int>(k)});
  return refs;
}

int Builder::result(OutRef value, const std::string& name) {
  add("Result", "opset1", name + "/sink_port_0", {value}, {}, {});
  return layers_.back().id;
}

std::shared_ptr<Builder> Builder::body() const {
  auto net = std::make_shared<Builder>();
  net->blob_ = blob_;
  return net;
}

int Builder::total_layer_count() const {
  int n = layer_count();
  for (const Layer& l : layers_)
    for (const Body& body : l.bodies) n += body.net->total_layer_count();
  return n;
}

const PortInfo& Builder::info(OutRef ref) const {
  if (ref.layer < 0 || ref.layer >= static_cast<int>(layers_.size()))
    throw internal_error("reference to a layer that does not exist");
  const Layer& l = layers_[static_cast<size_t>(ref.layer)];
  if (ref.index < 0 || ref.index >= static_cast<int>(l.outputs.size()))
    throw internal_error("reference to output " + std::to_string(ref.index) + " of layer " +
                         l.name + " which has " + std::to_string(l.outputs.size()));
  return l.outputs[static_cast<size_t>(ref.index)];
}

PortInfo& Builder::info(OutRef ref) {
  return const_cast<PortInfo&>(static_cast<const Builder*>(this)->info(ref));
}

void Builder::write_network(void* parent_node) const {
  pugi::xml_node parent = *static_cast<pugi::xml_node*>(parent_node);
  pugi::xml_node layers = parent.append_child("layers");
  pugi::xml_node edges = parent.append_child("edges");
  for (const Layer& l : layers_) {
    pugi::xml_node x = layers.append_child("layer");
    x.append_attribute("id") = l.id;
    x.append_attribute("name") = l.name.c_str();
    x.append_attribute("type") = l.type.c_str();
    x.append_attribute("version") = l.version.c_str();
    if (!l.data.empty() || l.type == "Const" || l.type == "Parameter") {
      pugi::xml_node data = x.append_child("data");
      for (const auto& [key, value] : l.data) data.append_attribute(key.c_str()) = value.c_str();
    }
    if (l.decompression) {
      pugi::xml_node attr = x.append_child("rt_info").append_child("attribute");
      attr.append_attribute("name") = "decompression";
      attr.append_attribute("version") = "0";
    }
    // Input ports are numbered first, output ports continue after them.
    int port = 0;
    if (!l.inputs.empty()) {
      pugi::xml_node in = x.append_child("input");
      for (const OutRef& ref : l.inputs) {
        const PortInfo& p = info(ref);
        pugi::xml_node px = in.append_child("port");
        px.append_attribute("id") = port;
        px.append_attribute("precision") = precision_name(p.dtype).c_str();
        add_dims(px, p.dims);
        pugi::xml_node e = edges.append_child("edge");
        const Layer& from = layers_[static_cast<size_t>(ref.layer)];
        e.append_attribute("from-layer") = ref.layer;
        e.append_attribute("from-port") = static_cast<int>(from.inputs.size()) + ref.index;
        e.append_attribute("to-layer") = l.id;
        e.append_attribute("to-port") = port;
        ++port;
      }
    }
    if (!l.outputs.empty()) {
      pugi::xml_node out = x.append_child("output");
      for (const PortInfo& p : l.outputs) {
        pugi::xml_node px = out.append_child("port");
        px.append_attribute("id") = port++;
        px.append_attribute("precision") = precision_name(p.dtype).c_str();
        if (!p.names.empty()) px.append_attribute("names") = p.names.c_str();
        add_dims(px, p.dims);
      }
    }
    // Port maps first, then back edges, then the bodies, as the opset specifications show them.
    for (const Body& body : l.bodies) {
      pugi::xml_node map = x.append_child(body.port_map_tag.c_str());
      for (const PortMapEntry& e : body.port_map) {
        pugi::xml_node m = map.append_child(e.output ? "output" : "input");
        for (const auto& [key, value] : e.attrs) m.append_attribute(key.c_str()) = value.c_str();
      }
      if (!body.back_edges.empty()) {
        pugi::xml_node back = x.append_child("back_edges");
        for (const auto& [from, to] : body.back_edges) {
          pugi::xml_node e = back.append_child("edge");
          e.append_attribute("from-layer") = from;
          e.append_attribute("to-layer") = to;
        }
      }
    }
    for (const Body& body : l.bodies) {
      pugi::xml_node net = x.append_child(body.tag.c_str());
      body.net->write_network(&net);
    }
  }
}

std::string Builder::xml(const std::string& model_name, bool compressed,
                         const std::map<std::string, std::string>& model_info) const {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  pugi::xml_node net = doc.append_child("net");
  net.append_attribute("name") = model_name.c_str();
  net.append_attribute("version") = "11";
  write_network(&net);
  pugi::xml_node rt = net.append_child("rt_info");
  rt.append_child("Runtime_version").append_attribute("value") = "mlexport " MLEXPORT_VERSION;
  pugi::xml_node conv = rt.append_child("conversion_parameters");
  conv.append_child("framework").append_attribute("value") = "mlexport";
  conv.append_child("compress_to_fp16").append_attribute("value") = compressed ? "True" : "False";
  if (!model_info.empty()) {
    pugi::xml_node info = rt.append_child("model_info");
    for (const auto& [key, value] : model_info)
      info.append_child(key.c_str()).append_attribute("value") = value.c_str();
  }
  std::ostringstream os;
  doc.save(os, "\t", pugi::format_default, pugi::encoding_utf8);
  return os.str();
}

}  // namespace mlexport::emit::openvino
