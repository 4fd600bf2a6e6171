// An OpenVINO IR v11 graph under construction: layers with typed, shaped output ports, the
// weights blob, and the XML text. Knows the file format, not the meaning of any op.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.h"

namespace mlexport::emit::ov {

using Dims = std::vector<int64_t>;  // -1 marks a dynamic dimension

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

struct Layer {
  int id = 0;
  std::string name, type, version;
  Attrs data;
  std::vector<OutRef> inputs;
  std::vector<PortInfo> outputs;
  bool decompression = false;  // a Convert that undoes fp16 weight compression
};

// Attribute text as OpenVINO writes it.
std::string ints_attr(const std::vector<int64_t>& values);
std::string float_attr(double value);
std::string bool_attr(bool value);
std::string element_type_name(ir::DType dtype);  // "f32", "i64", "boolean"...
std::string precision_name(ir::DType dtype);     // "FP32", "I64", "BOOL"...

class Builder {
 public:
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
  void result(OutRef value, const std::string& name);

  const PortInfo& info(OutRef ref) const;
  PortInfo& info(OutRef ref);
  Layer& layer(int id) { return layers_.at(static_cast<size_t>(id)); }
  int layer_count() const { return static_cast<int>(layers_.size()); }
  const std::string& blob() const { return blob_; }
  // `model_info`: entries written as rt_info/model_info/<key value="..."/> (keys must be XML
  // names).
  std::string xml(const std::string& model_name, bool compressed,
                  const std::map<std::string, std::string>& model_info = {}) const;

 private:
  std::string unique_name(const std::string& hint);

  std::vector<Layer> layers_;
  std::string blob_;
  std::set<std::string> used_names_;
};

}  // namespace mlexport::emit::ov
