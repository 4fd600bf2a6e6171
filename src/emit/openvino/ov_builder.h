// An OpenVINO IR v11 graph under construction: layers with typed, shaped output ports, the
// weights blob, and the XML text. Knows the file format, not the meaning of any op.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.h"
#include "mlexport/diagnostics.h"

namespace mlexport::emit::openvino {

using Dims = std::vector<int64_t>;  // -1 marks a dynamic dimension

// An emitter bug (kInternal), prefixed "OpenVINO emitter: ".
Error internal_error(const std::string& message);

// The `index`-th output of layer `layer` (indices count outputs only, from 0).
struct OutRef {
  int layer = -1;
  int index = 0;
  bool valid() const { return layer >= 0; }
};

struct PortInfo {
  ir::DType dtype = ir::DType::Float32;
  Dims dims;
  std::string names;  // tensor names, comma-separated (may be empty)
};

using Attrs = std::vector<std::pair<std::string, std::string>>;

class Builder;

// One entry of a control-flow layer's port map: an outer port and the body layer it maps to
// (`<input external_port_id=".." internal_layer_id=".."/>`, plus `axis` or `purpose`).
struct PortMapEntry {
  bool output = false;
  Attrs attrs;
};

// A body network of If (then_body/else_body) or Loop (body), with the port map that ties it to
// the layer's ports.
struct Body {
  std::string tag;           // "then_body", "else_body", "body"
  std::string port_map_tag;  // "then_port_map", "else_port_map", "port_map"
  std::shared_ptr<Builder> net;
  std::vector<PortMapEntry> port_map;
  std::vector<std::pair<int, int>> back_edges;  // (Result layer, Parameter layer) in the body
};

struct Layer {
  int id = 0;
  std::string name, type, version;
  Attrs data;
  std::vector<OutRef> inputs;
  std::vector<PortInfo> outputs;
  bool decompression = false;  // a Convert that undoes fp16 weight compression
  std::vector<Body> bodies;    // control flow only
};

// Attribute text as OpenVINO writes it.
std::string ints_attr(const std::vector<int64_t>& values);
std::string float_attr(double value);
std::string bool_attr(bool value);
std::string element_type_name(ir::DType dtype);  // "f32", "i64", "boolean"...
std::string precision_name(ir::DType dtype);     // "FP32", "I64", "BOOL"...

class Builder {
 public:
  Builder() : blob_(std::make_shared<std::string>()) {}
  // An empty network for a body: its constants go to this builder's weights blob.
  std::shared_ptr<Builder> body() const;

  OutRef parameter(const std::string& name, ir::DType dtype, const Dims& dims);
  // A Const layer holding `tensor`'s bytes (appended to the blob, 64-byte aligned).
  OutRef constant(const ir::Tensor& tensor, const std::string& name);
  std::vector<OutRef> add(const std::string& type, const std::string& version,
                          const std::string& name, std::vector<OutRef> inputs, Attrs data,
                          std::vector<PortInfo> outputs);
  OutRef add1(const std::string& type, const std::string& version, const std::string& name,
              std::vector<OutRef> inputs, Attrs data, ir::DType dtype, Dims dims) {
    return add(type, version, name, std::move(inputs), std::move(data), {{dtype, std::move(dims)}})
        .front();
  }
  int result(OutRef value, const std::string& name);  // the Result layer's id

  const PortInfo& info(OutRef ref) const;
  PortInfo& info(OutRef ref);
  Layer& layer(int id) { return layers_.at(static_cast<size_t>(id)); }
  int layer_count() const { return static_cast<int>(layers_.size()); }
  const std::string& blob() const { return *blob_; }
  // Layers here and in every body.
  int total_layer_count() const;
  // `model_info`: entries written as rt_info/model_info/<key value="..."/> (keys must be XML
  // names).
  std::string xml(const std::string& model_name, bool compressed,
                  const std::map<std::string, std::string>& model_info = {}) const;

 private:
  std::string unique_name(const std::string& hint);
  void write_network(void* parent_node) const;  // a pugi::xml_node, kept out of this header

  std::vector<Layer> layers_;
  std::shared_ptr<std::string> blob_;  // shared with the bodies
  std::set<std::string> used_names_;
};

}  // namespace mlexport::emit::openvino
